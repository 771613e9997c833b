"""Synthetic "digits", a conditional generator of them, and quiet training, for the metrics
tests (a helper module, not a conftest: the top-level tests import ``conftest`` by name)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pygan import Generator
from pygan.data import ImageDataset
from pygan.metrics import Judge, train_classifier


def templates(channels: int = 1, size: int = 8) -> torch.Tensor:
    """One fixed blocky pattern per class, ``(10, channels, size, size)`` in {0, 1}."""
    blocks = torch.rand(10, channels, 4, 4, generator=torch.Generator().manual_seed(123)) > 0.5
    return F.interpolate(blocks.float(), size=(size, size), mode="nearest")


def synthetic_images(n: int, seed: int = 0, *, channels: int = 1, size: int = 8) -> ImageDataset:
    """``n`` ``uint8`` images of ten classes (the class's pattern plus noise), in turn."""
    labels = torch.arange(n) % 10
    noise = torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(seed))
    return ImageDataset((templates(channels, size)[labels] * 200 + noise * 55).to(torch.uint8), labels)


def synthetic_digits(n: int, seed: int = 0) -> ImageDataset:
    """``n`` 8x8 grey synthetic digits."""
    return synthetic_images(n, seed)


class TemplateGenerator(Generator):
    """A conditional "generator" that draws the synthetic pattern of class ``(label + shift) %
    10`` plus noise: ``shift=0`` obeys its labels, ``shift=1`` makes real-looking images of
    the wrong class."""

    def __init__(self, shift: int = 0, size: int = 8) -> None:
        super().__init__(latent_dim=size * size, output_shape=(1, size, size), num_classes=10)
        self.shift = shift
        self.register_buffer("patterns", templates(1, size))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        noise = torch.sigmoid(z).view(-1, *self.output_shape)  # uniform-ish in (0, 1)
        pixels = self.patterns[(labels + self.shift) % 10] * 200 + noise * 55
        return pixels / 127.5 - 1


def train_quietly(images: ImageDataset, **recipe: object) -> Judge:
    """:func:`train_classifier` on one thread (fast and steady for tiny networks)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_classifier(images, **recipe)  # type: ignore[arg-type]
    finally:
        torch.set_num_threads(threads)
