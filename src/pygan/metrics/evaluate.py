"""All quality figures of a generator at once, next to the same figures for real digits.

:func:`evaluate_generator` samples a generator and measures the samples in the feature space
of a :class:`~pygan.metrics.DigitClassifier` against real digits: mode coverage, classifier
score, Fréchet distance and (given held-out digits) the Parzen-window log-likelihood. Given
``reference`` digits (real digits the generator did not have to produce, e.g. the training
set), it measures them the same way, which is the yardstick: a generator as good as the data
reaches the reference's figures.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from pygan._validation import check_int
from pygan.data.loader import ImageDataset
from pygan.metrics.classifier import DigitClassifier, Images, as_images, default_classifier
from pygan.metrics.coverage import mode_coverage
from pygan.metrics.frechet import frechet_distance_from_statistics, gaussian_statistics
from pygan.metrics.parzen import parzen_window
from pygan.metrics.score import classifier_score
from pygan.models.base import Generator

__all__ = ["evaluate_generator", "measure_images", "sample_images"]


def sample_images(
    generator: Generator, n: int, *, batch_size: int = 1000, seed: int = 0
) -> torch.Tensor:
    """Draw ``n`` images from ``generator`` (eval mode, no gradients) as a CPU tensor in [-1, 1].

    The latent noise comes from :meth:`~pygan.Generator.sample_latent` with a CPU random
    number generator of its own, seeded with ``seed``: the same noise every call on every
    device, and torch's global random state is not touched.

    Example:
        >>> from pygan import MLPGenerator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> a, b = sample_images(g, 5, batch_size=2), sample_images(g, 5)
        >>> a.shape, torch.allclose(a, b)
        (torch.Size([5, 1, 4, 4]), True)
    """
    n = check_int("n", n)
    batch_size = check_int("batch_size", batch_size)
    z = generator.sample_latent(n, generator=torch.Generator().manual_seed(seed))
    return torch.cat([generator.sample(len(c), z=c).float().cpu() for c in z.split(batch_size)])


def measure_images(
    images: Images,
    *,
    classifier: DigitClassifier,
    real_statistics: tuple[torch.Tensor, torch.Tensor],
    parzen_test: Images | None = None,
    parzen_valid: Images | None = None,
    batch_size: int = 1000,
) -> dict[str, Any]:
    """Measure one set of images (generated, or real as a reference) against real digits.

    Args:
        images: The images to judge (a tensor in [-1, 1] or ``uint8``, or an ``ImageDataset``).
        classifier: The judge.
        real_statistics: Mean and covariance of the real digits' features
            (:func:`~pygan.metrics.gaussian_statistics` of ``classifier.features(real)``).
        parzen_test: Held-out real digits for the Parzen-window log-likelihood; ``None``
            skips it.
        parzen_valid: Real digits to choose the Parzen sigma on; ``None`` holds out a random
            tenth of ``parzen_test``.
        batch_size: Images per classifier pass and Parzen block.

    Returns:
        ``modes``, ``kl_uniform``, ``class_histogram``, ``classifier_score``,
        ``frechet_distance``, and with ``parzen_test`` also ``parzen_log_likelihood``,
        ``parzen_se``, ``parzen_sigma`` and ``parzen_n_test``.

    Example:
        >>> from pygan.metrics import gaussian_statistics, train_classifier
        >>> digits = torch.randint(0, 256, (60, 1, 8, 8), dtype=torch.uint8)
        >>> judge = train_classifier(digits, torch.arange(60) % 10, epochs=1)
        >>> stats = gaussian_statistics(judge.features(digits))
        >>> figures = measure_images(digits, classifier=judge, real_statistics=stats)
        >>> round(figures["frechet_distance"], 6), sorted(figures)[:3]
        (0.0, ['class_histogram', 'classifier_score', 'frechet_distance'])
    """
    x = as_images(images)
    features, probs = classifier.embed(x, batch_size=batch_size)
    coverage = mode_coverage(probs, num_classes=classifier.num_classes)
    figures: dict[str, Any] = {
        "modes": coverage.modes,
        "kl_uniform": coverage.kl_uniform,
        "classifier_score": classifier_score(probs)[0],
        "frechet_distance": frechet_distance_from_statistics(
            *gaussian_statistics(features), *real_statistics
        ),
        "class_histogram": [round(h, 6) for h in coverage.histogram],
    }
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


def _pixels_01(images: Images) -> torch.Tensor:
    """Images with pixels in [0, 1], the scale Goodfellow et al.'s Parzen figures use."""
    return (as_images(images) + 1) / 2


