"""Fréchet distance: known answers, a reference square root, and awkward covariances."""

from __future__ import annotations

import math

import pytest
import torch

from pygan.metrics import (
    frechet_distance,
    frechet_distance_from_statistics,
    gaussian_statistics,
    sqrtm_psd,
)

F64 = torch.float64


def random_spd(d: int, seed: int) -> torch.Tensor:
    a = torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return a @ a.T / d + 0.1 * torch.eye(d, dtype=F64)


def random_rotation(d: int, seed: int) -> torch.Tensor:
    a = torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return torch.linalg.qr(a)[0]


def test_identical_features_give_zero() -> None:
    features = torch.randn(2000, 64, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_closed_form_for_diagonal_covariances() -> None:
    g = torch.Generator().manual_seed(1)
    mean1, mean2 = torch.randn(16, generator=g, dtype=F64), torch.randn(16, generator=g, dtype=F64)
    var1, var2 = (
        torch.rand(16, generator=g, dtype=F64) + 0.1,
        torch.rand(16, generator=g, dtype=F64) * 3,
    )
    expected = float((mean1 - mean2).square().sum() + (var1.sqrt() - var2.sqrt()).square().sum())
    got = frechet_distance_from_statistics(mean1, torch.diag(var1), mean2, torch.diag(var2))
    assert got == pytest.approx(expected, rel=1e-10)
    # rotating both Gaussians the same way changes the matrices, not the distance
    q = random_rotation(16, 2)
    rotated = frechet_distance_from_statistics(
        q @ mean1, q @ torch.diag(var1) @ q.T, q @ mean2, q @ torch.diag(var2) @ q.T
    )
    assert rotated == pytest.approx(expected, rel=1e-9)


def test_samples_of_two_gaussians_approach_the_closed_form() -> None:
    g = torch.Generator().manual_seed(3)
    d, n = 4, 200_000
    q = random_rotation(d, 4)
    std1, std2 = (
        torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=F64),
        torch.tensor([1.5, 1.0, 1.0, 0.2], dtype=F64),
    )
    shift = torch.tensor([1.0, -1.0, 0.0, 2.0], dtype=F64)
    x1 = (torch.randn(n, d, generator=g, dtype=F64) * std1) @ q.T
    x2 = (torch.randn(n, d, generator=g, dtype=F64) * std2) @ q.T + shift
    expected = float(shift.square().sum() + (std1 - std2).square().sum())
    assert frechet_distance(x1, x2) == pytest.approx(expected, rel=0.02)


def test_matches_scipy_for_covariances_that_do_not_commute() -> None:
    linalg = pytest.importorskip("scipy.linalg")
    d = 32
    mean1, mean2 = torch.zeros(d, dtype=F64), torch.full((d,), 0.5, dtype=F64)
    cov1, cov2 = random_spd(d, 5), random_spd(d, 6)
    root = linalg.sqrtm(cov1.numpy() @ cov2.numpy()).real
    expected = float((mean1 - mean2).square().sum() + cov1.trace() + cov2.trace()) - 2 * float(
        root.trace()
    )
    assert frechet_distance_from_statistics(mean1, cov1, mean2, cov2) == pytest.approx(
        expected, rel=1e-8
    )


def test_sqrtm_psd_squares_back_even_when_singular() -> None:
    a = torch.randn(10, 3, generator=torch.Generator().manual_seed(7), dtype=F64)
    singular = a @ a.T  # rank 3 of 10
    root = sqrtm_psd(singular)
    assert torch.allclose(root @ root, singular, atol=1e-10)
    assert torch.allclose(root, root.T)


def test_fewer_samples_than_dimensions_stay_finite_and_symmetric() -> None:
    g = torch.Generator().manual_seed(8)
    a, b = torch.randn(20, 128, generator=g), torch.randn(30, 128, generator=g) + 0.1
    ab, ba = frechet_distance(a, b), frechet_distance(b, a)
    assert math.isfinite(ab) and ab > 0
    assert ab == pytest.approx(ba, rel=1e-8)


def test_float32_features_are_computed_in_float64() -> None:
    mean, cov = gaussian_statistics(torch.ones(3, 2, dtype=torch.float32))
    assert mean.dtype == cov.dtype == F64


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ValueError, match="cov2 has shape"):
        frechet_distance_from_statistics(torch.zeros(3), torch.eye(3), torch.zeros(3), torch.eye(4))
    with pytest.raises(ValueError, match="n >= 2"):
        frechet_distance(torch.zeros(1, 3), torch.zeros(5, 3))
