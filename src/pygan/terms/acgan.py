"""ACGAN's auxiliary classifier term (Odena et al. 2017)."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F

from pygan.registry import TERMS
from pygan.terms.base import LossTerm, Step

__all__ = ["ACGANTerm"]


@TERMS.register("acgan")
class ACGANTerm(LossTerm):
    """ACGAN's auxiliary classifier (Odena et al. 2017): the discriminator's class head learns
    to name the class of real images and of generated ones, and the generator learns to make
    images the head names as the class they were asked for.

    The discriminator's update adds the class head's cross-entropy on the real images against
    their labels plus on the generated images against the labels they were made for; the
    generator's update adds the latter. The generator must be conditional (``num_classes``),
    and the discriminator needs a head of ``num_classes`` outputs named ``head``
    (``MLPDiscriminator(heads={"class": 10})``); the discriminator itself may be
    unconditional, as in the paper.

    Args:
        weight: The term's weight (1 in the paper).
        head: The name of the discriminator's class head.

    Example:
        >>> from pygan import MLPGenerator, MLPDiscriminator, Trainer
        >>> from pygan.data import ImageDataset
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,), num_classes=3)
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,), heads={"class": 3})
        >>> data = ImageDataset(torch.randint(0, 256, (24, 1, 4, 4), dtype=torch.uint8), torch.arange(24) % 3)
        >>> history = Trainer(g, d, terms=[ACGANTerm()], device="cpu", seed=0).fit(data, epochs=1, batch_size=8)
        >>> sorted(key for key in history[-1] if key.endswith("acgan"))
        ['d_acgan', 'g_acgan']
    """

    needs_labels: ClassVar[bool] = True

    def __init__(self, weight: float = 1.0, head: str = "class") -> None:
        super().__init__(weight)
        if not isinstance(head, str) or not head:
            raise TypeError(f"Expected head to be the name of a discriminator head, got {head!r}.")
        self.head = head
        self.needs_heads = (head,)

    def discriminator_term(self, step: Step) -> torch.Tensor:
        """The class head's cross-entropy on real images plus on generated images."""
        real = F.cross_entropy(step.real_heads[self.head].float(), step.real_labels)  # type: ignore[arg-type]
        return real + self.generator_term(step)

    def generator_term(self, step: Step) -> torch.Tensor:
        """The class head's cross-entropy on generated images against their asked-for labels."""
        return F.cross_entropy(step.fake_heads[self.head].float(), step.fake_labels)  # type: ignore[arg-type]
