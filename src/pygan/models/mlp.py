"""Multilayer-perceptron generator and discriminator (Goodfellow et al. 2014, and the
tutorials that follow it).

Every classic MNIST MLP GAN is a configuration of these two classes: the widths, activation,
dropout, normalization, latent size and image shape are all arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from pygan._validation import check_fraction, check_widths
from pygan.models._layers import NORMS, Dropout, check_choice, make_activation
from pygan.models.base import Discriminator, Generator
from pygan.registry import DISCRIMINATORS, GENERATORS

__all__ = ["MLPDiscriminator", "MLPGenerator"]


def _mlp(
    sizes: Sequence[int], activation: str, dropout: float, norm: str
) -> list[nn.Module]:
    """Hidden layers: Linear -> [norm] -> activation -> [dropout] for each consecutive pair."""
    layers: list[nn.Module] = []
    for width_in, width_out in zip(sizes[:-1], sizes[1:]):
        linear = nn.Linear(width_in, width_out)
        layers.append(spectral_norm(linear) if norm == "spectral" else linear)
        if norm == "batch":
            layers.append(nn.BatchNorm1d(width_out))
        elif norm == "layer":
            layers.append(nn.LayerNorm(width_out))
        layers.append(make_activation(activation))
        if dropout > 0:
            layers.append(Dropout(dropout))
    return layers


@GENERATORS.register("mlp")
class MLPGenerator(Generator):
    """An MLP generator: ``z`` -> hidden layers -> ``tanh`` image.

    Args:
        latent_dim: Size of the noise vector.
        output_shape: Image shape, channels first.
        hidden: Widths of the hidden layers, in order.
        activation: ``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``silu`` or ``tanh``.
        dropout: Dropout after each hidden activation, in [0, 1).
        norm: ``none``, ``batch``, ``layer`` or ``spectral``, after each hidden linear layer.

    Raises:
        ValueError: A width is not positive, dropout is outside [0, 1), or an unknown
            activation or norm name.

    Example:
        >>> g = MLPGenerator(latent_dim=64, hidden=(512, 1024), activation="relu")
        >>> g(torch.randn(4, 64)).shape
        torch.Size([4, 1, 28, 28])
    """

    def __init__(
        self,
        latent_dim: int = 100,
        output_shape: Sequence[int] = (1, 28, 28),
        hidden: Sequence[int] = (256, 512, 1024),
        activation: str = "leaky_relu",
        dropout: float = 0.0,
        norm: str = "none",
    ) -> None:
        super().__init__(latent_dim=latent_dim, output_shape=output_shape)
        widths = check_widths("hidden", hidden)
        dropout = check_fraction("dropout", dropout)
        check_choice("norm", norm, NORMS)
        out_features = int(torch.tensor(self.output_shape).prod())
        sizes = (self.latent_dim, *widths)
        last = nn.Linear(sizes[-1], out_features)
        self.net = nn.Sequential(*_mlp(sizes, activation, dropout, norm), last, nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map ``(n, latent_dim)`` noise to ``(n, *output_shape)`` images in [-1, 1]."""
        return self.net(z).view(-1, *self.output_shape)


@DISCRIMINATORS.register("mlp")
class MLPDiscriminator(Discriminator):
    """An MLP discriminator: flattened image -> hidden layers -> one logit.

    Args:
        input_shape: Image shape, channels first.
        hidden: Widths of the hidden layers, in order.
        activation: ``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``silu`` or ``tanh``.
        dropout: Dropout after each hidden activation, in [0, 1).
        norm: ``none``, ``batch``, ``layer`` or ``spectral`` (spectral also wraps the last
            layer, which keeps the discriminator Lipschitz).

    Example:
        >>> d = MLPDiscriminator(hidden=(1024, 512), dropout=0.3)
        >>> d(torch.randn(4, 1, 28, 28)).shape
        torch.Size([4])
    """

    def __init__(
        self,
        input_shape: Sequence[int] = (1, 28, 28),
        hidden: Sequence[int] = (1024, 512, 256),
        activation: str = "leaky_relu",
        dropout: float = 0.3,
        norm: str = "none",
    ) -> None:
        super().__init__(input_shape=input_shape)
        widths = check_widths("hidden", hidden)
        dropout = check_fraction("dropout", dropout)
        check_choice("norm", norm, NORMS)
        in_features = int(torch.tensor(self.input_shape).prod())
        sizes = (in_features, *widths)
        last = nn.Linear(sizes[-1], 1)
        if norm == "spectral":
            last = spectral_norm(last)
        self.net = nn.Sequential(nn.Flatten(), *_mlp(sizes, activation, dropout, norm), last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(n, *input_shape)`` images to ``(n,)`` logits."""
        return self.net(x).squeeze(1)
