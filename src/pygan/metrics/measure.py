"""Measuring a set of images with one judge or an ensemble of judges.

Each judge gives ``modes``, ``kl_uniform`` (:func:`~pygan.metrics.mode_coverage`),
``classifier_score``, ``frechet_distance`` (to real images) and ``class_histogram``; given
the class each image was asked for, also ``conditional_accuracy`` and (when the real images
have labels) ``intra_class_frechet_distance``. The Fréchet distance gets a bootstrap interval
``frechet_distance_low`` .. ``frechet_distance_high`` (95% of 200 resamples of the images).

With several judges, :func:`summarize_judges` reports each figure ``F`` as ``F`` (the mean
over the judges), ``F_min`` and ``F_max`` (their spread) and ``F/<judge>`` (each judge's);
the Fréchet distance's interval is that of the mean, every judge scoring the same resamples.
With one judge, the figures are that judge's, without suffixes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from pygan._validation import check_fraction, check_int
from pygan.metrics._images import Images, as_images, check_labels, labels_of, share_correct
from pygan.metrics.conditional import class_statistics, intra_class_frechet_distance_from_statistics
from pygan.metrics.coverage import mode_coverage
from pygan.metrics.frechet import (
    bootstrap_frechet_distances,
    frechet_distance_from_statistics,
    gaussian_statistics,
    percentile_interval,
)
from pygan.metrics.judge import Judge
from pygan.metrics.parzen import parzen_window
from pygan.metrics.score import classifier_score
from pygan.models.base import Generator

__all__ = [
    "RealStatistics",
    "check_judges_fit",
    "frechet_distances",
    "measure_images",
    "measure_with_judges",
    "real_statistics_of",
    "summarize_judges",
]

Statistics = tuple[torch.Tensor, torch.Tensor]
"""Feature statistics as ``(mean, covariance)``: the mean ``(d,)`` and covariance ``(d, d)``."""


@dataclass(frozen=True)
class RealStatistics:
    """What a judge measures generated images against: the real images in its features.

    Attributes:
        mean: Mean ``(d,)`` of the real images' features.
        cov: Their covariance ``(d, d)``.
        class_statistics: Mean and covariance of each class (real images with labels), for
            the intra-class Fréchet distance; ``None`` without labels.
        accuracy: The judge's accuracy on the real images (with labels), else ``None``.

    Example:
        >>> stats = RealStatistics(torch.zeros(2), torch.eye(2))
        >>> stats.class_statistics is None, stats.accuracy is None
        (True, True)
    """

    mean: torch.Tensor
    cov: torch.Tensor
    class_statistics: dict[int, Statistics] | None = None
    accuracy: float | None = None


def real_statistics_of(
    judge: Judge, real: Images, labels: torch.Tensor | None = None, *, batch_size: int = 1000
) -> RealStatistics:
    """Return the statistics of real images in ``judge``'s features (and, with labels, per class).

    Args:
        judge: The judge.
        real: Real images (a tensor, or an ``ImageDataset`` whose labels are used).
        labels: Their labels; taken from an ``ImageDataset`` when ``None``.
        batch_size: Images per judge pass.

    Example:
        >>> from pygan.metrics import MLPJudge
        >>> judge = MLPJudge(num_classes=2, input_shape=(1, 4, 4))
        >>> stats = real_statistics_of(judge, torch.rand(20, 1, 4, 4), torch.arange(20) % 2)
        >>> stats.mean.shape, sorted(stats.class_statistics), 0 <= stats.accuracy <= 1
        (torch.Size([128]), [0, 1], True)
    """
    features, probs = judge.embed(real, batch_size=batch_size)
    labels = labels_of(real, labels)
    if labels is None:
        return RealStatistics(*gaussian_statistics(features))
    labels = check_labels(features, labels, judge.num_classes)
    return RealStatistics(
        *gaussian_statistics(features), class_statistics(features, labels), share_correct(probs, labels)
    )


def check_judges_fit(judges: Mapping[str, Judge], generator: Generator) -> None:
    """Raise a ``ValueError`` unless every judge takes the generator's images and knows the
    classes a conditional generator makes.

    Example:
        >>> from pygan import MLPGenerator
        >>> from pygan.metrics import CNNJudge
        >>> g = MLPGenerator(latent_dim=8, output_shape=(3, 32, 32), hidden=(16,))
        >>> check_judges_fit({"cnn-0": CNNJudge(input_shape=(1, 28, 28))}, g)
        Traceback (most recent call last):
        ...
        ValueError: The generator makes images of shape (3, 32, 32) but the classifier judges (1, 28, 28) (judge 'cnn-0'); use judges trained on images of the generator's shape (a reference dataset of such images).
    """
    shape = tuple(generator.output_shape)
    for name, judge in judges.items():
        if shape != judge.input_shape:
            raise ValueError(
                f"The generator makes images of shape {shape} but the classifier judges "
                f"{judge.input_shape} (judge {name!r}); use judges trained on images of the "
                f"generator's shape (a reference dataset of such images)."
            )
        if generator.num_classes > judge.num_classes:
            raise ValueError(
                f"The generator makes {generator.num_classes} classes but judge {name!r} knows "
                f"{judge.num_classes}; use judges trained on a dataset of the generator's classes."
            )


def frechet_distances(
    images: Images, judges: Mapping[str, Judge], real: Mapping[str, RealStatistics], *, batch_size: int = 1000
) -> dict[str, float]:
    """Return each judge's Fréchet distance of ``images`` to the real images (only that figure,
    as :func:`measure_with_judges` measures it).

    Example:
        >>> from pygan.metrics import MLPJudge
        >>> judges = {"a": MLPJudge(num_classes=3, input_shape=(1, 4, 4))}
        >>> real = torch.rand(30, 1, 4, 4)
        >>> stats = {"a": real_statistics_of(judges["a"], real)}
        >>> round(frechet_distances(real, judges, stats)["a"], 6)
        0.0
    """
    x = as_images(images)
    return {name: _distance_to(judge.features(x, batch_size=batch_size), real[name]) for name, judge in judges.items()}


def _distance_to(features: torch.Tensor, real: RealStatistics) -> float:
    """The Fréchet distance of images' judge ``features`` to the real images'."""
    return frechet_distance_from_statistics(*gaussian_statistics(features), real.mean, real.cov)


def _judge(
    x: torch.Tensor,
    labels: torch.Tensor | None,
    judge: Judge,
    real: RealStatistics,
    bootstrap: int,
    seed: int,
    batch_size: int,
) -> tuple[dict[str, Any], torch.Tensor | None]:
    """One judge's figures of images ``x``, and its bootstrap distances (``None`` without)."""
    features, probs = judge.embed(x, batch_size=batch_size)
    coverage = mode_coverage(probs, num_classes=judge.num_classes)
    figures: dict[str, Any] = {
        "modes": coverage.modes,
        "kl_uniform": coverage.kl_uniform,
        "classifier_score": classifier_score(probs)[0],
        "frechet_distance": _distance_to(features, real),
    }
    if labels is not None:
        figures["conditional_accuracy"] = share_correct(probs, labels)
        if real.class_statistics is not None:
            figures["intra_class_frechet_distance"] = intra_class_frechet_distance_from_statistics(
                features, labels, real.class_statistics
            )
    figures["class_histogram"] = [round(h, 6) for h in coverage.histogram]
    draws = None
    if bootstrap:
        draws = bootstrap_frechet_distances(
            features, real.mean, real.cov, resamples=bootstrap, seed=seed
        )
    return figures, draws


