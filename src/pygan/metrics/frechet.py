"""The Fréchet distance between two sets of features (FID, in any feature space).

Each set is summarised by the mean and covariance of a Gaussian; the distance is
``|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))``. The trace of the matrix square
root is computed from the eigenvalues of the symmetric matrix ``S1^(1/2) S2 S1^(1/2)``, which
has the same eigenvalues as ``S1 S2``, in float64: no complex parts to drop, no ill-conditioned
general square root (the route ``scipy.linalg.sqrtm`` takes).
"""

from __future__ import annotations

import torch

__all__ = [
    "frechet_distance",
    "frechet_distance_from_statistics",
    "gaussian_statistics",
    "sqrtm_psd",
]


def gaussian_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the mean ``(d,)`` and the unbiased covariance ``(d, d)`` of ``features``, in float64.

    Args:
        features: A ``(n, d)`` tensor, ``n >= 2``.

    Raises:
        ValueError: Not a 2-d tensor, or fewer than two rows.

    Example:
        >>> mean, cov = gaussian_statistics(torch.tensor([[0.0, 1.0], [2.0, 3.0]]))
        >>> mean.tolist(), cov.tolist()
        ([1.0, 2.0], [[2.0, 2.0], [2.0, 2.0]])
    """
    if not isinstance(features, torch.Tensor) or features.dim() != 2 or len(features) < 2:
        raise ValueError(
            f"Expected features of shape (n, d) with n >= 2, got "
            f"{tuple(getattr(features, 'shape', ())) or type(features).__name__}."
        )
    x = features.detach().to(torch.float64)
    mean = x.mean(dim=0)
    centred = x - mean
    return mean, centred.T @ centred / (len(x) - 1)


def sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Return the symmetric square root of a symmetric positive semi-definite matrix.

    Eigenvalues that rounding made slightly negative are treated as zero.

    Example:
        >>> sqrtm_psd(torch.tensor([[4.0, 0.0], [0.0, 9.0]], dtype=torch.float64)).tolist()
        [[2.0, 0.0], [0.0, 3.0]]
    """
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance_from_statistics(
    mean1: torch.Tensor, cov1: torch.Tensor, mean2: torch.Tensor, cov2: torch.Tensor
) -> float:
    """Return the Fréchet distance between the Gaussians ``N(mean1, cov1)`` and ``N(mean2, cov2)``.

    Raises:
        ValueError: The means and covariances do not have matching shapes ``(d,)``, ``(d, d)``.

    Example:
        >>> eye = torch.eye(2, dtype=torch.float64)
        >>> frechet_distance_from_statistics(torch.zeros(2), eye, torch.ones(2), 4 * eye)
        4.0
    """
    d = mean1.shape[-1] if mean1.dim() == 1 else -1
    for name, tensor, shape in (
        ("mean1", mean1, (d,)),
        ("cov1", cov1, (d, d)),
        ("mean2", mean2, (d,)),
        ("cov2", cov2, (d, d)),
    ):
        if tuple(tensor.shape) != shape:
            raise ValueError(
                f"Expected means of shape (d,) and covariances of shape (d, d) with the same d; "
                f"{name} has shape {tuple(tensor.shape)}."
            )
    mean1, cov1, mean2, cov2 = (t.detach().to(torch.float64) for t in (mean1, cov1, mean2, cov2))
    root1 = sqrtm_psd(cov1)
    product = root1 @ cov2 @ root1
    eigenvalues = torch.linalg.eigvalsh((product + product.T) / 2)
    trace_sqrt = eigenvalues.clamp(min=0).sqrt().sum()
    distance = (mean1 - mean2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_sqrt
    return max(float(distance), 0.0)


def frechet_distance(features1: torch.Tensor, features2: torch.Tensor) -> float:
    """Return the Fréchet distance between Gaussians fitted to two sets of features.

    Args:
        features1: ``(n1, d)`` features, e.g. of generated images.
        features2: ``(n2, d)`` features, e.g. of real images.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> a = torch.randn(500, 4, generator=g)
        >>> round(frechet_distance(a, a), 6), frechet_distance(a, a + 3) > 30
        (0.0, True)
    """
    return frechet_distance_from_statistics(
        *gaussian_statistics(features1), *gaussian_statistics(features2)
    )
