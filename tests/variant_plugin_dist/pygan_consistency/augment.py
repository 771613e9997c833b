"""The augmentation the consistency term compares the discriminator's outputs under."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["translate_and_flip"]


def translate_and_flip(
    images: torch.Tensor, max_shift: int = 2, flip: bool = True, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift each image by its own random whole number of pixels in ``[-max_shift,
    max_shift]`` along each axis (the borders repeated into the gap), then mirror it left to
    right with probability 1/2 if ``flip``.

    Args:
        images: A batch ``(n, channels, height, width)``.
        max_shift: The largest shift, in pixels; 0 for none.
        flip: Whether to mirror half of the images (at random).
        generator: The random number generator to draw from; torch's global one by default.

    Example:
        >>> images = torch.zeros(5, 1, 8, 8)
        >>> translate_and_flip(images, max_shift=2).shape
        torch.Size([5, 1, 8, 8])
        >>> torch.equal(translate_and_flip(images + 1, max_shift=0, flip=False), images + 1)
        True
    """
    if images.dim() != 4:
        raise ValueError(f"Expected images of shape (n, channels, height, width), got {tuple(images.shape)}.")
    n, _, height, width = images.shape
    device = images.device
    out = images
    if max_shift:
        padded = F.pad(images, (max_shift,) * 4, mode="replicate")
        starts = torch.randint(0, 2 * max_shift + 1, (2, n, 1), device=device, generator=generator)
        rows = torch.arange(height, device=device) + starts[0]  # (n, height): each image's window
        cols = torch.arange(width, device=device) + starts[1]
        batch = torch.arange(n, device=device)[:, None, None]
        out = padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (n, h, w, c) -> (n, c, h, w)
    if flip:
        mirrored = torch.rand(n, device=device, generator=generator) < 0.5
        out = torch.where(mirrored[:, None, None, None], out.flip(-1), out)
    return out
