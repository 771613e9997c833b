"""InfoGAN's information term (Chen et al. 2016)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from pygan.registry import TERMS
from pygan.terms.base import LossTerm, Step

if TYPE_CHECKING:
    from pygan.models.base import Discriminator, Generator

__all__ = ["InfoTerm"]


@TERMS.register("info")
class InfoTerm(LossTerm):
    """InfoGAN's information term: the cross-entropy of the discriminator's code head on
    generated images against the categories of the codes they were made from, added to both
    updates, which teaches the generator to make each category recognizable.

    The generator needs a categorical latent code, read by its ``latent_code(z)`` method
    (:meth:`pygan.MLPGenerator.latent_code`, with ``code_categories=K``), and the
    discriminator a head of ``K`` outputs named ``head``
    (``MLPDiscriminator(heads={"code": K})``).

    Args:
        weight: The term's weight (InfoGAN's lambda; 0.1 in ``examples/mnist_mlp.py --infogan``).
        head: The name of the discriminator's code head.

    Example:
        >>> from pygan import MLPGenerator, MLPDiscriminator, Trainer
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,), code_categories=3)
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,), heads={"code": 3})
        >>> trainer = Trainer(g, d, terms=[InfoTerm(weight=0.1)], device="cpu", seed=0)
        >>> history = trainer.fit(torch.rand(32, 1, 4, 4) * 2 - 1, epochs=1, batch_size=8)
        >>> sorted(key for key in history[-1] if key.endswith("_info"))
        ['d_info', 'g_info']
    """

    def __init__(self, weight: float = 1.0, head: str = "code") -> None:
        super().__init__(weight)
        if not isinstance(head, str) or not head:
            raise TypeError(f"Expected head to be the name of a discriminator head, got {head!r}.")
        self.head = head
        self.needs_heads = (head,)

    def setup(self, generator: Generator, discriminator: Discriminator) -> None:
        """Refuse a generator without a categorical latent code, or a discriminator without the head."""
        if not callable(getattr(generator, "latent_code", None)) or not getattr(generator, "code_categories", 0):
            raise ValueError(
                f"The 'info' term needs a generator with a categorical latent code (a "
                f"latent_code(z) method), but {type(generator).__name__} has none: construct it "
                f"with code_categories=K (e.g. MLPGenerator(code_categories=10))."
            )
        super().setup(generator, discriminator)

    def discriminator_term(self, step: Step) -> torch.Tensor:
        """The code head's cross-entropy on the generated images."""
        return self._cross_entropy(step)

    def generator_term(self, step: Step) -> torch.Tensor:
        """The same cross-entropy, through the generator."""
        return self._cross_entropy(step)

    def _cross_entropy(self, step: Step) -> torch.Tensor:
        codes = step.generator.latent_code(step.z)  # type: ignore[attr-defined]
        return F.cross_entropy(step.fake_heads[self.head].float(), codes)
