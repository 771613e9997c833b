"""The :class:`LossTerm` interface: the extension point for GAN variants, and the
:class:`Step` a term reads.

A GAN variant that changes what a training step optimizes (InfoGAN's information term,
ACGAN's classifier term, a gradient penalty, consistency regularization, ...) is a loss term:
the Trainer adds ``weight * term`` to the update the term belongs to, without a line of the
training loop knowing which variant it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import torch

from pygan._init_args import RecordsInitArgs, init_args
from pygan._validation import check_nonnegative_float

if TYPE_CHECKING:
    from pygan.models.base import Discriminator, Generator
    from pygan.trainer import Trainer

__all__ = ["LossTerm", "Step"]


@dataclass
class Step:
    """What one update of a training step gives its loss terms.

    The discriminator's outputs come from the pass the update optimizes: a term adds to that
    graph rather than running the discriminator again (it may, for a pass of its own, such as
    a gradient penalty at other points).

    Attributes:
        phase: ``"discriminator"`` or ``"generator"``: the update being computed.
        real: The real images of the update, ``(n, *shape)`` in [-1, 1].
        fake: The generated images: detached from the generator in the discriminator's
            update, attached to it in the generator's.
        z: The latent vectors the generated images were made from.
        real_labels: The real images' class labels ``(n,)``, or ``None`` without labels.
        fake_labels: The labels the generated images were asked for, or ``None``.
        real_logits: The discriminator's logits of ``real`` (float32). In the generator's
            update they are computed only when the loss or a term asks for them
            (``needs_real_logits``); else ``None``.
        fake_logits: The discriminator's logits of ``fake`` (float32).
        real_heads: The discriminator's auxiliary outputs on ``real``, by head name (see
            :attr:`pygan.Discriminator.head_names`); empty unless a term asks for heads.
        fake_heads: The same on ``fake``.
        generator: The generator being trained (not a distributed wrapper).
        discriminator: The discriminator being trained.
        trainer: The :class:`~pygan.Trainer` (its ``epoch``, ``global_step``, ...).

    Example:
        >>> from pygan import LossTerm, MLPDiscriminator, MLPGenerator, Trainer
        >>> class Peek(LossTerm):
        ...     def generator_term(self, step):
        ...         print(step.phase, tuple(step.fake.shape), step.real_logits, step.fake_logits.shape)
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,))
        >>> _ = Trainer(g, d, terms=[Peek()], device="cpu").fit(torch.rand(8, 1, 4, 4), epochs=1, batch_size=8)
        generator (8, 1, 4, 4) None torch.Size([8])
    """

    phase: Literal["discriminator", "generator"]
    real: torch.Tensor
    fake: torch.Tensor
    z: torch.Tensor
    real_labels: torch.Tensor | None
    fake_labels: torch.Tensor | None
    real_logits: torch.Tensor | None
    fake_logits: torch.Tensor
    generator: Generator
    discriminator: Discriminator
    trainer: Trainer
    real_heads: dict[str, torch.Tensor] = field(default_factory=dict)
    fake_heads: dict[str, torch.Tensor] = field(default_factory=dict)


class LossTerm(metaclass=RecordsInitArgs):
    """A weighted addition to the discriminator's update, the generator's, or both.

    Subclass contract: override :meth:`discriminator_term`, :meth:`generator_term` or both,
    each returning a scalar tensor to minimize (or ``None`` to add nothing at that step).
    The Trainer adds ``weight * value`` to the loss of the update, after the
    :class:`~pygan.GANLoss`, and shows the weighted value in the epoch's figures as
    ``d_<name>`` and ``g_<name>`` (``name``: the registry name, else the class name in
    snake case). Declare what the term reads so the Trainer computes it:

    - ``needs_heads``: names of discriminator heads (:attr:`pygan.Discriminator.head_names`)
      the term reads from ``step.real_heads``/``step.fake_heads``;
    - ``needs_real_logits``: the generator's update should compute ``step.real_logits``
      (one more discriminator pass over the real images in that update);
    - ``needs_labels``: the term reads ``step.real_labels``/``step.fake_labels`` (so a
      conditional generator may train against an unconditional discriminator, as in ACGAN).

    Override :meth:`setup` to refuse a generator or discriminator the term cannot work with,
    before any training. Register the class (``@TERMS.register("name")``) so configs can name
    it in ``[[terms]]`` tables; a plugin does so through the ``pygan.terms`` entry-point group.

    Args:
        weight: The factor the term's value is multiplied by (>= 0).

    Example:
        >>> class MeanFake(LossTerm):  # pull the generated images' mean towards 0
        ...     def generator_term(self, step):
        ...         return step.fake.mean().abs()
        >>> term = MeanFake(weight=0.5)
        >>> term.weight, term.name
        (0.5, 'mean_fake')
    """

    needs_heads: tuple[str, ...] = ()
    """Discriminator heads this term reads (an instance may set its own in ``__init__``)."""

    needs_real_logits: ClassVar[bool] = False
    """Whether :meth:`generator_term` reads ``step.real_logits``."""

    needs_labels: ClassVar[bool] = False
    """Whether the term reads the class labels (it then needs a conditional generator)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = check_nonnegative_float("weight", weight)

    @property
    def name(self) -> str:
        """The term's name in figures: its registry name, else its class name in snake case."""
        from pygan.registry import TERMS

        registered = TERMS.name_of(type(self))
        return registered or re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    @property
    def config(self) -> dict[str, Any]:
        """The keyword arguments this term was constructed with."""
        return init_args(self)

    def setup(self, generator: Generator, discriminator: Discriminator) -> None:
        """Check that the term can work with these networks; raise ``ValueError`` if not.

        Called when the Trainer is built, before any training. The default checks that the
        discriminator has every head in :attr:`needs_heads`, and that the generator is
        conditional if the term :attr:`needs_labels`.
        """
        if self.needs_labels and not generator.num_classes:
            raise ValueError(
                f"The {self.name!r} term reads class labels, but {type(generator).__name__} is "
                f"unconditional: construct it with num_classes > 0 and train on labelled data."
            )
        missing = [head for head in self.needs_heads if head not in discriminator.head_names]
        if missing:
            have = ", ".join(discriminator.head_names) or "none"
            raise ValueError(
                f"The {self.name!r} term reads the discriminator head(s) {', '.join(map(repr, missing))}, "
                f"but {type(discriminator).__name__} has heads: {have}. Give the discriminator "
                f"the head (e.g. MLPDiscriminator(heads={{{missing[0]!r}: size}}))."
            )

    def discriminator_term(self, step: Step) -> torch.Tensor | None:
        """The term's unweighted value in the discriminator's update, or ``None``."""
        return None

    def generator_term(self, step: Step) -> torch.Tensor | None:
        """The term's unweighted value in the generator's update, or ``None``."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}({args})"
