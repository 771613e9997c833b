"""Datasets (registered in ``DATASETS``) and the in-memory batch loader."""

from pygan.data.datasets import (
    FASHION_MNIST_DEBIAN_DIR,
    csv,
    fashion_mnist,
    image_folder,
    mnist,
    mnist_5k,
    split_dataset,
)
from pygan.data.loader import ImageDataset, make_batches, to_unit_range

__all__ = [
    "FASHION_MNIST_DEBIAN_DIR",
    "ImageDataset",
    "csv",
    "fashion_mnist",
    "image_folder",
    "make_batches",
    "mnist",
    "mnist_5k",
    "split_dataset",
    "to_unit_range",
]
