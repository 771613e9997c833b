"""Datasets (registered in ``DATASETS``) and the in-memory batch loader."""

from pygan.data.loader import ImageDataset, make_batches, to_unit_range

__all__ = ["ImageDataset", "make_batches", "to_unit_range"]
