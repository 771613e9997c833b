"""Class labels: turning what a user passes into label tensors, and checking their range."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["Labels", "as_labels", "check_label_range"]

Labels = int | Sequence[int] | torch.Tensor
"""Class labels as :meth:`pygan.Generator.sample` takes them: one class for all, or one per image."""


def as_labels(labels: Labels, n: int, num_classes: int) -> torch.Tensor:
    """Return ``labels`` as an ``int64`` tensor of ``n`` class indices in ``[0, num_classes)``.

    Args:
        labels: One class for all ``n`` (an int), or one per image (a sequence or a tensor of
            shape ``(n,)``).
        n: How many labels are wanted.
        num_classes: How many classes there are.

    Raises:
        ValueError: A label outside ``[0, num_classes)``, or not ``n`` of them.
        TypeError: Labels that are not integers.

    Example:
        >>> as_labels(7, 3, 10), as_labels([0, 3], 2, 10)
        (tensor([7, 7, 7]), tensor([0, 3]))
        >>> as_labels([0, 12], 2, 10)
        Traceback (most recent call last):
        ...
        ValueError: Label 12 is outside [0, 10): the model knows 10 classes, 0 to 9.
    """
    if isinstance(labels, bool) or (isinstance(labels, torch.Tensor) and labels.is_floating_point()):
        raise TypeError(f"Expected class labels as integers, got {labels!r}.")
    if isinstance(labels, int):
        tensor = torch.full((n,), labels, dtype=torch.int64)
    else:
        try:
            tensor = torch.as_tensor(labels if isinstance(labels, torch.Tensor) else list(labels))
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"Expected class labels as integers, got {labels!r:.80}.") from None
        if tensor.is_floating_point() or tensor.dtype == torch.bool or tensor.dim() != 1:
            raise TypeError(f"Expected class labels as a 1-d sequence of integers, got {labels!r:.80}.")
        if len(tensor) != n:
            raise ValueError(f"Got {len(tensor)} labels for {n} images: give one label per image, or one int for all.")
        tensor = tensor.to(torch.int64)
    check_label_range(tensor, num_classes)
    return tensor


def check_label_range(labels: torch.Tensor, num_classes: int, source: str = "") -> None:
    """Raise ``ValueError`` naming the first label outside ``[0, num_classes)`` (if any)."""
    if labels.numel() == 0:
        return
    bad = (labels < 0) | (labels >= num_classes)
    if bool(bad.any()):
        label = int(labels[bad][0])
        where = f" in the {source}" if source else ""
        raise ValueError(
            f"Label {label}{where} is outside [0, {num_classes}): the model knows {num_classes} "
            f"classes, 0 to {num_classes - 1}."
        )
