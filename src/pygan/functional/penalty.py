"""Discriminator gradient penalties as pure functions: WGAN-GP's (Gulrajani et al. 2017) and
R1 (Mescheder et al. 2018)."""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["gradient_penalty", "r1_penalty"]


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Return ``E (||∇ critic(x̂)||₂ - 1)²`` at random points ``x̂`` between real and fake.

    The graph is kept (``create_graph=True``) so the penalty can be back-propagated into the
    critic's weights.

    Args:
        critic: Maps images ``(n, ...)`` to scores ``(n,)``.
        real: Real images.
        fake: Generated images of the same shape (detached from the generator).
        generator: Optional random number generator for the interpolation weights.

    Example:
        >>> critic = lambda x: 3.0 * x.flatten(1).sum(1)  # gradient norm 3 * sqrt(4) = 6
        >>> gradient_penalty(critic, torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)).item()
        25.0
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}."
        )
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
    mixed = alpha * real.detach() + (1 - alpha) * fake.detach()
    return (_critic_gradient(critic, mixed).norm(2, dim=1) - 1).pow(2).mean()


def r1_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """Return ``E ||∇ critic(x)||₂²`` at the real images ``x`` (the R1 regularizer of
    Mescheder et al. 2018, without its factor ``gamma / 2``).

    Pushing the discriminator's gradient on real data towards zero keeps it from growing
    steep around the data, which the paper shows makes the GAN game converge. The graph is
    kept (``create_graph=True``) so the penalty can be back-propagated into the critic.

    Args:
        critic: Maps images ``(n, ...)`` to scores ``(n,)``.
        real: Real images.

    Example:
        >>> critic = lambda x: 3.0 * x.flatten(1).sum(1)  # gradient (3, 3, 3, 3): 36
        >>> r1_penalty(critic, torch.zeros(2, 1, 2, 2)).item()
        36.0
    """
    return _critic_gradient(critic, real).pow(2).sum(1).mean()


def _critic_gradient(critic: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """The gradient of ``critic`` at each of ``points``, flattened to ``(n, features)``, with
    its graph kept so a penalty on it trains the critic."""
    points = points.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return grad.flatten(1)
