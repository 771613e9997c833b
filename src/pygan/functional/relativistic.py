"""Relativistic GAN losses (Jolicoeur-Martineau 2018) as pure functions of logits.

A relativistic discriminator estimates how much more realistic real images are than generated
ones, not whether one image is real: ``sigmoid(C(x_r) - C(x_f))`` with ``C`` the raw logits.
Both players' losses then read both the real and the generated logits.

- RSGAN pairs each real image with a generated one: ``E softplus(-(C(x_r) - C(x_f)))`` for the
  discriminator, the same with real and fake swapped for the generator.
- RaSGAN compares each image with the other batch's mean logit:
  ``E softplus(-(C(x_r) - E C(x_f))) + E softplus(C(x_f) - E C(x_r))`` for the discriminator,
  the same with real and fake swapped for the generator.

Everything uses ``softplus`` on logits (``-log sigmoid(a) = softplus(-a)``), never
probabilities. Adding a constant to every logit changes none of these losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
]


def _paired(ahead: torch.Tensor, behind: torch.Tensor, names: tuple[str, str]) -> torch.Tensor:
    """``E softplus(-(ahead - behind))``, pair by pair: the loss of the player that wants
    ``ahead`` to score above ``behind``; ``names`` name the two in the shape error."""
    if ahead.shape != behind.shape:
        raise ValueError(
            f"The relativistic loss pairs each real logit with a generated one, so it needs "
            f"logits of the same shape: got {names[0]} {tuple(ahead.shape)} and {names[1]} "
            f"{tuple(behind.shape)}. Give both batches the same size, or use the "
            f"'relativistic_average' loss, which compares each logit with the other batch's mean."
        )
    return F.softplus(behind - ahead).mean()


def _averaged(ahead: torch.Tensor, behind: torch.Tensor) -> torch.Tensor:
    """``E softplus(-(ahead - E behind)) + E softplus(behind - E ahead)``: the loss of the
    player that wants ``ahead`` to score above the mean of ``behind``, and ``behind`` below
    the mean of ``ahead``."""
    return F.softplus(behind.mean() - ahead).mean() + F.softplus(behind - ahead.mean()).mean()


def relativistic_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """RSGAN's discriminator loss: ``E softplus(-(C(x_r) - C(x_f)))``, the i-th real logit
    paired with the i-th generated one.

    Raises:
        ValueError: The real and generated logits differ in shape.

    Example:
        >>> real, fake = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 2.0])
        >>> round(relativistic_discriminator_loss(real, fake).item(), 4)  # 1 + log(1 + e^-2)
        1.1269
    """
    return _paired(real_logits, fake_logits, ("real", "fake"))


def relativistic_generator_loss(fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """RSGAN's generator loss: ``E softplus(-(C(x_f) - C(x_r)))``, pair by pair.

    Raises:
        ValueError: The real and generated logits differ in shape.

    Example:
        >>> round(relativistic_generator_loss(torch.zeros(3), torch.zeros(3)).item(), 4)  # log 2
        0.6931
    """
    return _paired(fake_logits, real_logits, ("fake", "real"))


def relativistic_average_discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """RaSGAN's discriminator loss: ``E softplus(-(C(x_r) - E C(x_f))) + E softplus(C(x_f) -
    E C(x_r))``. The batches may differ in size.

    Example:
        >>> real, fake = torch.tensor([1.0, 3.0]), torch.zeros(3)
        >>> round(relativistic_average_discriminator_loss(real, fake).item(), 4)
        0.3079
    """
    return _averaged(real_logits, fake_logits)


def relativistic_average_generator_loss(
    fake_logits: torch.Tensor, real_logits: torch.Tensor
) -> torch.Tensor:
    """RaSGAN's generator loss: ``E softplus(-(C(x_f) - E C(x_r))) + E softplus(C(x_r) -
    E C(x_f))``, the discriminator's with real and fake swapped.

    Example:
        >>> real, fake = torch.tensor([1.0, 3.0]), torch.zeros(3)
        >>> round(relativistic_average_generator_loss(fake, real).item(), 4)
        4.3079
    """
    return _averaged(fake_logits, real_logits)
