"""GAN losses as pure functions of discriminator logits.

Everything works on raw logits through ``softplus`` and
``binary_cross_entropy_with_logits``, never on probabilities, so nothing saturates to
``log(0)``. Targets are floats or per-sample tensors of shape ``(n,)``.

Notation: ``D(x) = sigmoid(logit)``; ``log D = -softplus(-logit)``;
``log(1 - D) = -softplus(logit)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "bce_discriminator_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]

Target = float | torch.Tensor
"""A real or fake target: one float for the whole batch, or a tensor of one per sample."""


def _target_like(target: Target, logits: torch.Tensor) -> torch.Tensor:
    if isinstance(target, torch.Tensor):
        return target.to(device=logits.device, dtype=logits.dtype).expand_as(logits)
    return torch.full_like(logits, float(target))


def bce_discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_target: Target = 1.0,
    fake_target: Target = 0.0,
) -> torch.Tensor:
    """Binary cross-entropy of the discriminator: ``BCE(real, t_r) + BCE(fake, t_f)``.

    With targets 1 and 0 this is ``-[log D(x) + log(1 - D(G(z)))]``, the discriminator's side
    of the minimax game (Goodfellow et al. 2014); the minimax and non-saturating losses share it.

    Example:
        >>> round(bce_discriminator_loss(torch.zeros(4), torch.zeros(4)).item(), 4)  # 2 log 2
        1.3863
    """
    real = F.binary_cross_entropy_with_logits(real_logits, _target_like(real_target, real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, _target_like(fake_target, fake_logits))
    return real + fake


def minimax_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The paper's saturating generator loss: minimize ``E log(1 - D(G(z)))``.

    Its gradient vanishes when D confidently rejects the samples, which is why the
    non-saturating loss is the default.

    Example:
        >>> round(minimax_generator_loss(torch.zeros(4)).item(), 4)  # log(1/2)
        -0.6931
    """
    return -F.softplus(fake_logits).mean()


def non_saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: minimize ``-E log D(G(z))``.

    Example:
        >>> round(non_saturating_generator_loss(torch.zeros(4)).item(), 4)  # -log(1/2)
        0.6931
    """
    return F.softplus(-fake_logits).mean()


def least_squares_discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_target: Target = 1.0,
    fake_target: Target = 0.0,
) -> torch.Tensor:
    """LSGAN discriminator loss (Mao et al. 2017): ``½E(D(x) - a)² + ½E(D(G(z)) - b)²`` on
    raw outputs, with ``a`` the real and ``b`` the fake target.

    Example:
        >>> least_squares_discriminator_loss(torch.ones(4), torch.zeros(4)).item()
        0.0
    """
    real = (real_logits - _target_like(real_target, real_logits)).pow(2).mean()
    fake = (fake_logits - _target_like(fake_target, fake_logits)).pow(2).mean()
    return 0.5 * (real + fake)


def least_squares_generator_loss(fake_logits: torch.Tensor, target: Target = 1.0) -> torch.Tensor:
    """LSGAN generator loss: ``½E(D(G(z)) - c)²`` with ``c = 1``.

    Example:
        >>> least_squares_generator_loss(torch.zeros(4)).item()
        0.5
    """
    return 0.5 * (fake_logits - _target_like(target, fake_logits)).pow(2).mean()


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss (Lim & Ye 2017): ``E relu(1 - D(x)) + E relu(1 + D(G(z)))``.

    Example:
        >>> hinge_discriminator_loss(torch.full((4,), 2.0), torch.full((4,), -2.0)).item()
        0.0
    """
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss: ``-E D(G(z))``.

    Example:
        >>> hinge_generator_loss(torch.ones(4)).item()
        -1.0
    """
    return -fake_logits.mean()


def wasserstein_discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """Wasserstein critic loss (Arjovsky et al. 2017): ``E D(G(z)) - E D(x)``.

    Example:
        >>> wasserstein_discriminator_loss(torch.ones(4), torch.zeros(4)).item()
        -1.0
    """
    return fake_logits.mean() - real_logits.mean()


def wasserstein_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss: ``-E D(G(z))``.

    Example:
        >>> wasserstein_generator_loss(torch.ones(4)).item()
        -1.0
    """
    return -fake_logits.mean()
