"""The built-in losses, registered by name; each is a thin class over :mod:`pygan.functional`."""

from __future__ import annotations

import torch

from pygan import functional as PF
from pygan._validation import check_positive_float
from pygan.losses.base import GANLoss, Target
from pygan.registry import LOSSES
from pygan.terms.base import LossTerm
from pygan.terms.penalties import GradientPenalty, R1Penalty

__all__ = [
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "WassersteinLoss",
]


class _R1Penalized(GANLoss):
    """Base of the built-in losses with an optional R1 penalty (``r1_weight``): it costs one
    more discriminator pass with a double backward per D step."""

    r1_weight: float = 0.0  # also for subclasses whose __init__ does not call this one

    def __init__(self, r1_weight: float = 0.0) -> None:
        self.r1_weight = 0.0 if r1_weight == 0 else check_positive_float("r1_weight", r1_weight)

    def terms(self) -> list[LossTerm]:
        """The :class:`~pygan.terms.R1Penalty` of weight ``r1_weight``, if it is above 0 (and
        :meth:`penalty` is not overridden: a subclass's own penalty replaces it)."""
        return [R1Penalty(self.r1_weight)] if self.r1_weight and not _overrides_penalty(self) else []


@LOSSES.register("minimax")
class MinimaxLoss(_R1Penalized):
    """The saturating game of Goodfellow et al. 2014: D maximizes
    ``log D(x) + log(1 - D(G(z)))``; G minimizes ``log(1 - D(G(z)))``.

    Args:
        r1_weight: ``gamma`` of the R1 penalty ``gamma / 2 * E||∇D(x)||²`` on real images
            (:func:`~pygan.functional.r1_penalty`); 0 (the default) turns it off.

    Example:
        >>> round(MinimaxLoss().generator_loss(torch.zeros(2)).item(), 4)
        -0.6931
    """

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """Binary cross-entropy on real and generated logits."""
        return PF.bce_discriminator_loss(real_logits, fake_logits, real_target, fake_target)

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """``E log(1 - D(G(z)))``, to minimize."""
        return PF.minimax_generator_loss(fake_logits)


@LOSSES.register("non_saturating")
class NonSaturatingLoss(MinimaxLoss):
    """The non-saturating GAN loss (the default): the discriminator's side of the minimax
    game, and G maximizes ``log D(G(z))`` instead, which keeps its gradient alive early on.

    Args:
        r1_weight: ``gamma`` of the R1 penalty ``gamma / 2 * E||∇D(x)||²`` on real images
            (:func:`~pygan.functional.r1_penalty`); 0 (the default) turns it off.

    Example:
        >>> round(NonSaturatingLoss().generator_loss(torch.zeros(2)).item(), 4)
        0.6931
    """

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """``-E log D(G(z))``, to minimize."""
        return PF.non_saturating_generator_loss(fake_logits)


@LOSSES.register("least_squares")
class LeastSquaresLoss(_R1Penalized):
    """Least-squares GAN (Mao et al. 2017) with targets a = real, b = fake, c = 1.

    Args:
        r1_weight: ``gamma`` of the R1 penalty ``gamma / 2 * E||∇D(x)||²`` on real images
            (:func:`~pygan.functional.r1_penalty`); 0 (the default) turns it off.

    Example:
        >>> LeastSquaresLoss().generator_loss(torch.ones(2)).item()
        0.0
    """

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """``½E(D(x) - a)² + ½E(D(G(z)) - b)²``."""
        return PF.least_squares_discriminator_loss(
            real_logits, fake_logits, real_target, fake_target
        )

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """``½E(D(G(z)) - 1)²``."""
        return PF.least_squares_generator_loss(fake_logits)


@LOSSES.register("hinge")
class HingeLoss(_R1Penalized):
    """Hinge loss (Lim & Ye 2017; used by SAGAN and BigGAN). Ignores real/fake targets.

    Args:
        r1_weight: ``gamma`` of the R1 penalty ``gamma / 2 * E||∇D(x)||²`` on real images
            (:func:`~pygan.functional.r1_penalty`); 0 (the default) turns it off.

    Example:
        >>> HingeLoss().discriminator_loss(torch.ones(2), -torch.ones(2)).item()
        0.0
    """

    uses_targets = False

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """``E relu(1 - D(x)) + E relu(1 + D(G(z)))``; the targets are ignored."""
        return PF.hinge_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """``-E D(G(z))``."""
        return PF.hinge_generator_loss(fake_logits)


@LOSSES.register("wasserstein")
class WassersteinLoss(GANLoss):
    """Wasserstein loss with gradient penalty (WGAN-GP, Gulrajani et al. 2017).

    Use a discriminator without batch norm (e.g. ``DCGANDiscriminator(norm="layer")`` or an
    MLP) and, as the paper does, several critic steps per generator step (``d_steps=5``).
    Ignores real/fake targets.

    Args:
        gp_weight: Weight of the gradient penalty (the paper's lambda = 10); 0 turns it off.

    Example:
        >>> WassersteinLoss(gp_weight=10.0).generator_loss(torch.ones(2)).item()
        -1.0
    """

    uses_targets = False

    def __init__(self, gp_weight: float = 10.0) -> None:
        self.gp_weight = 0.0 if gp_weight == 0 else check_positive_float("gp_weight", gp_weight)

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: Target = 1.0,
        fake_target: Target = 0.0,
    ) -> torch.Tensor:
        """``E D(G(z)) - E D(x)``; the targets are ignored."""
        return PF.wasserstein_discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """``-E D(G(z))``."""
        return PF.wasserstein_generator_loss(fake_logits)

    def terms(self) -> list[LossTerm]:
        """The :class:`~pygan.terms.GradientPenalty` of weight ``gp_weight``, if it is above 0
        (and :meth:`penalty` is not overridden: a subclass's own penalty replaces it)."""
        return [GradientPenalty(self.gp_weight)] if self.gp_weight and not _overrides_penalty(self) else []


def _overrides_penalty(loss: GANLoss) -> bool:
    """Whether ``loss``'s class writes its own :meth:`~pygan.GANLoss.penalty`, as subclasses
    of pygan 0.1.0's losses did to replace the built-in penalty."""
    return type(loss).penalty is not GANLoss.penalty
