"""The inputs of the metrics: images as tensors or ImageDatasets, and one label per image."""

from __future__ import annotations

import torch

from pygan.data.loader import ImageDataset, to_unit_range

__all__ = ["Images", "as_images", "check_labels", "labels_of", "share_correct"]

Images = torch.Tensor | ImageDataset
"""Images the metrics take: a tensor (``uint8`` 0-255, or float in [-1, 1]) or an ImageDataset."""


def as_images(images: Images, name: str = "images") -> torch.Tensor:
    """Return ``images`` (a tensor, ``uint8`` 0-255 or float in [-1, 1], or an
    :class:`~pygan.data.ImageDataset`) as a float tensor ``(N, C, H, W)`` in [-1, 1].

    Raises:
        TypeError: ``images`` is neither a tensor nor an ``ImageDataset``.
        ValueError: ``images`` is not a batch of images.

    Example:
        >>> as_images(torch.tensor([[[0, 255]]], dtype=torch.uint8))
        tensor([[[[-1.,  1.]]]])
    """
    if isinstance(images, ImageDataset):
        images = images.images
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"Expected {name} to be a tensor of images or an ImageDataset, got "
            f"{type(images).__name__}."
        )
    if images.dim() == 3:  # (N, H, W) grey images
        images = images.unsqueeze(1)
    if images.dim() != 4:
        raise ValueError(f"Expected {name} of shape (N, C, H, W), got {tuple(images.shape)}.")
    return to_unit_range(images)


def labels_of(images: Images, labels: torch.Tensor | None) -> torch.Tensor | None:
    """``labels``, or the labels of an ``ImageDataset`` when ``labels`` is ``None``."""
    if labels is None and isinstance(images, ImageDataset):
        return images.labels
    return labels


def check_labels(
    images: torch.Tensor, labels: torch.Tensor | None, num_classes: int
) -> torch.Tensor:
    """Return ``labels`` as int64 on the CPU if they are one label in ``0..num_classes-1`` per
    image, else raise a ``ValueError`` that says what was expected.

    Example:
        >>> check_labels(torch.zeros(2, 1, 4, 4), torch.tensor([0, 3]), 3)
        Traceback (most recent call last):
        ...
        ValueError: Expected labels in 0..2, got values from 0 to 3.
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or len(labels) != len(images):
        raise ValueError(
            f"Expected one integer label per image ({len(images)}), got "
            f"{getattr(labels, 'shape', type(labels).__name__)}."
        )
    labels = labels.long().cpu()
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Expected labels in 0..{num_classes - 1}, got values from {int(labels.min())} to "
            f"{int(labels.max())}."
        )
    return labels


def share_correct(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of rows of ``probs`` whose most likely class is the row's label.

    Example:
        >>> share_correct(torch.tensor([[0.9, 0.1], [0.8, 0.2]]), torch.tensor([0, 1]))
        0.5
    """
    return float((probs.argmax(dim=1) == labels.to(probs.device)).float().mean())
