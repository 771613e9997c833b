"""An example pygan plugin: a residual MLP generator and a focal loss.

pyproject.toml registers them through entry points (``residual_mlp`` in
``pygan.generators``, ``focal`` in ``pygan.losses``), so configs can name them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from pygan import GANLoss, Generator

__all__ = ["FocalLoss", "ResidualMLPGenerator"]


class ResidualMLPGenerator(Generator):
    """An MLP generator whose hidden layers are residual blocks of one width.

    Args:
        latent_dim: Size of the noise vector.
        output_shape: Image shape, channels first.
        width: Width of every hidden layer.
        blocks: Number of residual blocks (each: LayerNorm, Linear, LeakyReLU, Linear).
    """

    def __init__(
        self,
        latent_dim: int = 64,
        output_shape: Sequence[int] = (1, 28, 28),
        width: int = 256,
        blocks: int = 2,
    ) -> None:
        super().__init__(latent_dim=latent_dim, output_shape=output_shape)
        self.stem = nn.Linear(self.latent_dim, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, width))
            for _ in range(blocks)
        )
        self.head = nn.Linear(width, int(torch.tensor(self.output_shape).prod()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map ``(n, latent_dim)`` noise to ``(n, *output_shape)`` images in [-1, 1]."""
        x = self.stem(z)
        for block in self.blocks:
            x = x + block(x)
        return torch.tanh(self.head(F.leaky_relu(x, 0.2))).view(-1, *self.output_shape)


class FocalLoss(GANLoss):
    """Focal binary cross-entropy (Lin et al. 2017): easy, confident logits count less.

    The discriminator's loss weights each image's cross-entropy by ``(1 - p_t) ** gamma``,
    where ``p_t`` is the probability it gives the right answer; the generator is trained
    towards "real" the same way. ``gamma = 0`` is the non-saturating loss.

    Args:
        gamma: The focusing exponent, >= 0.
    """

    def __init__(self, gamma: float = 2.0) -> None:
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or gamma < 0:
            raise ValueError(f"Expected gamma to be a number >= 0, got {gamma!r}.")
        self.gamma = float(gamma)

    def _focal(self, logits: torch.Tensor, target: float | torch.Tensor) -> torch.Tensor:
        target = torch.as_tensor(target, dtype=logits.dtype, device=logits.device).expand_as(logits)
        bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        return ((1 - torch.exp(-bce)) ** self.gamma * bce).mean()

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: float | torch.Tensor = 1.0,
        fake_target: float | torch.Tensor = 0.0,
    ) -> torch.Tensor:
        """Focal cross-entropy of real images towards ``real_target`` and fakes towards ``fake_target``."""
        return self._focal(real_logits, real_target) + self._focal(fake_logits, fake_target)

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Focal cross-entropy of generated images towards "real"."""
        return self._focal(fake_logits, 1.0)
