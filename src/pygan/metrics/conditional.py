"""Figures of a conditional generator: does it make the class it is asked for, and how well?

- :func:`conditional_accuracy`: the share of generated images that the judge classifies as
  the class they were asked for (1.0 for a generator that always obeys; about
  ``1 / num_classes`` for one that ignores its labels).
- :func:`intra_class_frechet_distance`: the Fréchet distance computed within each class
  (generated images of class ``c`` against real images of class ``c``) and averaged over the
  classes, the "intra-FID" of Miyato & Koyama (2018). Unlike the overall distance, it is
  large for a generator whose images are realistic but of the wrong class, or that draws
  each class from too few modes.
"""

from __future__ import annotations

import torch

from pygan.metrics._images import Images, as_images, check_labels, share_correct
from pygan.metrics.frechet import frechet_distance_from_statistics, gaussian_statistics
from pygan.metrics.judge import Judge

__all__ = [
    "class_statistics",
    "conditional_accuracy",
    "intra_class_frechet_distance",
    "intra_class_frechet_distance_from_statistics",
]

Statistics = tuple[torch.Tensor, torch.Tensor]
"""Feature statistics as ``(mean, covariance)``: the mean ``(d,)`` and covariance ``(d, d)``."""


def conditional_accuracy(
    images: Images,
    labels: torch.Tensor,
    classifier: Judge | None = None,
    *,
    batch_size: int = 1000,
) -> float:
    """Return the share of ``images`` that ``classifier`` classifies as their ``labels``: the
    classes they were asked for.

    Args:
        images: Generated images (a tensor in [-1, 1] or ``uint8``, or an ``ImageDataset``).
        labels: The class each image was asked for, ``(N,)``.
        classifier: The judge; ``None`` uses :func:`~pygan.metrics.default_classifier`.
        batch_size: Images per judge pass.

    Raises:
        ValueError: Not one label in ``0..num_classes-1`` of the judge per image.

    Example:
        >>> from pygan import MLPGenerator
        >>> from pygan.metrics import train_classifier
        >>> digits = torch.randint(0, 256, (60, 1, 8, 8), dtype=torch.uint8)
        >>> judge = train_classifier(digits, torch.arange(60) % 10, epochs=1)
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,), num_classes=10)
        >>> asked = torch.arange(50) % 10
        >>> 0.0 <= conditional_accuracy(g.sample(50, labels=asked), asked, judge) <= 1.0
        True
    """
    if classifier is None:
        from pygan.metrics.classifier import default_classifier

        classifier = default_classifier()
    x = as_images(images)
    labels = check_labels(x, labels, classifier.num_classes)
    return share_correct(classifier.predict_proba(x, batch_size=batch_size), labels)


def _check_features(features: torch.Tensor, labels: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(features, torch.Tensor) or features.dim() != 2:
        raise ValueError(
            f"Expected {name} of shape (n, d), got "
            f"{tuple(getattr(features, 'shape', ())) or type(features).__name__}."
        )
    limit = int(labels.max()) + 1 if isinstance(labels, torch.Tensor) and len(labels) else 1
    return check_labels(features, labels, limit)


def class_statistics(features: torch.Tensor, labels: torch.Tensor) -> dict[int, Statistics]:
    """Return the mean and covariance of the features of each class that has at least two.

    Args:
        features: ``(n, d)`` features, e.g. of real images.
        labels: ``(n,)`` integer labels ``>= 0``.

    Returns:
        ``{label: (mean (d,), cov (d, d))}`` in float64, by increasing label.

    Example:
        >>> stats = class_statistics(torch.tensor([[0.0], [2.0], [5.0]]), torch.tensor([1, 1, 4]))
        >>> list(stats), stats[1][0].tolist(), stats[1][1].tolist()  # class 4 has one row
        ([1], [1.0], [[2.0]])
    """
    labels = _check_features(features, labels, "features")
    present, counts = labels.unique(return_counts=True)
    return {
        int(c): gaussian_statistics(features[labels == c])
        for c, count in zip(present.tolist(), counts.tolist())
        if count >= 2
    }


def intra_class_frechet_distance_from_statistics(
    features: torch.Tensor, labels: torch.Tensor, real_class_statistics: dict[int, Statistics]
) -> float:
    """Return the mean over the classes in ``labels`` of the Fréchet distance between that
    class's ``features`` and its real statistics (from :func:`class_statistics`).

    Raises:
        ValueError: A class has fewer than two generated images, or no real statistics.

    Example:
        >>> real = {0: (torch.zeros(1), torch.eye(1)), 1: (torch.ones(1), torch.eye(1))}
        >>> x = torch.tensor([[-1.0], [1.0], [2.0], [4.0]])  # class 0: N(0, 2); class 1: N(3, 2)
        >>> round(intra_class_frechet_distance_from_statistics(x, torch.tensor([0, 0, 1, 1]), real), 4)
        2.1716
    """
    labels = _check_features(features, labels, "features")
    present, counts = labels.unique(return_counts=True)
    distances = []
    for c, count in zip(present.tolist(), counts.tolist()):
        if count < 2:
            raise ValueError(
                f"Class {c} has {count} generated image; the intra-class Fréchet distance needs "
                f"at least 2 of each class asked for. Generate more images."
            )
        if c not in real_class_statistics:
            raise ValueError(
                f"Class {c} was asked for but has fewer than 2 real images to compare with "
                f"(real classes: {sorted(real_class_statistics)}). Compare with real images "
                f"of every class the generator makes."
            )
        real_mean, real_cov = real_class_statistics[c]
        generated = gaussian_statistics(features[labels == c])
        distances.append(frechet_distance_from_statistics(*generated, real_mean, real_cov))
    if not distances:
        raise ValueError("Expected at least one generated image, got none.")
    return sum(distances) / len(distances)


def intra_class_frechet_distance(
    features: torch.Tensor,
    labels: torch.Tensor,
    real_features: torch.Tensor,
    real_labels: torch.Tensor,
) -> float:
    """Return the mean over classes of the Fréchet distance between the generated and the
    real features of each class.

    Args:
        features: ``(n, d)`` features of generated images.
        labels: ``(n,)`` the class each generated image was asked for.
        real_features: ``(m, d)`` features of real images.
        real_labels: ``(m,)`` their labels.

    Raises:
        ValueError: Bad shapes, or a class asked for with fewer than two generated or real
            images.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> real = torch.randn(600, 4, generator=g)
        >>> real_labels = torch.arange(600) % 3
        >>> real[:, 0] += 5 * real_labels  # three classes, far apart
        >>> right = intra_class_frechet_distance(real, real_labels, real, real_labels)
        >>> swapped = intra_class_frechet_distance(real, (real_labels + 1) % 3, real, real_labels)
        >>> round(right, 6), swapped > 25  # the right images, but under the wrong labels
        (0.0, True)
    """
    return intra_class_frechet_distance_from_statistics(
        features, labels, class_statistics(real_features, real_labels)
    )
