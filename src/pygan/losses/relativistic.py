"""The relativistic losses (Jolicoeur-Martineau 2018), registered by name; thin classes over
:mod:`pygan.functional.relativistic`.

Their generator side reads the real images' logits too (``needs_real_logits``): the Trainer
then runs the real images through the discriminator in the generator's update as well.
"""

from __future__ import annotations

import torch

from pygan import functional as PF
from pygan.losses.base import GANLoss, Target
from pygan.registry import LOSSES

__all__ = ["RelativisticAverageLoss", "RelativisticLoss"]


@LOSSES.register("relativistic")
class RelativisticLoss(GANLoss):
    """Relativistic standard GAN (RSGAN, Jolicoeur-Martineau 2018): real and generated images
    in pairs.

    The discriminator scores how much more real a real image looks than a generated one,
    ``sigmoid(C(x_r) - C(x_f))``, pairing the i-th real image with the i-th generated one; the
    generator plays the same game with the roles swapped. Ignores real/fake targets, so label
    smoothing has no effect.

    Real and generated batches must have the same size (the Trainer's always do).

    Example:
        >>> loss = RelativisticLoss()
        >>> real, fake = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 2.0])
        >>> round(loss.discriminator_loss(real, fake).item(), 4)
        1.1269
        >>> round(loss.generator_loss(fake, real_logits=real).item(), 4)
        1.1269
    """

    uses_targets = False
    needs_real_logits = True

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """``E softplus(-(C(x_r) - C(x_f)))``; the targets are ignored."""
        return PF.relativistic_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """``E softplus(-(C(x_f) - C(x_r)))``."""
        return PF.relativistic_generator_loss(fake_logits, real_logits)


@LOSSES.register("relativistic_average")
class RelativisticAverageLoss(GANLoss):
    """Relativistic average standard GAN (RaSGAN, Jolicoeur-Martineau 2018): each image
    against the other batch's mean.

    The discriminator compares each real image with the mean generated one and each generated
    image with the mean real one; the generator plays the same game with the roles swapped.
    Ignores real/fake targets, so label smoothing has no effect.

    Example:
        >>> loss = RelativisticAverageLoss()
        >>> real, fake = torch.tensor([1.0, 3.0]), torch.zeros(3)
        >>> round(loss.discriminator_loss(real, fake).item(), 4)
        0.3079
        >>> round(loss.generator_loss(fake, real_logits=real).item(), 4)
        4.3079
    """

    uses_targets = False
    needs_real_logits = True

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """``E softplus(-(C(x_r) - E C(x_f))) + E softplus(C(x_f) - E C(x_r))``; the targets
        are ignored."""
        return PF.relativistic_average_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """``E softplus(-(C(x_f) - E C(x_r))) + E softplus(C(x_r) - E C(x_f))``."""
        return PF.relativistic_average_generator_loss(fake_logits, real_logits)
