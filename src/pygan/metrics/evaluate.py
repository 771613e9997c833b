"""All quality figures of a generator at once, next to the same figures for real images.

:func:`evaluate_generator` samples a generator (a conditional one asked for every class in
turn) and measures the samples against real images in the features of an ensemble of judges
(:func:`~pygan.metrics.get_judges`) trained on a reference dataset: mode coverage, classifier
score, Fréchet distance with its bootstrap interval, for a conditional generator the
conditional accuracy and the intra-class Fréchet distance, and (given held-out images) the
Parzen-window log-likelihood. Given ``reference`` images (real images the generator did not
have to produce, e.g. the training set), it measures them the same way, which is the
yardstick: a generator as good as the data reaches the reference's figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from pygan._labels import Labels, as_labels
from pygan._validation import check_int
from pygan.data.loader import ImageDataset
from pygan.metrics._images import Images, as_images
from pygan.metrics.classifier import DEFAULT_DATA, DEFAULT_JUDGES, DataSpec, get_judges, training_split
from pygan.metrics.judge import Judge
from pygan.metrics.measure import (
    RealStatistics,
    check_judges_fit,
    frechet_distances,
    measure_with_judges,
    real_statistics_of,
    summarize_judges,
)
from pygan.models.base import Generator

__all__ = [
    "balanced_labels",
    "choose_judges",
    "evaluate_generator",
    "frechet_over_draws",
    "measure_generator",
    "sample_images",
]

JudgesSpec = Sequence[str] | Mapping[str, Judge]
"""Judges by name (trained and cached on demand), or judges already at hand by name."""


def balanced_labels(n: int, num_classes: int) -> torch.Tensor:
    """Return ``n`` labels that take every class in turn: ``n / num_classes`` of each (one more
    for the first ``n % num_classes`` classes).

    Example:
        >>> balanced_labels(7, 3)
        tensor([0, 1, 2, 0, 1, 2, 0])
    """
    return torch.arange(check_int("n", n, minimum=0)) % check_int("num_classes", num_classes)


def sample_images(
    generator: Generator,
    n: int,
    *,
    labels: Labels | None = None,
    batch_size: int = 1000,
    seed: int = 0,
) -> torch.Tensor:
    """Draw ``n`` images from ``generator`` (eval mode, no gradients) as a CPU tensor in [-1, 1].

    The latent noise comes from :meth:`~pygan.Generator.sample_latent` with a CPU random
    number generator of its own, seeded with ``seed``: the same noise every call on every
    device, and torch's global random state is not touched. A conditional generator is asked
    for ``labels``, by default :func:`balanced_labels` (every class in turn).

    Args:
        generator: The generator.
        n: How many images.
        labels: For a conditional generator: one class for all (an int), or one per image.
        batch_size: Images per generator pass.
        seed: Seeds the noise.

    Example:
        >>> from pygan import MLPGenerator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> a, b = sample_images(g, 5, batch_size=2), sample_images(g, 5)
        >>> a.shape, torch.allclose(a, b, atol=1e-6)  # batches may round differently
        (torch.Size([5, 1, 4, 4]), True)
    """
    n = check_int("n", n)
    batch_size = check_int("batch_size", batch_size)
    z = generator.sample_latent(n, generator=torch.Generator().manual_seed(seed))
    if not generator.num_classes:
        return torch.cat([generator.sample(len(c), z=c).float().cpu() for c in z.split(batch_size)])
    classes = balanced_labels(n, generator.num_classes) if labels is None else labels
    asked = as_labels(classes, n, generator.num_classes)
    return torch.cat(
        [
            generator.sample(len(c), z=c, labels=y).float().cpu()
            for c, y in zip(z.split(batch_size), asked.split(batch_size))
        ]
    )


def choose_judges(
    classifier: Judge | None, judges: JudgesSpec | None, data: DataSpec | ImageDataset
) -> dict[str, Judge]:
    """The judges to measure with: ``classifier`` alone, the ``judges`` (names are trained on
    ``data`` and cached), or :data:`~pygan.metrics.DEFAULT_JUDGES`.

    Raises:
        ValueError: Both ``classifier`` and ``judges`` are given.

    Example:
        >>> from pygan.metrics import MLPJudge
        >>> judge = MLPJudge(input_shape=(1, 4, 4))
        >>> list(choose_judges(judge, None, "mnist_5k")), list(choose_judges(None, {"x": judge}, "mnist_5k"))
        (['classifier'], ['x'])
    """
    if classifier is not None and judges is not None:
        raise ValueError(
            "Got both classifier and judges: pass one judge as classifier, or several as judges."
        )
    if classifier is not None:
        return {classifier.name or "classifier": classifier}
    if isinstance(judges, Mapping):
        return dict(judges)
    return get_judges(DEFAULT_JUDGES if judges is None else judges, data)


def evaluate_generator(
    generator: Generator,
    *,
    n: int = 10000,
    real: Images | None = None,
    reference: Images | None = None,
    classifier: Judge | None = None,
    judges: JudgesSpec | None = None,
    data: DataSpec | None = None,
    parzen_test: Images | None = None,
    parzen_valid: Images | None = None,
    bootstrap: int = 200,
    batch_size: int = 1000,
    seed: int = 0,
    draws: int = 1,
) -> dict[str, Any]:
    """Return every quality figure of ``generator``, and the same for ``reference`` images.

    Each judged figure is the mean over the judges, with its spread (``_min``, ``_max``) and
    each judge's value (``/cnn-0``); see :func:`~pygan.metrics.summarize_judges`. Choose
    between generators on some judges and report the chosen one on a judge held out of that
    choice (``judges=["cnn-2"]``).

    Args:
        generator: The generator to judge (its images must have the judges' shape). A
            conditional one is asked for every class in turn, ``n / num_classes`` each.
        n: How many images to generate (Goodfellow et al. use 10,000 for Parzen). The
            Fréchet distance is biased upwards for small sets and the Parzen estimate grows
            with the number of samples: compare figures measured with the same sizes.
        real: Real images to compare against (the Fréchet distance's real side), e.g. the
            MNIST test set; ``None`` uses the training split of ``data``. With labels, each
            judge's accuracy on them is reported, and the intra-class Fréchet distance of a
            conditional generator is measured against them.
        reference: Real images to measure like the generated ones, e.g. the training images;
            their figures come back prefixed ``reference_``. ``None`` skips them.
        classifier: One judge to use alone (the figures are then that judge's).
        judges: Judge names (``["cnn-0", "mlp-1"]``), trained on ``data`` and cached, or
            judges at hand by name; ``None`` (and no ``classifier``) uses
            :data:`~pygan.metrics.DEFAULT_JUDGES`.
        data: The labelled dataset the named judges are trained on, as in a config's
            ``[data]`` table (``"fashion_mnist"``); ``None`` for ``mnist_5k``.
        parzen_test: Held-out real images for the Parzen-window log-likelihood (the MNIST
            test set in the paper); ``None`` skips Parzen.
        parzen_valid: Real images to choose the Parzen sigma on; ``None`` holds out a random
            tenth of ``parzen_test`` (1,000 of the MNIST test set) and tests on the rest.
        bootstrap: Resamples of the generated images for the Fréchet distance's 95% interval
            (``frechet_distance_low``, ``frechet_distance_high``); 0 skips it. With
            ``draws`` above 1 the generated images' interval is the draws' instead (the
            ``reference``'s keeps its bootstrap).
        batch_size: Images per generator and judge pass, and the Parzen block size.
        seed: Seeds the latent noise and the resamples.
        draws: Draws of ``n`` latent vectors (seeds ``seed`` to ``seed + draws - 1``) to
            average the Fréchet distance over. One draw moves it by up to ±10% (CNN judges)
            to ±25% (an MLP judge) for a GAN on MNIST-sized images, as much as many
            differences between recipes. Above 1, ``frechet_distance`` (and each judge's) is
            the mean over the draws, ``frechet_distance_low``/``_high`` the lowest and
            highest draw, ``frechet_distance_draws`` each draw's, and ``draws`` their number;
            the other figures are the first draw's.

    Returns:
        A flat dict of JSON-ready values: ``n``, ``judges`` (their names),
        ``classifier_accuracy`` (on each judge's held-out images), ``real_accuracy`` (if
        ``real`` has labels), ``modes``, ``kl_uniform``, ``classifier_score``,
        ``frechet_distance`` and its interval, for a conditional generator
        ``conditional_accuracy`` and ``intra_class_frechet_distance``, ``class_histogram``,
        optionally ``parzen_log_likelihood``, ``parzen_se``, ``parzen_sigma`` and
        ``parzen_n_test``, then each judge's figures; with ``draws`` above 1, ``draws`` and
        ``frechet_distance_draws``; with ``reference``, ``reference_n`` and the same figures
        prefixed ``reference_``.

    Raises:
        ValueError: The generator's images do not have the judges' shape, or it asks for
            more classes than the judges know.

    Example:
        >>> from pygan import MLPGenerator
        >>> from pygan.metrics import train_classifier
        >>> digits = torch.randint(0, 256, (60, 1, 8, 8), dtype=torch.uint8)
        >>> judge = train_classifier(digits, torch.arange(60) % 10, epochs=1)
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
        >>> figures = evaluate_generator(
        ...     g, n=50, real=digits, reference=digits[:30], classifier=judge, bootstrap=20)
        >>> figures["n"], figures["reference_n"], 1 <= figures["modes"] <= 10
        (50, 30, True)
        >>> figures = evaluate_generator(g, n=50, real=digits, classifier=judge, draws=3)
        >>> distances = figures["frechet_distance_draws"]
        >>> len(distances), figures["frechet_distance"] == sum(distances) / 3
        (3, True)
    """
    n = check_int("n", n)
    check_int("draws", draws)  # before any judge is trained or real image measured
    data = DEFAULT_DATA if data is None else data
    if real is None:
        data = real = training_split(data)  # loaded once: the judges' data and the real side
    chosen = choose_judges(classifier, judges, data)
    check_judges_fit(chosen, generator)
    reals = {name: real_statistics_of(judge, real, batch_size=batch_size) for name, judge in chosen.items()}
    results: dict[str, Any] = {"n": n, "judges": list(chosen)}
    results.update(
        summarize_judges(
            {
                name: {"classifier_accuracy": judge.test_accuracy, "real_accuracy": reals[name].accuracy}
                for name, judge in chosen.items()
            }
        )
    )
    measure = {
        "parzen_test": parzen_test,
        "parzen_valid": parzen_valid,
        "bootstrap": bootstrap,
        "seed": seed,
        "batch_size": batch_size,
    }
    results.update(measure_generator(generator, n, chosen, reals, draws=draws, **measure))
    if reference is not None:
        reference_labels = reference.labels if generator.num_classes and isinstance(reference, ImageDataset) else None
        figures = measure_with_judges(reference, chosen, reals, labels=reference_labels, **measure)
        results["reference_n"] = len(as_images(reference))
        results.update({f"reference_{key}": value for key, value in figures.items()})
    return results


def measure_generator(
    generator: Generator,
    n: int,
    judges: Mapping[str, Judge],
    real: Mapping[str, RealStatistics],
    *,
    parzen_test: Images | None = None,
    parzen_valid: Images | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    draws: int = 1,
    batch_size: int = 1000,
) -> dict[str, Any]:
    """Draw ``n`` images from ``generator`` (a conditional one asked for every class in turn)
    and measure them with :func:`~pygan.metrics.measure_with_judges`; with ``draws`` above 1,
    average the Fréchet distance over that many draws of latent vectors (seeds ``seed`` to
    ``seed + draws - 1``, combined by :func:`frechet_over_draws`; no bootstrap then). What
    :func:`evaluate_generator` and the ``evaluation`` callback measure.

    Example:
        >>> from pygan import MLPGenerator
        >>> from pygan.metrics import MLPJudge, real_statistics_of
        >>> judges = {"a": MLPJudge(input_shape=(1, 4, 4))}
        >>> stats = {"a": real_statistics_of(judges["a"], torch.rand(30, 1, 4, 4))}
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> figures = measure_generator(g, 20, judges, stats, draws=2)
        >>> figures["draws"], len(figures["frechet_distance_draws"])
        (2, 2)
    """
    n = check_int("n", n)
    draws = check_int("draws", draws)
    labels = balanced_labels(n, generator.num_classes) if generator.num_classes else None
    images = sample_images(generator, n, labels=labels, batch_size=batch_size, seed=seed)
    figures = measure_with_judges(
        images,
        judges,
        real,
        labels=labels,
        parzen_test=parzen_test,
        parzen_valid=parzen_valid,
        bootstrap=bootstrap if draws == 1 else 0,  # over several draws, their range is the interval
        seed=seed,
        batch_size=batch_size,
    )
    if draws > 1:
        key = "frechet_distance/{}" if len(judges) > 1 else "frechet_distance"
        per_draw = [{name: figures[key.format(name)] for name in judges}]
        for k in range(1, draws):
            more = sample_images(generator, n, labels=labels, batch_size=batch_size, seed=seed + k)
            per_draw.append(frechet_distances(more, judges, real, batch_size=batch_size))
        figures.update(draws=draws, **frechet_over_draws(per_draw))
    return figures


def frechet_over_draws(distances: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """Combine the Fréchet distances of several draws of latent vectors, ``{judge: distance}``
    each: the mean over the draws as ``frechet_distance`` (with one judge) or as each judge's
    figure and the judges' mean and spread (as :func:`~pygan.metrics.summarize_judges`), the
    lowest and highest draw as ``frechet_distance_low``/``_high``, and each draw's figure as
    ``frechet_distance_draws``.

    Example:
        >>> figures = frechet_over_draws([{"cnn-0": 4.0, "mlp-1": 2.0}, {"cnn-0": 6.0, "mlp-1": 2.0}])
        >>> [figures[f"frechet_distance{end}"] for end in ("", "_low", "_high", "_draws")]
        [3.5, 3.0, 4.0, [3.0, 4.0]]
        >>> figures["frechet_distance/cnn-0"], figures["frechet_distance_high/cnn-0"]
        (5.0, 6.0)
    """
    if not distances:
        raise ValueError("Expected the Fréchet distances of at least one draw, got none.")
    names = list(distances[0])
    per_judge = {name: [draw[name] for draw in distances] for name in names}
    means = [sum(draw[name] for name in names) / len(names) for draw in distances]
    figures = summarize_judges({name: {"frechet_distance": sum(v) / len(v)} for name, v in per_judge.items()})
    figures.update(frechet_distance_low=min(means), frechet_distance_high=max(means), frechet_distance_draws=means)
    if len(names) > 1:
        for name, values in per_judge.items():
            figures[f"frechet_distance_low/{name}"], figures[f"frechet_distance_high/{name}"] = min(values), max(values)
            figures[f"frechet_distance_draws/{name}"] = values
    return figures
