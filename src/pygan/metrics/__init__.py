"""Quality figures for generated digits, in the feature space of a digit classifier.

:class:`DigitClassifier` is the judge (trained on real digits by :func:`get_classifier` and
cached); the metrics are plain functions of its features and predictions:
:func:`frechet_distance`, :func:`classifier_score`, :func:`mode_coverage`, and the
Parzen-window log-likelihood (:func:`parzen_window`) over pixels. :func:`evaluate_generator`
computes them all; the ``evaluation`` callback logs the cheap ones during training.
"""

from pygan.metrics.classifier import (
    CACHE_ENV,
    DigitClassifier,
    cache_dir,
    default_classifier,
    get_classifier,
    train_classifier,
)
from pygan.metrics.coverage import ModeCoverage, mode_coverage
from pygan.metrics.evaluate import evaluate_generator, measure_images, sample_images
from pygan.metrics.frechet import (
    frechet_distance,
    frechet_distance_from_statistics,
    gaussian_statistics,
    sqrtm_psd,
)
from pygan.metrics.parzen import (
    SIGMAS,
    ParzenResult,
    parzen_log_likelihoods,
    parzen_window,
    select_sigma,
)
from pygan.metrics.score import classifier_score

__all__ = [
    "CACHE_ENV",
    "SIGMAS",
    "DigitClassifier",
    "ModeCoverage",
    "ParzenResult",
    "cache_dir",
    "classifier_score",
    "default_classifier",
    "evaluate_generator",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "gaussian_statistics",
    "get_classifier",
    "measure_images",
    "mode_coverage",
    "parzen_log_likelihoods",
    "parzen_window",
    "sample_images",
    "select_sigma",
    "sqrtm_psd",
    "train_classifier",
]