def evaluate_generator(
    generator: Generator,
    *,
    n: int = 10000,
    real: Images | None = None,
    reference: Images | None = None,
    classifier: DigitClassifier | None = None,
    parzen_test: Images | None = None,
    parzen_valid: Images | None = None,
    batch_size: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Return every quality figure of ``generator``, and the same for ``reference`` digits.

    Args:
        generator: The generator to judge (its images must have the classifier's shape).
        n: How many images to generate (Goodfellow et al. use 10,000 for Parzen). The
            Fréchet distance is biased upwards for small sets and the Parzen estimate grows
            with the number of samples: compare figures measured with the same sizes.
        real: Real digits to compare against (the Fréchet distance's real side), e.g. the
            MNIST test set; ``None`` uses the 5,000 digits of ``mnist_5k``. With labels, the
            classifier's accuracy on them is reported too.
        reference: Real digits to measure like the generated ones, e.g. the training digits;
            their figures come back prefixed ``reference_``. ``None`` skips them.
        classifier: The judge; ``None`` uses :func:`~pygan.metrics.default_classifier`.
        parzen_test: Held-out real digits for the Parzen-window log-likelihood (the MNIST
            test set in the paper); ``None`` skips Parzen.
        parzen_valid: Real digits to choose the Parzen sigma on; ``None`` holds out a random
            tenth of ``parzen_test`` (1,000 of the MNIST test set) and tests on the rest.
        batch_size: Images per generator and classifier pass, and the Parzen block size.
        seed: Seeds the latent noise.

    Returns:
        A flat dict of JSON-ready values: ``n``, ``classifier_accuracy`` (on the classifier's
        held-out digits), ``real_accuracy`` (if ``real`` has labels), ``modes``,
        ``kl_uniform``, ``classifier_score``, ``frechet_distance``, optionally
        ``parzen_log_likelihood``, ``parzen_se``, ``parzen_sigma`` and ``parzen_n_test``,
        then ``class_histogram``; with ``reference``, ``reference_n`` and the same figures
        prefixed ``reference_``.

    Raises:
        ValueError: The generator's images do not have the classifier's shape.

    Example:
        >>> from pygan import MLPGenerator
        >>> from pygan.metrics import train_classifier
        >>> digits = torch.randint(0, 256, (60, 1, 8, 8), dtype=torch.uint8)
        >>> judge = train_classifier(digits, torch.arange(60) % 10, epochs=1)
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
        >>> figures = evaluate_generator(
        ...     g, n=50, real=digits, reference=digits[:30], classifier=judge)
        >>> figures["n"], figures["reference_n"], 1 <= figures["modes"] <= 10
        (50, 30, True)
    """
    classifier = default_classifier() if classifier is None else classifier
    if tuple(generator.output_shape) != classifier.input_shape:
        raise ValueError(
            f"The generator makes images of shape {tuple(generator.output_shape)} but the "
            f"classifier judges {classifier.input_shape}; give a classifier trained on images "
            f"of the generator's shape."
        )
    if real is None:
        from pygan.data.datasets import mnist_5k

        real = mnist_5k()
    real_features, real_probs = classifier.embed(real, batch_size=batch_size)
    real_statistics = gaussian_statistics(real_features)
    results: dict[str, Any] = {
        "n": check_int("n", n),
        "classifier_accuracy": classifier.test_accuracy,
    }
    labels = real.labels if isinstance(real, ImageDataset) else None
    if labels is not None:
        results["real_accuracy"] = float((real_probs.argmax(dim=1) == labels).float().mean())
    measure = functools.partial(
        measure_images,
        classifier=classifier,
        real_statistics=real_statistics,
        parzen_test=parzen_test,
        parzen_valid=parzen_valid,
        batch_size=batch_size,
    )
    results.update(measure(sample_images(generator, n, batch_size=batch_size, seed=seed)))
    if reference is not None:
        figures = measure(reference)
        results["reference_n"] = len(as_images(reference))
        results.update({f"reference_{key}": value for key, value in figures.items()})
    return results