def _with_interval(figures: dict[str, Any], interval: tuple[float, float], suffix: str = "") -> dict[str, Any]:
    """``figures`` with ``frechet_distance_low``/``_high`` (+ ``suffix``) right after the distance."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        out[key] = value
        if key == f"frechet_distance{suffix}":
            out[f"frechet_distance_low{suffix}"], out[f"frechet_distance_high{suffix}"] = interval
    return out


def summarize_judges(
    per_judge: Mapping[str, Mapping[str, Any]],
    frechet_draws: Mapping[str, torch.Tensor] | None = None,
    *,
    level: float = 0.95,
) -> dict[str, Any]:
    """Combine the figures of several judges: the mean, ``_min``, ``_max`` and ``/<judge>``.

    A figure that is a list (the class histogram) is averaged element by element; a figure
    some judge lacks (or gives as ``None``) is left out. One judge's figures come back as
    they are.

    Args:
        per_judge: ``{judge name: {figure: value}}``, every judge with the same figures.
        frechet_draws: Each judge's bootstrap Fréchet distances of the same resamples; adds
            the ``level`` interval of their mean (``frechet_distance_low``/``_high``) and
            each judge's.
        level: The interval's coverage.

    Example:
        >>> summarize_judges({"cnn-0": {"modes": 10, "kl_uniform": 0.01},
        ...                   "mlp-1": {"modes": 8, "kl_uniform": 0.03}})
        {'modes': 9.0, 'modes_min': 8, 'modes_max': 10, 'kl_uniform': 0.02, 'kl_uniform_min': 0.01, 'kl_uniform_max': 0.03, 'modes/cnn-0': 10, 'kl_uniform/cnn-0': 0.01, 'modes/mlp-1': 8, 'kl_uniform/mlp-1': 0.03}
    """
    level = check_fraction("level", level)
    names = list(per_judge)
    if not names:
        raise ValueError("Expected the figures of at least one judge, got none.")
    keys = [k for k in per_judge[names[0]] if all(per_judge[n].get(k) is not None for n in names)]
    intervals = {}
    if frechet_draws:
        intervals = {n: percentile_interval(frechet_draws[n], level) for n in names}
    if len(names) == 1:
        figures = {key: per_judge[names[0]][key] for key in keys}
        return _with_interval(figures, intervals[names[0]]) if intervals else figures
    summary: dict[str, Any] = {}
    for key in keys:
        values = [per_judge[n][key] for n in names]
        if isinstance(values[0], (list, tuple)):
            summary[key] = [round(sum(column) / len(names), 6) for column in zip(*values)]
        else:
            summary.update({key: sum(values) / len(names), f"{key}_min": min(values), f"{key}_max": max(values)})
    if intervals:
        mean_draws = torch.stack([frechet_draws[n] for n in names]).mean(dim=0)  # type: ignore[index]
        summary = _with_interval(summary, percentile_interval(mean_draws, level))
    for name in names:
        own = {f"{key}/{name}": per_judge[name][key] for key in keys}
        summary.update(_with_interval(own, intervals[name], f"/{name}") if intervals else own)
    return summary


def _pixels_01(images: Images) -> torch.Tensor:
    """Images with pixels in [0, 1], the scale Goodfellow et al.'s Parzen figures use."""
    return (as_images(images) + 1) / 2


