"""One-sided label smoothing (Salimans et al. 2016), with optional noisy targets."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import torch

from pygan._validation import check_fraction
from pygan.callbacks.base import Callback, Targets
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["LabelSmoothing"]


@CALLBACKS.register("label_smoothing")
class LabelSmoothing(Callback):
    """Train the discriminator towards ``real`` (0.9 by default) instead of 1 on real images.

    One-sided: the fake target stays 0 unless ``fake`` is given. ``noise`` adds uniform noise
    of that half-width to every per-sample target (clipped to [0, 1]).

    Args:
        real: Target for real images, in [0, 1].
        fake: Target for generated images, in [0, 1].
        noise: Half-width of uniform per-sample noise on both targets, in [0, 0.5].

    Example:
        >>> from pygan.callbacks.base import Targets
        >>> t = Targets(real=1.0, fake=0.0, batch_size=4, device=torch.device("cpu"))
        >>> LabelSmoothing(real=0.9).on_discriminator_step(None, t)
        >>> t.real, t.fake
        (0.9, 0.0)
    """

    def __init__(self, real: float = 0.9, fake: float = 0.0, noise: float = 0.0) -> None:
        self.real = check_fraction("real", real, high_inclusive=True)
        self.fake = check_fraction("fake", fake, high_inclusive=True)
        self.noise = check_fraction("noise", noise, high_inclusive=True)
        if self.noise > 0.5:
            raise ValueError(f"Expected noise to be in [0, 0.5], got {noise}.")

    def on_fit_start(self, trainer: Trainer) -> None:
        """Warn when the loss ignores targets, so smoothing would do nothing."""
        if not trainer.loss.uses_targets:
            warnings.warn(
                f"LabelSmoothing has no effect with {type(trainer.loss).__name__}, which "
                f"ignores real/fake targets.",
                UserWarning,
                stacklevel=2,
            )

    def on_discriminator_step(self, trainer: Trainer, targets: Targets) -> None:
        """Replace the step's targets with the smoothed (and optionally noisy) ones."""
        if self.noise == 0:
            targets.real, targets.fake = self.real, self.fake
            return
        shape, device = (targets.batch_size,), targets.device
        jitter = (torch.rand((2, *shape), device=device) * 2 - 1) * self.noise
        targets.real = (self.real + jitter[0]).clamp_(0, 1)
        targets.fake = (self.fake + jitter[1]).clamp_(0, 1)
