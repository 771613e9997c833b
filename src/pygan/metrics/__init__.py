"""Quality figures for generated images, in the feature space of judges trained on real images.

A judge is a small classifier (:class:`CNNJudge` or :class:`MLPJudge`) that pygan trains on
the training split of a labelled dataset and caches (:func:`get_judge`, :func:`get_judges`);
the figures are reported as the mean and spread over an ensemble of judges
(:data:`DEFAULT_JUDGES`), since a figure that holds on one judge only may be that judge's
blind spot. The metrics are plain functions of the judges' features and predictions:
:func:`frechet_distance` (with :func:`bootstrap_frechet_distances` for its interval),
:func:`classifier_score`, :func:`mode_coverage`, for conditional generators
:func:`conditional_accuracy` and :func:`intra_class_frechet_distance`, and the judge-free
Parzen-window log-likelihood over pixels (:func:`parzen_window`).
:func:`evaluate_generator` computes them all (``draws=6`` averages the Fréchet distance over
six draws of latent vectors, :func:`frechet_over_draws`); the ``evaluation`` callback logs
the cheap ones during training.
"""

from pygan.metrics.classifier import (
    CACHE_ENV,
    DEFAULT_DATA,
    DEFAULT_JUDGES,
    cache_dir,
    default_classifier,
    get_classifier,
    get_judge,
    get_judges,
    training_split,
)
from pygan.metrics.conditional import (
    class_statistics,
    conditional_accuracy,
    intra_class_frechet_distance,
    intra_class_frechet_distance_from_statistics,
)
from pygan.metrics.coverage import ModeCoverage, mode_coverage
from pygan.metrics.evaluate import (
    balanced_labels,
    choose_judges,
    evaluate_generator,
    frechet_over_draws,
    measure_generator,
    sample_images,
)
from pygan.metrics.frechet import (
    bootstrap_frechet_distances,
    frechet_distance,
    frechet_distance_from_statistics,
    gaussian_statistics,
    percentile_interval,
    sqrtm_psd,
)
from pygan.metrics.judge import JUDGE_ARCHITECTURES, CNNJudge, DigitClassifier, Judge, MLPJudge
from pygan.metrics.measure import (
    RealStatistics,
    check_judges_fit,
    frechet_distances,
    measure_images,
    measure_with_judges,
    real_statistics_of,
    summarize_judges,
)
from pygan.metrics.parzen import (
    SIGMAS,
    ParzenResult,
    parzen_log_likelihoods,
    parzen_window,
    select_sigma,
)
from pygan.metrics.score import classifier_score
from pygan.metrics.training import train_classifier

__all__ = [
    "CACHE_ENV",
    "DEFAULT_DATA",
    "DEFAULT_JUDGES",
    "JUDGE_ARCHITECTURES",
    "SIGMAS",
    "CNNJudge",
    "DigitClassifier",
    "Judge",
    "MLPJudge",
    "ModeCoverage",
    "ParzenResult",
    "RealStatistics",
    "balanced_labels",
    "bootstrap_frechet_distances",
    "cache_dir",
    "check_judges_fit",
    "choose_judges",
    "class_statistics",
    "classifier_score",
    "conditional_accuracy",
    "default_classifier",
    "evaluate_generator",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "frechet_distances",
    "frechet_over_draws",
    "gaussian_statistics",
    "get_classifier",
    "get_judge",
    "get_judges",
    "intra_class_frechet_distance",
    "intra_class_frechet_distance_from_statistics",
    "measure_generator",
    "measure_images",
    "measure_with_judges",
    "mode_coverage",
    "parzen_log_likelihoods",
    "parzen_window",
    "percentile_interval",
    "real_statistics_of",
    "sample_images",
    "select_sigma",
    "sqrtm_psd",
    "summarize_judges",
    "train_classifier",
    "training_split",
]
