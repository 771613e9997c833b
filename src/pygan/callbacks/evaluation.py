"""Quality figures of the generator every few epochs, logged next to the losses."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from pygan._validation import check_bool, check_int
from pygan.callbacks.base import Callback
from pygan.callbacks.ema import EMA
from pygan.data.loader import ImageDataset
from pygan.models.base import Generator
from pygan.registry import CALLBACKS, DATASETS

if TYPE_CHECKING:
    from pygan.metrics import DigitClassifier, RealStatistics
    from pygan.metrics.judge import Judge
    from pygan.trainer import Trainer

__all__ = ["Evaluation"]

FIGURES = ("modes", "kl_uniform", "classifier_score", "frechet_distance")
CONDITIONAL_FIGURES = ("conditional_accuracy", "intra_class_frechet_distance")
LOGGED = (
    *FIGURES,
    *CONDITIONAL_FIGURES,
    "frechet_distance_low",
    "frechet_distance_high",
    *(f"{figure}_{end}" for figure in FIGURES + CONDITIONAL_FIGURES for end in ("min", "max")),
)
"""Every figure :class:`Evaluation` may add to the epoch logs (besides ``eval_time``)."""


@CALLBACKS.register("evaluation")
class Evaluation(Callback):
    """Judge ``n`` generated images every ``every_n_epochs`` epochs (and after the last) and
    add the cheap figures of :mod:`pygan.metrics` to the epoch's logs: ``modes`` (classes
    holding at least 2% of the images), ``kl_uniform``, ``classifier_score``,
    ``frechet_distance`` (to ``real``) with its 95% bootstrap interval
    (``frechet_distance_low``, ``frechet_distance_high``), for a conditional generator
    ``conditional_accuracy`` and ``intra_class_frechet_distance``, and ``eval_time``
    (seconds the evaluation took).

    The figures are measured by an ensemble of judges (:data:`pygan.metrics.DEFAULT_JUDGES`:
    two CNNs and an MLP, trained on ``data`` the first time, then cached): each is the mean
    over the judges, with the spread in ``<figure>_min`` and ``<figure>_max``. To choose
    checkpoints (``ModelCheckpoint(monitor=...)``) or recipes fairly, evaluate with some
    judges (``judges=["cnn-0", "mlp-1"]``) and report the result with a judge held out of
    the choice (``pygan evaluate CHECKPOINT --judges cnn-2``).

    They land in ``trainer.history`` and in ``metrics.csv`` (the ``csv_logger``); epochs
    without an evaluation have no such keys. The Parzen log-likelihood is left to
    :func:`pygan.metrics.evaluate_generator`: it costs seconds, not milliseconds. The
    Fréchet distance shrinks as ``n`` grows (it is biased upwards for small sets), so compare
    only figures measured with the same ``n``.

    The images come from fixed noise (a private generator seeded with ``seed``: the global
    random state is never touched), in eval mode, from the averaged weights when the trainer
    has an :class:`~pygan.callbacks.EMA` callback and ``use_ema`` is true. A conditional
    generator is asked for every class in turn (``n / num_classes`` images each). Only the
    first process evaluates under ``torchrun``.

    Args:
        every_n_epochs: Evaluate after every this many epochs (and always after the last).
        n: Generated images per evaluation (5,000 take about 2.5 s on a CPU with three judges
            and the interval, 0.8 s with one judge and none).
        real: Real images to compare with: a tensor (``uint8`` or in [-1, 1]), an
            ``ImageDataset``, or the name of a registered dataset (``"mnist_5k"``); ``None``
            uses the training split of ``data``. With labels, a conditional generator's
            classes are compared with theirs.
        classifier: One judge to use alone instead of the ensemble.
        seed: Seed of the fixed noise and of the bootstrap resamples.
        use_ema: Judge the EMA callback's averaged generator when there is one.
        batch_size: Images per generator and judge pass.
        data: The labelled dataset the judges are trained on, as in a config's ``[data]``
            table (``"fashion_mnist"``, ``{name = "image_folder", root = "pets"}``); ``None``
            for ``mnist_5k``.
        judges: The judges' names (``["cnn-0", "mlp-1"]``); ``None`` for
            :data:`pygan.metrics.DEFAULT_JUDGES`.
        bootstrap: Resamples for the Fréchet distance's interval; 0 skips it.
        draws: Draws of ``n`` latent vectors (seeds ``seed`` onwards) to average the Fréchet
            distance over, its interval then the lowest and highest draw. One draw moves the
            distance of 5,000 images by up to ±10% (CNN judges) to ±25% (an MLP judge); a
            checkpoint chosen by it (``monitor="frechet_distance"``) is chosen partly by
            that draw's luck. Each draw adds the cost of a judge pass over ``n`` images.

    Example:
        >>> cb = Evaluation(every_n_epochs=5, n=1000, data="mnist_5k", judges=["cnn-0", "mlp-1"])
        >>> cb.every_n_epochs, cb.n, cb.judges
        (5, 1000, ['cnn-0', 'mlp-1'])
    """

    def __init__(
        self,
        every_n_epochs: int = 5,
        n: int = 1000,
        real: torch.Tensor | ImageDataset | str | None = None,
        classifier: DigitClassifier | None = None,
        seed: int = 0,
        use_ema: bool = True,
        batch_size: int = 500,
        data: str | dict[str, Any] | None = None,
        judges: Sequence[str] | None = None,
        bootstrap: int = 200,
        draws: int = 1,
    ) -> None:
        from pygan.config import DataConfig
        from pygan.metrics.classifier import check_judge_names

        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        self.n = check_int("n", n, minimum=2)
        if real is not None and not isinstance(real, (torch.Tensor, ImageDataset, str)):
            raise TypeError(
                f"Expected real to be a tensor of images, an ImageDataset, a dataset name or "
                f"None, got {type(real).__name__}."
            )
        if isinstance(real, str):
            DATASETS.get(real)  # an unknown name fails here, naming the datasets there are
        self.real = real
        if classifier is not None and judges is not None:
            raise ValueError(
                "Got both classifier and judges: pass one judge as classifier, or several "
                "judges by name."
            )
        self.classifier = classifier
        if data is not None:
            DataConfig.from_value(data, "data")  # an unknown dataset or argument fails here
        self.data = data
        self.judges = None if judges is None else check_judge_names(judges)
        self.seed = check_int("seed", seed, minimum=0)
        self.use_ema = check_bool("use_ema", use_ema)
        self.batch_size = check_int("batch_size", batch_size)
        self.bootstrap = check_int("bootstrap", bootstrap, minimum=0)
        self.draws = check_int("draws", draws)
        self._judges: dict[str, Judge] | None = None
        self._real: torch.Tensor | ImageDataset | None = None
        self._real_statistics: dict[str, RealStatistics] | None = None

    def on_fit_start(self, trainer: Trainer) -> None:
        """Get the judges and the real images' feature statistics (once), so that a missing
        dataset or a wrong image shape fails before training."""
        if trainer.is_global_zero:
            self.prepare(trainer.generator)

    def prepare(self, generator: Generator) -> None:
        """Load (or train) the judges and summarise the real images' features.

        Raises:
            ValueError: The generator's images do not have the judges' shape, or it makes
                more classes than they know.
        """
        from pygan.metrics import (
            DEFAULT_DATA,
            check_judges_fit,
            choose_judges,
            real_statistics_of,
            training_split,
        )

        if self._judges is None:
            data = DEFAULT_DATA if self.data is None else self.data
            real = self.real
            if real is None:
                data = real = training_split(data)  # loaded once: the judges' data and the real side
            elif isinstance(real, str):
                real = DATASETS.create(real)
            self._judges = choose_judges(self.classifier, self.judges, data)
            self._real = real
        check_judges_fit(self._judges, generator)
        if self._real_statistics is None:
            self._real_statistics = {
                name: real_statistics_of(judge, self._real, batch_size=self.batch_size)  # type: ignore[arg-type]
                for name, judge in self._judges.items()
            }

    def evaluate(self, generator: Generator) -> dict[str, float]:
        """Return the logged figures (and ``eval_time``) for ``generator``."""
        from pygan.metrics import measure_generator

        started = time.perf_counter()
        self.prepare(generator)
        figures = measure_generator(
            generator,
            self.n,
            self._judges,  # type: ignore[arg-type]
            self._real_statistics,  # type: ignore[arg-type]
            bootstrap=self.bootstrap,
            seed=self.seed,
            draws=self.draws,
            batch_size=self.batch_size,
        )
        logged = {key: value for key, value in figures.items() if key in LOGGED}
        logged["eval_time"] = time.perf_counter() - started
        return logged

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Evaluate on every ``every_n_epochs``-th epoch and after the last one."""
        epoch = trainer.completed_epochs
        if not trainer.is_global_zero or (
            epoch % self.every_n_epochs and epoch != trainer.max_epochs
        ):
            return
        generator: Generator = trainer.generator
        if self.use_ema:
            ema = next((cb for cb in trainer.callbacks if isinstance(cb, EMA)), None)
            generator = ema.averaged_generator() if ema is not None else generator
        logs.update(self.evaluate(generator))
