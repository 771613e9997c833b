"""The :class:`GANLoss` interface."""

from __future__ import annotations

import abc
from typing import ClassVar

import torch

from pygan._init_args import RecordsInitArgs, init_args
from pygan.models.base import Discriminator
from pygan.terms.base import LossTerm

__all__ = ["GANLoss", "Target"]

Target = float | torch.Tensor
"""A real or fake target: one float for the whole batch, or a tensor of one per sample
(how :class:`~pygan.callbacks.LabelSmoothing` passes noisy targets)."""


class GANLoss(metaclass=RecordsInitArgs):
    """The two objectives of a GAN, on raw discriminator logits.

    Subclass contract: write :meth:`discriminator_loss` and :meth:`generator_loss`, both
    returning a scalar tensor to minimize. Override :meth:`penalty` to add a discriminator
    regularizer (the Wasserstein loss adds its gradient penalty there). Set
    ``uses_targets = False`` on losses that ignore the real/fake targets (hinge, Wasserstein),
    so label smoothing can warn that it has no effect. A loss whose generator side compares
    generated with real images (the relativistic losses) sets ``needs_real_logits = True``:
    the Trainer then computes the real images' logits in the generator's update too and
    passes them as ``generator_loss(fake_logits, real_logits=...)``; the other losses are
    called as ``generator_loss(fake_logits)`` and pay nothing for it.

    Example:
        >>> import torch.nn.functional as F
        >>> class Softplus(GANLoss):
        ...     def discriminator_loss(self, real_logits, fake_logits, real_target=1.0,
        ...                            fake_target=0.0):
        ...         return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        ...     def generator_loss(self, fake_logits):
        ...         return F.softplus(-fake_logits).mean()
        >>> round(Softplus().generator_loss(torch.zeros(3)).item(), 4)
        0.6931
    """

    uses_targets: ClassVar[bool] = True
    needs_real_logits: ClassVar[bool] = False

    @property
    def config(self) -> dict:
        """The keyword arguments this loss was constructed with."""
        return init_args(self)

    @abc.abstractmethod
    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """Return the discriminator's loss (a scalar) for logits of real and fake batches.

        Args:
            real_logits: Discriminator logits of real images, shape ``(n,)``.
            fake_logits: Discriminator logits of generated images, shape ``(m,)``.
            real_target: Target for real images: a float or a per-sample tensor ``(n,)``.
            fake_target: Target for generated images: a float or a tensor ``(m,)``.
        """

    @abc.abstractmethod
    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Return the generator's loss (a scalar) for logits of generated images.

        A loss with ``needs_real_logits = True`` takes ``real_logits`` too:
        ``generator_loss(self, fake_logits, real_logits)``.
        """

    def penalty(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """Return a regularizer added to the discriminator loss, or ``None`` (the default).

        A penalty written as a :class:`~pygan.LossTerm` (returned by :meth:`terms`) shows in
        the epoch's figures under its own name; one returned here is part of ``d_loss``.
        """
        return None

    def terms(self) -> list[LossTerm]:
        """The loss terms this loss brings with it, added before the Trainer's own ``terms``
        (the Wasserstein loss's gradient penalty, the ``r1_weight`` shortcut's R1 term);
        none by default."""
        return []

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}({args})"
