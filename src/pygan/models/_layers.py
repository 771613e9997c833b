"""Activation and normalization layers chosen by name, shared by the built-in models."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from pygan._validation import check_int

__all__ = ["ACTIVATIONS", "NORMS", "Dropout", "MinibatchStd", "UpsampleConv2d", "make_activation", "check_choice"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
    "elu": lambda: nn.ELU(inplace=True),
    "gelu": nn.GELU,
    "silu": lambda: nn.SiLU(inplace=True),
    "tanh": nn.Tanh,
}
"""Activation names the built-in models accept (LeakyReLU uses slope 0.2, as DCGAN does)."""

NORMS = ("none", "batch", "layer", "spectral")
"""Normalization names the built-in models accept."""


def check_choice(name: str, value: object, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"Expected {name} to be one of {', '.join(repr(c) for c in choices)}, got {value!r}."
        )
    return value


def make_activation(name: str) -> nn.Module:
    """Build the activation layer called ``name`` (see :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[check_choice("activation", name, list(ACTIVATIONS))]()


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` that draws its masks 15 random bits at a time on the CPU.

    ``torch.bernoulli_`` on the CPU draws one 32-bit number per element and was the slowest
    operation of the MLP discriminator's training step (28% of its time, more than its matrix
    products). Here four mask elements share one 64-bit draw: an element is kept when its 15
    bits, read as a number in [0, 32768), are at least ``round(p * 32768)``, so the drop
    probability is ``p`` to within 1/65536 (exactly, for multiples of 1/32768 such as 0.5).
    Other devices, and ``inplace=True``, use :func:`torch.nn.functional.dropout`.

    Example:
        >>> layer = Dropout(0.5)
        >>> y = layer(torch.ones(10_000))
        >>> sorted(set(y.tolist()))  # dropped, or kept and scaled by 1 / (1 - p)
        [0.0, 2.0]
        >>> 0.45 < (y == 0).float().mean().item() < 0.55
        True
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if x.device.type != "cpu" or self.inplace:
            return F.dropout(x, self.p, True, self.inplace)
        return x * (_keep_mask(x.shape, self.p).to(x.dtype) / (1 - self.p))


def _keep_mask(shape: torch.Size, p: float) -> torch.Tensor:
    """A boolean CPU tensor of ``shape`` whose elements are True with probability ``1 - p``."""
    n = shape.numel()
    # random_() fills int64 with 63 uniform bits (the sign bit is always 0), so each of the
    # four 16-bit pieces of a word has its low 15 bits uniform.
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_()
    bits = words.view(torch.int16)[:n].view(shape) & 0x7FFF
    return bits >= round(p * 32768)


class MinibatchStd(nn.Module):
    """The minibatch standard deviation of ProGAN (Karras et al. 2018), for flat features:
    appends to each sample one feature, the standard deviation of every feature over the
    sample's group of ``group`` samples, averaged over the features.

    A discriminator that has it sees how varied a batch is, so a generator that makes too
    little variety is told apart. Sample ``i`` of a batch of ``n`` is in group ``i % (n / g)``,
    where ``g`` is the largest divisor of ``n`` up to ``group``. It mixes the samples of a batch
    (``mixes_batch``): real and generated images must then go through the discriminator in
    separate passes, which the Trainer does (:attr:`pygan.Discriminator.has_batch_statistics`).

    Example:
        >>> layer = MinibatchStd(group=2)
        >>> x = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
        >>> layer(x)  # groups {0, 2} and {1, 3}: standard deviation 1 in each
        tensor([[0., 0., 1.],
                [1., 1., 1.],
                [2., 2., 1.],
                [3., 3., 1.]])
    """

    mixes_batch = True
    """The output of a sample depends on the other samples of its batch."""

    def __init__(self, group: int = 4) -> None:
        super().__init__()
        self.group = check_int("group", group)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(n, features)`` to ``(n, features + 1)``."""
        n = x.shape[0]
        g = min(self.group, n)
        while n % g:
            g -= 1
        std = x.float().view(g, n // g, -1).std(dim=0, unbiased=False).mean(dim=1)
        return torch.cat([x, std.repeat(g).to(x.dtype).unsqueeze(1)], dim=1)


class UpsampleConv2d(nn.Conv2d):
    """Nearest-neighbour upsampling by 2, then a 3x3 convolution (padding 1), run as one
    transposed convolution.

    Upsampling before convolving gives every output pixel the same number of contributions,
    so it avoids the checkerboard pattern a strided transposed convolution can leave (Odena et
    al. 2016, "Deconvolution and Checkerboard Artifacts"). The pair is exactly a 4x4 transposed
    convolution of stride 2 and padding 1 whose kernel is the 3x3 kernel, flipped, summed over
    a 2x2 box (:meth:`transposed_kernel`): that is how it runs, because on the CPU in bfloat16
    the transposed convolution takes less than half the time of the upsampling and
    convolution it stands for. The weights are a :class:`torch.nn.Conv2d`'s, shape
    ``(out_channels, in_channels, 3, 3)``, so spectral norm and checkpoints treat it as one.

    Args:
        in_channels: Channels of the input map.
        out_channels: Channels of the output map, twice the height and width.
        bias: Add a learned bias per output channel.

    Example:
        >>> layer = UpsampleConv2d(4, 2)
        >>> x = torch.randn(1, 4, 7, 7)
        >>> layer(x).shape
        torch.Size([1, 2, 14, 14])
        >>> upsampled = F.interpolate(x, scale_factor=2, mode="nearest")
        >>> torch.allclose(layer(x), F.conv2d(upsampled, layer.weight, layer.bias, padding=1), atol=1e-5)
        True
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1, bias=bias)

    def transposed_kernel(self) -> torch.Tensor:
        """The ``(in_channels, out_channels, 4, 4)`` kernel of the equivalent transposed
        convolution."""
        padded = F.pad(self.weight.flip(-1, -2).transpose(0, 1), (1, 1, 1, 1))
        return padded[..., :-1, :-1] + padded[..., 1:, :-1] + padded[..., :-1, 1:] + padded[..., 1:, 1:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(n, in_channels, h, w)`` to ``(n, out_channels, 2h, 2w)``."""
        return F.conv_transpose2d(x, self.transposed_kernel(), self.bias, stride=2, padding=1)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, upsample=2 (nearest), kernel_size=(3, 3), bias={self.bias is not None}"
