"""The consistency term: the discriminator should score an image and its augmented copy alike."""

from __future__ import annotations

import torch

from pygan import Discriminator, Generator, LossTerm, Step
from pygan_consistency.augment import translate_and_flip

__all__ = ["ConsistencyTerm"]


class ConsistencyTerm(LossTerm):
    """Consistency regularization (Zhang et al. 2020, "Consistency regularization for
    generative adversarial networks"): in the discriminator's update, ``E (D(x) - D(T(x)))²``
    on the real images, with ``T`` a random shift of a few pixels and a horizontal flip
    (:func:`~pygan_consistency.translate_and_flip`).

    ``D(x)`` is the pass the update optimizes (``step.real_logits``); ``D(T(x))`` is one more
    pass over the augmented images. The value shows as ``d_consistency`` in the epoch's figures.

    Args:
        weight: The paper's lambda (10 by default).
        max_shift: The largest shift, in pixels (the paper shifts 32-pixel images by up to 4).
        flip: Whether ``T`` mirrors half of the images.

    Example:
        >>> term = ConsistencyTerm(max_shift=1)
        >>> term.weight, term.max_shift, term.flip
        (10.0, 1, True)
    """

    def __init__(self, weight: float = 10.0, max_shift: int = 2, flip: bool = True) -> None:
        super().__init__(weight)
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"Expected max_shift to be a whole number of pixels >= 0, got {max_shift!r}.")
        if not isinstance(flip, bool):
            raise TypeError(f"Expected flip to be true or false, got {flip!r}.")
        self.max_shift = max_shift
        self.flip = flip

    def setup(self, generator: Generator, discriminator: Discriminator) -> None:
        """Refuse a discriminator of inputs that are not images larger than the shift."""
        super().setup(generator, discriminator)
        shape = tuple(discriminator.input_shape)
        if len(shape) != 3 or min(shape[1:]) <= self.max_shift:
            raise ValueError(
                f"The consistency term shifts images of shape (channels, height, width) by up to "
                f"max_shift={self.max_shift} pixels, but the discriminator takes {shape}."
            )

    def discriminator_term(self, step: Step) -> torch.Tensor:
        """``E (D(x) - D(T(x)))²`` over the real images of the update."""
        augmented = translate_and_flip(step.real, self.max_shift, self.flip)
        real_logits = step.real_logits  # always computed in the discriminator's update
        return (real_logits - step.discriminator(augmented).float()).pow(2).mean()  # type: ignore[operator]
