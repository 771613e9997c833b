"""DCGAN generator and discriminator (Radford et al. 2016) for small square images.

The networks grow from (or shrink to) a base size by factors of two: 28x28 images use a
7x7 base and two up-sampling steps, 32x32 and 64x64 a 4x4 base and three or four.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from pygan._validation import check_int
from pygan.models._conditioning import HeadsAndLabels, check_conditioning, require_labels
from pygan.models._layers import check_choice
from pygan.models.mlp import check_heads
from pygan.models.base import Discriminator, Generator
from pygan.registry import DISCRIMINATORS, GENERATORS

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "dcgan_base_size"]


def dcgan_base_size(shape: Sequence[int]) -> tuple[int, int]:
    """Return ``(base, steps)`` with ``base * 2**steps`` equal to the image side.

    Raises:
        ValueError: The image is not square, or its side is not ``base * 2**steps`` with
            ``steps >= 1`` and ``base <= 8``.

    Example:
        >>> dcgan_base_size((1, 28, 28)), dcgan_base_size((3, 32, 32))
        ((7, 2), (4, 3))
    """
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"DCGAN models need square (C, H, H) images, got shape {tuple(shape)}.")
    side, steps = shape[1], 0
    while side % 2 == 0 and side > 4:
        side //= 2
        steps += 1
    if steps == 0 or side > 8:
        raise ValueError(
            f"DCGAN models need an image side of base * 2**k with base <= 8 and k >= 1 "
            f"(e.g. 28, 32, 64), got {shape[1]}."
        )
    return side, steps


@GENERATORS.register("dcgan")
class DCGANGenerator(Generator):
    """A DCGAN generator: linear projection to a small feature map, then transposed
    convolutions (batch norm, ReLU) that double its size up to the image.

    Args:
        latent_dim: Size of the noise vector.
        output_shape: Square image shape, channels first: 28x28, 32x32, 64x64, ...
        base_channels: Channels of the last hidden feature map; earlier ones double.
        num_classes: Make a conditional generator of this many classes: a learned embedding
            of the label (``num_classes`` entries) is joined to ``z``. 0: unconditional.

    Example:
        >>> g = DCGANGenerator(latent_dim=16, output_shape=(1, 28, 28), base_channels=8)
        >>> g(torch.randn(2, 16)).shape
        torch.Size([2, 1, 28, 28])
        >>> DCGANGenerator(latent_dim=16, base_channels=8, num_classes=10).sample(3, labels=4).shape
        torch.Size([3, 1, 28, 28])
    """

    def __init__(
        self,
        latent_dim: int = 100,
        output_shape: Sequence[int] = (1, 28, 28),
        base_channels: int = 64,
        num_classes: int = 0,
    ) -> None:
        super().__init__(latent_dim=latent_dim, output_shape=output_shape, num_classes=num_classes)
        base_channels = check_int("base_channels", base_channels)
        base, steps = dcgan_base_size(self.output_shape)
        channels = [base_channels * 2 ** (steps - 1 - i) for i in range(steps)]
        self._top = (channels[0], base, base)
        self.project = nn.Sequential(
            nn.Linear(self.latent_dim + self.num_classes, channels[0] * base * base, bias=False),
            nn.BatchNorm1d(channels[0] * base * base),
            nn.ReLU(inplace=True),
        )
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
        layers += [
            nn.ConvTranspose2d(channels[-1], self.output_shape[0], 4, stride=2, padding=1),
            nn.Tanh(),
        ]
        self.upsample = nn.Sequential(*layers)
        self.embedding = nn.Embedding(self.num_classes, self.num_classes) if self.num_classes else None

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``(n, latent_dim)`` noise (and, when conditional, ``(n,)`` labels) to
        ``(n, *output_shape)`` images in [-1, 1]."""
        if require_labels(self, labels) is not None:
            z = torch.cat([z, self.embedding(labels).to(z.dtype)], dim=1)  # type: ignore[misc]
        return self.upsample(self.project(z).view(-1, *self._top))


@DISCRIMINATORS.register("dcgan")
class DCGANDiscriminator(HeadsAndLabels, Discriminator):
    """A DCGAN discriminator: strided convolutions (LeakyReLU 0.2) that halve the image down
    to the base size, then one linear logit.

    Args:
        input_shape: Square image shape, channels first.
        base_channels: Channels of the first feature map; later ones double.
        norm: ``batch`` (the paper's), ``layer`` (per-sample; use it with the Wasserstein
            gradient penalty), ``spectral`` or ``none``. The first layer is never normalized.
        heads: Auxiliary heads by name and size (``{"class": 10}`` for ACGAN): linear layers on
            the last feature map, returned by ``forward(x, heads=True)``.
        num_classes: Make a conditional discriminator of this many classes; 0: unconditional.
        conditioning: ``"projection"`` (the default; a learned class embedding's inner product
            with the last feature map is added to the logit, Miyato & Koyama 2018) or
            ``"concat"`` (a learned map of the label joined to the image as one more channel).

    Example:
        >>> d = DCGANDiscriminator(input_shape=(1, 28, 28), base_channels=8)
        >>> d(torch.randn(2, 1, 28, 28)).shape
        torch.Size([2])
        >>> d = DCGANDiscriminator(base_channels=8, num_classes=10, conditioning="concat")
        >>> d(torch.randn(2, 1, 28, 28), torch.tensor([3, 5])).shape
        torch.Size([2])
    """

    def __init__(
        self,
        input_shape: Sequence[int] = (1, 28, 28),
        base_channels: int = 64,
        norm: str = "batch",
        heads: Mapping[str, int] | None = None,
        num_classes: int = 0,
        conditioning: str = "projection",
    ) -> None:
        super().__init__(input_shape=input_shape, num_classes=num_classes)
        base_channels = check_int("base_channels", base_channels)
        check_choice("norm", norm, ("none", "batch", "layer", "spectral"))
        self.conditioning = check_conditioning(conditioning)
        concat = bool(self.num_classes) and self.conditioning == "concat"
        base, steps = dcgan_base_size(self.input_shape)
        channels = [self.input_shape[0] + concat] + [base_channels * 2**i for i in range(steps)]
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
            conv = nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=norm != "batch" or i == 0)
            layers.append(spectral_norm(conv) if norm == "spectral" else conv)
            if i > 0 and norm == "batch":
                layers.append(nn.BatchNorm2d(c_out))
            elif i > 0 and norm == "layer":
                layers.append(nn.GroupNorm(1, c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
        features = channels[-1] * base * base
        last = nn.Linear(features, 1)
        if norm == "spectral":
            last = spectral_norm(last)
        self.net = nn.Sequential(*layers, nn.Flatten(), last)
        self.heads = nn.ModuleDict({name: nn.Linear(features, size) for name, size in check_heads(heads).items()})
        side = self.input_shape[1]
        size = side * side if concat else features
        self.embedding = nn.Embedding(self.num_classes, size) if self.num_classes else None

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, *, heads: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Map ``(n, *input_shape)`` images (and, when conditional, their ``(n,)`` labels) to
        ``(n,)`` logits; ``heads=True`` also returns each head's outputs by name."""
        if require_labels(self, labels) is None and not heads:
            return self.net(x).squeeze(1)
        if self.embedding is not None and self.conditioning == "concat":
            label_map = self.embedding(labels).to(x.dtype).view(-1, 1, *self.input_shape[1:])
            x = torch.cat([x, label_map], dim=1)
        features = self.net[:-1](x)
        return self.outputs(features, labels, heads)
