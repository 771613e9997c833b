"""The classifier score: the Inception Score of Salimans et al. 2016 with a digit classifier.

``exp(E_x KL(p(y|x) || p(y)))`` is high when each image is classified confidently (low
entropy of ``p(y|x)``) and the classes are spread evenly (high entropy of ``p(y)``): it ranges
from 1 to the number of classes.
"""

from __future__ import annotations

import math

import torch

from pygan._validation import check_int

__all__ = ["classifier_score"]


def classifier_score(probs: torch.Tensor, *, splits: int = 1) -> tuple[float, float]:
    """Return the mean and standard deviation of the classifier score over ``splits`` parts.

    Args:
        probs: Class probabilities ``p(y|x)``, shape ``(n, num_classes)``, rows summing to 1.
        splits: Score each of this many consecutive parts separately (the Inception Score
            convention is 10); the standard deviation is 0 for one part.

    Returns:
        ``(mean, std)`` of the per-part scores.

    Raises:
        ValueError: ``probs`` is not ``(n, k)`` with rows summing to 1, or a part is empty.

    Example:
        >>> mean, std = classifier_score(torch.eye(10).repeat(3, 1))  # confident, evenly spread
        >>> round(mean, 6), std
        (10.0, 0.0)
        >>> round(classifier_score(torch.full((6, 10), 0.1))[0], 6)  # no confidence at all
        1.0
    """
    if not isinstance(probs, torch.Tensor) or probs.dim() != 2:
        raise ValueError(
            f"Expected probs of shape (n, num_classes), got "
            f"{tuple(getattr(probs, 'shape', ())) or type(probs).__name__}."
        )
    splits = check_int("splits", splits)
    if splits > len(probs):
        raise ValueError(f"splits={splits} is more than the {len(probs)} rows of probs.")
    p = probs.detach().to(torch.float64)
    if (p < 0).any() or not torch.allclose(
        p.sum(dim=1), torch.ones(len(p), dtype=torch.float64), atol=1e-4
    ):
        raise ValueError("Expected probs to hold probabilities: non-negative rows that sum to 1.")
    scores = []
    for part in p.tensor_split(splits):
        marginal = part.mean(dim=0, keepdim=True)
        kl = (torch.xlogy(part, part) - torch.xlogy(part, marginal)).sum(dim=1)
        scores.append(math.exp(float(kl.mean())))
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    return mean, std
