"""What the built-in models share to condition on class labels: the checks, and the ways a
discriminator reads a label (Miyato & Koyama 2018's projection, or an embedding joined to
its input)."""

from __future__ import annotations

import torch
from torch import nn

from pygan.models._layers import check_choice

__all__ = ["CONDITIONINGS", "HeadsAndLabels", "check_conditioning", "projection", "require_labels"]

CONDITIONINGS = ("projection", "concat")
"""How a built-in discriminator reads labels: ``projection`` adds the inner product of a
learned class embedding with its last hidden features to the logit (Miyato & Koyama 2018);
``concat`` joins a learned embedding of the label to its input."""


def check_conditioning(conditioning: str) -> str:
    """Return ``conditioning`` if it is one of :data:`CONDITIONINGS`, else raise."""
    return check_choice("conditioning", conditioning, CONDITIONINGS)


def require_labels(model: nn.Module, labels: torch.Tensor | None) -> torch.Tensor | None:
    """Return ``labels``, refusing them for an unconditional model and their absence for a
    conditional one (``model.num_classes`` says which)."""
    num_classes = getattr(model, "num_classes", 0)
    if num_classes and labels is None:
        raise ValueError(
            f"{type(model).__name__} is conditional (num_classes={num_classes}): pass the class "
            f"labels of the images, forward(x, labels)."
        )
    if not num_classes and labels is not None:
        raise ValueError(f"{type(model).__name__} is unconditional (num_classes=0): it takes no labels.")
    return labels


def projection(embedding: nn.Embedding, labels: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The projection discriminator's class term: ``<embedding(y), features>`` per sample.

    Example:
        >>> embedding = nn.Embedding(3, 2)
        >>> _ = embedding.weight.data.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        >>> projection(embedding, torch.tensor([0, 2]), torch.tensor([[2.0, 5.0], [2.0, 5.0]]))
        tensor([2., 7.], grad_fn=<SumBackward1>)
    """
    return (embedding(labels) * features.flatten(1)).sum(1)


class HeadsAndLabels:
    """What the built-in discriminators share after their feature layers: the logit layer
    (``net[-1]``), the projection of a label embedding and the heads, all on one set of
    features. A subclass sets ``net``, ``heads`` (an ``nn.ModuleDict``), ``embedding`` and
    ``conditioning``."""

    net: nn.Sequential
    heads: nn.ModuleDict
    embedding: nn.Embedding | None
    conditioning: str

    @property
    def head_names(self) -> tuple[str, ...]:
        """The names of the heads given as ``heads``."""
        return tuple(self.heads)

    def outputs(
        self, features: torch.Tensor, labels: torch.Tensor | None, heads: bool
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The logits of ``features`` (with the label's projection when conditioning by
        projection) and, with ``heads``, each head's outputs by name."""
        logits = self.net[-1](features).squeeze(1)
        if self.embedding is not None and self.conditioning == "projection":
            logits = logits + projection(self.embedding, labels, features)  # type: ignore[arg-type]
        if not heads:
            return logits
        return logits, {name: head(features) for name, head in self.heads.items()}
