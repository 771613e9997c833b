"""The :class:`GANLoss` interface."""

from __future__ import annotations

import abc
from typing import ClassVar

import torch

from pygan._init_args import RecordsInitArgs, init_args
from pygan.models.base import Discriminator

__all__ = ["GANLoss", "Target"]

Target = float | torch.Tensor


class GANLoss(metaclass=RecordsInitArgs):
    """The two objectives of a GAN, on raw discriminator logits.

    Subclass contract: write :meth:`discriminator_loss` and :meth:`generator_loss`, both
    returning a scalar tensor to minimize. Override :meth:`penalty` to add a discriminator
    regularizer (the Wasserstein loss adds its gradient penalty there). Set
    ``uses_targets = False`` on losses that ignore the real/fake targets (hinge, Wasserstein),
    so label smoothing can warn that it has no effect.

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
        """Return the generator's loss (a scalar) for logits of generated images."""

    def penalty(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """Return a regularizer added to the discriminator loss, or ``None`` (the default)."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}({args})"
