"""Quality figures of the generator every few epochs, logged next to the losses."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import torch

from pygan._validation import check_bool, check_int
from pygan.callbacks.base import Callback
from pygan.callbacks.ema import EMA
from pygan.data.loader import ImageDataset
from pygan.models.base import Generator
from pygan.registry import CALLBACKS, DATASETS

if TYPE_CHECKING:
    from pygan.metrics import DigitClassifier
    from pygan.trainer import Trainer

__all__ = ["Evaluation"]

LOGGED = ("modes", "kl_uniform", "classifier_score", "frechet_distance")
"""The figures :class:`Evaluation` adds to the epoch logs."""


@CALLBACKS.register("evaluation")
class Evaluation(Callback):
    """Judge ``n`` generated images every ``every_n_epochs`` epochs (and after the last) and
    add the cheap figures of :mod:`pygan.metrics` to the epoch's logs: ``modes`` (classes
    holding at least 2% of the images), ``kl_uniform``, ``classifier_score``,
    ``frechet_distance`` (to ``real``) and ``eval_time`` (seconds the evaluation took).

    They land in ``trainer.history`` and in ``metrics.csv`` (the ``csv_logger``); epochs
    without an evaluation have no such keys. The Parzen log-likelihood is left to
    :func:`pygan.metrics.evaluate_generator`: it costs seconds, not milliseconds. The
    Fréchet distance shrinks as ``n`` grows (it is biased upwards for small sets), so compare
    only figures measured with the same ``n``.

    The images come from fixed noise (a private generator seeded with ``seed``: the global
    random state is never touched), in eval mode, from the averaged weights when the trainer
    has an :class:`~pygan.callbacks.EMA` callback and ``use_ema`` is true. Only the first
    process evaluates under ``torchrun``.

    Args:
        every_n_epochs: Evaluate after every this many epochs (and always after the last).
        n: Generated images per evaluation (1,000 takes about a second on a CPU).
        real: Real images to compare with: a tensor (``uint8`` or in [-1, 1]), an
            ``ImageDataset``, or the name of a registered dataset (``"mnist_5k"``); ``None``
            uses ``mnist_5k``.
        classifier: The judge; ``None`` uses :func:`pygan.metrics.default_classifier`
            (trained on ``mnist_5k`` the first time, then cached).
        seed: Seed of the fixed noise.
        use_ema: Judge the EMA callback's averaged generator when there is one.
        batch_size: Images per generator and classifier pass.

    Example:
        >>> cb = Evaluation(every_n_epochs=5, n=1000, real="mnist_5k")
        >>> cb.every_n_epochs, cb.n
        (5, 1000)
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
    ) -> None:
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
        self.classifier = classifier
        self.seed = check_int("seed", seed, minimum=0)
        self.use_ema = check_bool("use_ema", use_ema)
        self.batch_size = check_int("batch_size", batch_size)
        self._real_statistics: tuple[torch.Tensor, torch.Tensor] | None = None

    def on_fit_start(self, trainer: Trainer) -> None:
        """Get the classifier and the real images' feature statistics (once), so that a
        missing dataset or a wrong image shape fails before training."""
        if trainer.is_global_zero:
            self.prepare(trainer.generator)

    def prepare(self, generator: Generator) -> None:
        """Load (or train) the classifier and summarise the real images' features.

        Raises:
            ValueError: The generator's images do not have the classifier's shape.
        """
        from pygan.metrics import default_classifier, gaussian_statistics

        if self.classifier is None:
            self.classifier = default_classifier()
        if tuple(generator.output_shape) != self.classifier.input_shape:
            raise ValueError(
                f"The evaluation classifier judges images of shape {self.classifier.input_shape} "
                f"but the generator makes {tuple(generator.output_shape)}; pass a classifier "
                f"trained on images of the generator's shape."
            )
        if self._real_statistics is None:
            real = self.real
            if real is None or isinstance(real, str):
                real = DATASETS.create(real or "mnist_5k")
            features = self.classifier.features(real, batch_size=self.batch_size)
            self._real_statistics = gaussian_statistics(features)

    def evaluate(self, generator: Generator) -> dict[str, float]:
        """Return the logged figures (and ``eval_time``) for ``generator``."""
        from pygan.metrics import measure_images, sample_images

        started = time.perf_counter()
        self.prepare(generator)
        images = sample_images(generator, self.n, batch_size=self.batch_size, seed=self.seed)
        figures = measure_images(
            images,
            classifier=self.classifier,  # type: ignore[arg-type]
            real_statistics=self._real_statistics,  # type: ignore[arg-type]
            batch_size=self.batch_size,
        )
        logged = {key: figures[key] for key in LOGGED}
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
