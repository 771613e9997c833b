"""Mode coverage: which classes the generated images fall into, and how evenly.

A collapsed GAN draws most of its images from a few classes: the histogram of predicted
classes shows it, the number of classes holding at least 2% of the images counts the modes it
covers, and the KL divergence of the histogram to the uniform one is 0 for a perfectly even
spread and ``log(num_classes)`` for a single class.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pygan._validation import check_fraction, check_int

__all__ = ["ModeCoverage", "mode_coverage"]


@dataclass(frozen=True)
class ModeCoverage:
    """The class histogram of a set of images and what it says about mode collapse.

    Attributes:
        histogram: Fraction of the images predicted as each class (sums to 1).
        modes: Number of classes holding at least ``threshold`` of the images.
        kl_uniform: KL divergence of ``histogram`` to the uniform distribution, in nats.

    Example:
        >>> ModeCoverage(histogram=[0.5, 0.5], modes=2, kl_uniform=0.0).modes
        2
    """

    histogram: list[float]
    modes: int
    kl_uniform: float


def mode_coverage(
    predictions: torch.Tensor, *, num_classes: int = 10, threshold: float = 0.02
) -> ModeCoverage:
    """Return the class histogram of ``predictions``, the classes covered and the KL to uniform.

    Args:
        predictions: Predicted labels ``(n,)``, or class probabilities ``(n, num_classes)``
            (each row counts for its most likely class).
        num_classes: Number of classes.
        threshold: Share of the images a class needs to count as covered (2%).

    Raises:
        ValueError: No predictions, labels outside ``0..num_classes-1``, or probabilities with
            another number of classes.

    Example:
        >>> collapsed = mode_coverage(torch.tensor([3, 3, 3, 3]))  # one class of ten
        >>> collapsed.histogram[:5], collapsed.modes, round(collapsed.kl_uniform, 6)  # log(10)
        ([0.0, 0.0, 0.0, 1.0, 0.0], 1, 2.302585)
        >>> mode_coverage(torch.arange(20) % 10).kl_uniform
        0.0
    """
    num_classes = check_int("num_classes", num_classes)
    threshold = check_fraction("threshold", threshold, high_inclusive=True)
    if (
        not isinstance(predictions, torch.Tensor)
        or predictions.dim() not in (1, 2)
        or not len(predictions)
    ):
        raise ValueError(
            f"Expected predicted labels (n,) or probabilities (n, {num_classes}) with n >= 1, got "
            f"{tuple(getattr(predictions, 'shape', ())) or type(predictions).__name__}."
        )
    if predictions.dim() == 2:
        if predictions.shape[1] != num_classes:
            raise ValueError(
                f"Expected probabilities over {num_classes} classes, got {predictions.shape[1]}."
            )
        predictions = predictions.argmax(dim=1)
    labels = predictions.detach().cpu().long()
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"Expected labels in 0..{num_classes - 1}, got values from {int(labels.min())} to "
            f"{int(labels.max())}."
        )
    histogram = torch.bincount(labels, minlength=num_classes).to(torch.float64) / len(labels)
    kl = torch.xlogy(histogram, histogram * num_classes).sum()
    return ModeCoverage(
        histogram=histogram.tolist(),
        modes=int((histogram >= threshold).sum()),
        kl_uniform=max(float(kl), 0.0),  # >= 0; rounding could make an even spread -1e-17
    )
