"""The Parzen-window log-likelihood of Goodfellow et al. 2014.

Fit a Gaussian kernel density to generated samples (one isotropic Gaussian of width ``sigma``
on every sample) and report the mean log-likelihood of held-out real points under it, with
its standard error. As in the paper, images are flattened with pixels in [0, 1], ``sigma`` is
the value of ``logspace(-1, 0, 10)`` that scores best on a validation set, and 10,000 samples
are used. The estimate is known to be crude in 784 dimensions (Theis et al. 2016); pygan
keeps it because it is the figure the GAN literature on MNIST reports.

Distances are computed block by block (``batch_size`` points against ``batch_size``
samples, with a running log-sum-exp), so memory stays bounded however many samples and
points there are; the squared distances for all candidate sigmas come from one matrix
product per block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from pygan._validation import check_fraction, check_int

__all__ = ["SIGMAS", "ParzenResult", "parzen_log_likelihoods", "parzen_window", "select_sigma"]

SIGMAS: tuple[float, ...] = tuple(torch.logspace(-1, 0, 10, dtype=torch.float64).tolist())
"""The kernel widths Goodfellow et al. choose from: ``logspace(-1, 0, 10)``, 0.1 to 1."""


@dataclass(frozen=True)
class ParzenResult:
    """A Parzen-window estimate.

    Attributes:
        mean: Mean log-likelihood of the test points, in nats.
        se: Its standard error (standard deviation over test points / sqrt(n_test)).
        sigma: The kernel width used (chosen on the validation points).
        n_test: Number of test points.
        n_valid: Number of validation points sigma was chosen on.

    Example:
        >>> r = ParzenResult(mean=225.0, se=2.0, sigma=0.17, n_test=9000, n_valid=1000)
        >>> f"{r.mean:.0f} ± {r.se:.0f}"
        '225 ± 2'
    """

    mean: float
    se: float
    sigma: float
    n_test: int
    n_valid: int


def _flatten(name: str, points: torch.Tensor) -> torch.Tensor:
    if not isinstance(points, torch.Tensor) or points.dim() < 2 or not len(points):
        raise ValueError(
            f"Expected {name} to be a tensor of shape (n, ...) with n >= 1, got "
            f"{tuple(getattr(points, 'shape', ())) or type(points).__name__}."
        )
    return points.detach().flatten(1).to(torch.float32)


def _log_kernel_means(
    samples: torch.Tensor, points: torch.Tensor, sigmas: torch.Tensor, batch_size: int
) -> torch.Tensor:
    """``log mean_i exp(-|x - s_i|^2 / (2 sigma^2))`` for every sigma and point: ``(S, P)``."""
    center = samples.mean(dim=0)  # distances are shift-invariant; centring keeps norms small
    samples = samples - center
    sample_norms = samples.square().sum(dim=1)
    scales = (-0.5 / sigmas.square()).to(torch.float64)[:, None, None]
    rows = []
    for block in points.split(batch_size):
        block = block - center
        norms = block.square().sum(dim=1, keepdim=True)
        total = torch.full((len(sigmas), len(block)), -math.inf, dtype=torch.float64)
        for part, part_norms in zip(samples.split(batch_size), sample_norms.split(batch_size)):
            squared = (norms + part_norms - 2 * block @ part.T).clamp_(min=0).to(torch.float64)
            total = torch.logaddexp(total, (squared * scales).logsumexp(dim=2))
        rows.append(total)
    return torch.cat(rows, dim=1) - math.log(len(samples))


def _log_likelihoods(
    samples: torch.Tensor, points: torch.Tensor, sigmas: torch.Tensor, batch_size: int
) -> torch.Tensor:
    d = samples.shape[1]
    normalizer = 0.5 * d * torch.log(2 * math.pi * sigmas.square().to(torch.float64))
    return _log_kernel_means(samples, points, sigmas, batch_size) - normalizer[:, None]


def _check_pair(
    samples: torch.Tensor, points: torch.Tensor, name: str
) -> tuple[torch.Tensor, torch.Tensor]:
    s, p = _flatten("samples", samples), _flatten(name, points)
    if s.shape[1] != p.shape[1]:
        raise ValueError(
            f"The samples have {s.shape[1]} values each but the {name} points have "
            f"{p.shape[1]}; give both the same shape."
        )
    return s, p


def _check_sigmas(sigmas: Sequence[float]) -> torch.Tensor:
    values = torch.as_tensor(list(sigmas), dtype=torch.float64)
    if (
        values.dim() != 1
        or not len(values)
        or not bool((values > 0).all())
        or not bool(values.isfinite().all())
    ):
        raise ValueError(f"Expected sigmas to be positive finite numbers, got {list(sigmas)!r}.")
    return values


def parzen_log_likelihoods(
    samples: torch.Tensor, points: torch.Tensor, sigma: float, *, batch_size: int = 1000
) -> torch.Tensor:
    """Return the log-likelihood (nats, float64) of each of ``points`` under the Parzen window
    of width ``sigma`` over ``samples``.

    Args:
        samples: ``(n, ...)`` samples the density is built on (flattened).
        points: ``(m, ...)`` points to score, of the same shape.
        sigma: The kernel's standard deviation.
        batch_size: Block size; memory is ``O(batch_size^2)``.

    Returns:
        A ``(m,)`` tensor.

    Example:
        >>> one = torch.zeros(1, 2)  # a single sample: the density is N(0, sigma^2 I)
        >>> parzen_log_likelihoods(one, torch.tensor([[0.0, 0.0], [1.0, 0.0]]), 1.0)
        tensor([-1.8379, -2.3379], dtype=torch.float64)
    """
    s, p = _check_pair(samples, points, "points")
    sigmas = _check_sigmas([sigma])
    return _log_likelihoods(s, p, sigmas, check_int("batch_size", batch_size))[0]


def select_sigma(
    samples: torch.Tensor,
    valid: torch.Tensor,
    sigmas: Sequence[float] = SIGMAS,
    *,
    batch_size: int = 1000,
) -> float:
    """Return the sigma of ``sigmas`` under which ``valid`` has the highest mean log-likelihood.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> samples, valid = torch.randn(500, 2, generator=g), torch.randn(200, 2, generator=g)
        >>> round(select_sigma(samples, valid), 3)  # the wider end of the grid suits N(0, I)
        0.359
    """
    s, v = _check_pair(samples, valid, "validation")
    grid = _check_sigmas(sigmas)
    scores = _log_likelihoods(s, v, grid, check_int("batch_size", batch_size)).mean(dim=1)
    return float(grid[int(scores.argmax())])


def parzen_window(
    samples: torch.Tensor,
    test: torch.Tensor,
    valid: torch.Tensor | None = None,
    *,
    sigmas: Sequence[float] = SIGMAS,
    valid_fraction: float = 0.1,
    seed: int = 0,
    batch_size: int = 1000,
) -> ParzenResult:
    """Return the Parzen-window log-likelihood of ``test`` under ``samples``: mean and standard
    error over test points, with sigma chosen on ``valid``.

    Args:
        samples: ``(n, ...)`` generated samples (Goodfellow et al.: 10,000 images with pixels
            in [0, 1]).
        test: ``(m, ...)`` held-out real points.
        valid: Real points to choose sigma on. ``None`` holds out ``valid_fraction`` of the
            test points (chosen at random, seeded) for that and tests on the others.
        sigmas: The candidate widths.
        valid_fraction: The share of test points held out when ``valid`` is ``None`` (a
            tenth: 1,000 of the 10,000 MNIST test digits).
        seed: Seeds that split.
        batch_size: Block size; memory is ``O(len(sigmas) * batch_size^2)``.

    Raises:
        ValueError: Shapes differ, or too few test points to hold some out.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> samples, test = torch.rand(300, 4, generator=g), torch.rand(100, 4, generator=g)
        >>> result = parzen_window(samples, test)
        >>> result.n_test, result.n_valid, result.sigma in SIGMAS
        (90, 10, True)
    """
    s, t = _check_pair(samples, test, "test")
    batch_size = check_int("batch_size", batch_size)
    if valid is None:
        valid_size = round(len(t) * check_fraction("valid_fraction", valid_fraction))
        if not 0 < valid_size < len(t):
            raise ValueError(
                f"valid_fraction={valid_fraction} of {len(t)} test points leaves {valid_size} to "
                f"choose sigma on and {len(t) - valid_size} to test on; both need at least one. "
                f"Pass more test points or separate validation points."
            )
        order = torch.randperm(len(t), generator=torch.Generator().manual_seed(seed))
        v, t = t[order[:valid_size]], t[order[valid_size:]]
    else:
        v = _check_pair(samples, valid, "validation")[1]
    sigma = select_sigma(s, v, sigmas, batch_size=batch_size)
    ll = _log_likelihoods(s, t, _check_sigmas([sigma]), batch_size)[0]
    se = float(ll.std() / math.sqrt(len(ll))) if len(ll) > 1 else 0.0
    return ParzenResult(mean=float(ll.mean()), se=se, sigma=sigma, n_test=len(t), n_valid=len(v))
