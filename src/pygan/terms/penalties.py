"""Discriminator penalties as loss terms: WGAN-GP's gradient penalty and R1."""

from __future__ import annotations

from collections.abc import Callable

import torch

from pygan import functional as PF
from pygan.registry import TERMS
from pygan.terms.base import LossTerm, Step

__all__ = ["GradientPenalty", "R1Penalty"]


@TERMS.register("gradient_penalty")
class GradientPenalty(LossTerm):
    """WGAN-GP's gradient penalty (Gulrajani et al. 2017), ``E(||∇D(x̂)|| - 1)²`` at random
    points between real and generated images (:func:`pygan.functional.gradient_penalty`), in
    the discriminator's update. ``WassersteinLoss(gp_weight=λ)`` adds it for you.

    Args:
        weight: The paper's lambda (10 by default).

    Example:
        >>> GradientPenalty().weight
        10.0
    """

    def __init__(self, weight: float = 10.0) -> None:
        super().__init__(weight)

    def discriminator_term(self, step: Step) -> torch.Tensor:
        """The penalty at points between ``step.real`` and ``step.fake`` (a conditional
        discriminator reads them with the real images' labels)."""
        return PF.gradient_penalty(_critic(step), step.real, step.fake)


@TERMS.register("r1")
class R1Penalty(LossTerm):
    """The R1 penalty (Mescheder et al. 2018), ``½E||∇D(x)||²`` on the real images
    (:func:`pygan.functional.r1_penalty`), in the discriminator's update. The weight is the
    paper's gamma; the built-in losses' ``r1_weight`` adds it for you.

    Example:
        >>> R1Penalty(weight=10.0).weight
        10.0
    """

    def discriminator_term(self, step: Step) -> torch.Tensor:
        """Half the squared gradient norm of the discriminator at ``step.real``."""
        return 0.5 * PF.r1_penalty(_critic(step), step.real)


def _critic(step: Step) -> Callable[[torch.Tensor], torch.Tensor]:
    """The discriminator as a function of images; a conditional one reads the real labels."""
    if not step.discriminator.num_classes:
        return step.discriminator
    return lambda images: step.discriminator(images, step.real_labels)