def measure_with_judges(
    images: Images,
    judges: Mapping[str, Judge],
    real: Mapping[str, RealStatistics],
    *,
    labels: torch.Tensor | None = None,
    parzen_test: Images | None = None,
    parzen_valid: Images | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    batch_size: int = 1000,
) -> dict[str, Any]:
    """Measure one set of images (generated, or real as a yardstick) with each judge, and
    combine the judges' figures with :func:`summarize_judges`.

    Args:
        images: The images to judge (a tensor in [-1, 1] or ``uint8``, or an ``ImageDataset``).
        judges: The judges by name.
        real: Each judge's :func:`real_statistics_of` the real images, by the same names.
        labels: The class each image was asked for (a conditional generator's); adds
            ``conditional_accuracy`` and ``intra_class_frechet_distance``.
        parzen_test: Held-out real images for the Parzen-window log-likelihood (judge-free:
            computed once); ``None`` skips it.
        parzen_valid: Real images to choose the Parzen sigma on; ``None`` holds out a random
            tenth of ``parzen_test``.
        bootstrap: Resamples for the Fréchet distance's 95% interval; 0 skips it.
        seed: Seeds the resamples.
        batch_size: Images per judge pass and Parzen block.

    Example:
        >>> from pygan.metrics import MLPJudge
        >>> judges = {name: MLPJudge(num_classes=3, input_shape=(1, 4, 4)) for name in ("a", "b")}
        >>> real = torch.rand(30, 1, 4, 4)
        >>> stats = {name: real_statistics_of(judge, real) for name, judge in judges.items()}
        >>> figures = measure_with_judges(torch.rand(20, 1, 4, 4), judges, stats, bootstrap=10)
        >>> [key for key in figures if key.startswith("frechet")][:5]
        ['frechet_distance', 'frechet_distance_low', 'frechet_distance_high', 'frechet_distance_min', 'frechet_distance_max']
    """
    if set(judges) != set(real):
        raise ValueError(
            f"Expected real statistics for each judge ({sorted(judges)}), got them for {sorted(real)}."
        )
    x = as_images(images)
    if labels is not None:
        labels = check_labels(x, labels, min(judge.num_classes for judge in judges.values()))
    bootstrap = check_int("bootstrap", bootstrap, minimum=0)
    per_judge, draws = {}, {}
    for name, judge in judges.items():
        per_judge[name], draws[name] = _judge(x, labels, judge, real[name], bootstrap, seed, batch_size)
    figures = summarize_judges(per_judge, draws if bootstrap else None)
    if parzen_test is not None:
        valid = None if parzen_valid is None else _pixels_01(parzen_valid)
        parzen = parzen_window(_pixels_01(x), _pixels_01(parzen_test), valid, batch_size=batch_size)
        figures.update(
            parzen_log_likelihood=parzen.mean,
            parzen_se=parzen.se,
            parzen_sigma=parzen.sigma,
            parzen_n_test=parzen.n_test,
        )
    return figures


