"""Parzen-window log-likelihood: closed forms for Gaussians, a brute-force reference, batching."""

from __future__ import annotations

import math

import pytest
import torch

from pygan.metrics import SIGMAS, parzen_log_likelihoods, parzen_window, select_sigma


def gaussian_log_density(x: torch.Tensor, mean: torch.Tensor, variance: float) -> torch.Tensor:
    d = x.shape[1]
    return -0.5 * (x - mean).double().square().sum(dim=1) / variance - 0.5 * d * math.log(
        2 * math.pi * variance
    )


def test_one_sample_gives_exactly_a_gaussian() -> None:
    center = torch.rand(1, 5)
    points = torch.rand(30, 5, generator=torch.Generator().manual_seed(0))
    got = parzen_log_likelihoods(center.repeat(4, 1), points, sigma=0.3)  # copies change nothing
    assert torch.allclose(got, gaussian_log_density(points, center, 0.09), atol=1e-5)


def test_many_gaussian_samples_give_the_convolved_gaussian() -> None:
    # samples from N(0, tau^2 I) smoothed by N(0, sigma^2 I) approach N(0, (tau^2 + sigma^2) I)
    g = torch.Generator().manual_seed(1)
    tau, sigma = 1.0, 0.5
    samples = torch.randn(40_000, 2, generator=g) * tau
    points = torch.randn(50, 2, generator=g) * 0.7
    got = parzen_log_likelihoods(samples, points, sigma=sigma, batch_size=4096)
    expected = gaussian_log_density(points, torch.zeros(2), tau**2 + sigma**2)
    assert torch.allclose(got, expected, atol=0.03)


def test_matches_a_float64_brute_force_on_image_like_data() -> None:
    g = torch.Generator().manual_seed(2)
    samples, points = (
        torch.rand(300, 784, generator=g).round(),
        torch.rand(40, 784, generator=g).round(),
    )
    for sigma in (0.1, 0.3, 1.0):
        squared = torch.cdist(points.double(), samples.double()).square()
        expected = (
            (-squared / (2 * sigma**2)).logsumexp(dim=1)
            - math.log(300)
            - 392 * math.log(2 * math.pi * sigma**2)
        )
        assert torch.allclose(parzen_log_likelihoods(samples, points, sigma), expected, atol=1e-2)


def test_blocks_do_not_change_the_answer() -> None:
    g = torch.Generator().manual_seed(3)
    samples, points = torch.rand(103, 16, generator=g), torch.rand(37, 16, generator=g)
    whole = parzen_log_likelihoods(samples, points, 0.2, batch_size=1000)
    assert torch.allclose(
        parzen_log_likelihoods(samples, points, 0.2, batch_size=7), whole, atol=1e-6
    )


def test_sigma_is_the_best_of_the_grid_on_the_validation_points() -> None:
    g = torch.Generator().manual_seed(4)
    samples, valid = torch.rand(200, 16, generator=g), torch.rand(60, 16, generator=g)
    scores = [float(parzen_log_likelihoods(samples, valid, s).mean()) for s in SIGMAS]
    assert select_sigma(samples, valid) == SIGMAS[scores.index(max(scores))]
    assert (
        len(SIGMAS) == 10 and SIGMAS[0] == pytest.approx(0.1) and SIGMAS[-1] == pytest.approx(1.0)
    )


def test_parzen_window_reports_mean_and_standard_error() -> None:
    g = torch.Generator().manual_seed(5)
    samples, test, valid = (
        torch.rand(200, 16, generator=g),
        torch.rand(50, 16, generator=g),
        torch.rand(20, 16, generator=g),
    )
    result = parzen_window(samples, test, valid)
    ll = parzen_log_likelihoods(samples, test, result.sigma)
    assert result.sigma == select_sigma(samples, valid)
    assert result.mean == pytest.approx(float(ll.mean()))
    assert result.se == pytest.approx(float(ll.std()) / math.sqrt(50))
    assert (result.n_test, result.n_valid) == (50, 20)


def test_without_validation_points_a_tenth_of_the_test_points_is_held_out() -> None:
    samples, test = torch.rand(50, 4), torch.rand(30, 4)
    assert (parzen_window(samples, test).n_test, parzen_window(samples, test).n_valid) == (27, 3)
    with pytest.raises(ValueError, match="both need at least one"):
        parzen_window(samples, test[:3])


def test_shapes_must_agree() -> None:
    with pytest.raises(ValueError, match="16 values each but the test points have 9"):
        parzen_window(torch.rand(10, 16), torch.rand(10, 9))
    with pytest.raises(ValueError, match="positive finite"):
        select_sigma(torch.rand(10, 4), torch.rand(5, 4), sigmas=[0.1, -1.0])