def measure_images(
    images: Images,
    *,
    classifier: Judge,
    real_statistics: Statistics | RealStatistics,
    labels: torch.Tensor | None = None,
    parzen_test: Images | None = None,
    parzen_valid: Images | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    batch_size: int = 1000,
) -> dict[str, Any]:
    """Measure one set of images (generated, or real as a reference) with one judge.

    :func:`measure_with_judges` with a single judge: see there for the arguments.
    ``real_statistics`` is the real images' :func:`~pygan.metrics.real_statistics_of`, or just
    the mean and covariance of their features
    (:func:`~pygan.metrics.gaussian_statistics` of ``classifier.features(real)``).

    Returns:
        ``modes``, ``kl_uniform``, ``classifier_score``, ``frechet_distance`` (and with
        ``bootstrap`` its interval ``frechet_distance_low``/``_high``), with ``labels``
        ``conditional_accuracy`` (and ``intra_class_frechet_distance`` given real class
        statistics), ``class_histogram``, and with ``parzen_test`` also
        ``parzen_log_likelihood``, ``parzen_se``, ``parzen_sigma`` and ``parzen_n_test``.

    Example:
        >>> from pygan.metrics import gaussian_statistics, train_classifier
        >>> digits = torch.randint(0, 256, (60, 1, 8, 8), dtype=torch.uint8)
        >>> judge = train_classifier(digits, torch.arange(60) % 10, epochs=1)
        >>> stats = gaussian_statistics(judge.features(digits))
        >>> figures = measure_images(digits, classifier=judge, real_statistics=stats)
        >>> round(figures["frechet_distance"], 6), sorted(figures)[:3]
        (0.0, ['class_histogram', 'classifier_score', 'frechet_distance'])
    """
    if not isinstance(real_statistics, RealStatistics):
        real_statistics = RealStatistics(*real_statistics)
    return measure_with_judges(
        images,
        {"judge": classifier},
        {"judge": real_statistics},
        labels=labels,
        parzen_test=parzen_test,
        parzen_valid=parzen_valid,
        bootstrap=bootstrap,
        seed=seed,
        batch_size=batch_size,
    )
