"""Classifier score and mode coverage on cases with known answers."""

from __future__ import annotations

import math

import pytest
import torch

from pygan.metrics import classifier_score, mode_coverage


def test_confident_and_uniform_predictions_score_the_number_of_classes() -> None:
    assert classifier_score(torch.eye(10).repeat(50, 1))[0] == pytest.approx(10.0)


@pytest.mark.parametrize(
    "probs",
    [torch.eye(10)[3].repeat(40, 1), torch.full((40, 10), 0.1)],
    ids=["one confident class", "no confidence"],
)
def test_collapse_or_confusion_scores_one(probs: torch.Tensor) -> None:
    assert classifier_score(probs)[0] == pytest.approx(1.0)


def test_score_is_exp_of_the_mean_kl_to_the_marginal() -> None:
    probs = torch.rand(200, 10, generator=torch.Generator().manual_seed(0)).softmax(dim=1).double()
    marginal = probs.mean(dim=0)
    kl = (probs * (probs / marginal).log()).sum(dim=1).mean()
    assert classifier_score(probs)[0] == pytest.approx(math.exp(float(kl)), rel=1e-12)


def test_splits_give_a_mean_and_spread() -> None:
    # first half collapsed to one class (score 1), second half confident and uniform (10)
    probs = torch.cat([torch.eye(10)[0].repeat(50, 1), torch.eye(10).repeat(5, 1)])
    mean, std = classifier_score(probs, splits=2)
    assert (mean, std) == (pytest.approx(5.5), pytest.approx(4.5))


def test_score_refuses_what_are_not_probabilities() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        classifier_score(torch.ones(4, 10))
    with pytest.raises(ValueError, match="splits=5"):
        classifier_score(torch.eye(4), splits=5)


def test_one_class_covers_one_mode_with_kl_log10() -> None:
    coverage = mode_coverage(torch.full((100,), 7))
    assert coverage.modes == 1
    assert coverage.kl_uniform == pytest.approx(math.log(10))
    assert coverage.histogram[7] == 1.0 and sum(coverage.histogram) == 1.0


def test_uniform_classes_cover_all_modes_with_kl_zero() -> None:
    coverage = mode_coverage(torch.arange(1000) % 10)
    assert coverage.modes == 10
    assert coverage.kl_uniform == pytest.approx(0.0, abs=1e-12)


def test_a_class_below_the_threshold_is_not_covered() -> None:
    labels = torch.cat(
        [torch.zeros(99, dtype=torch.long), torch.ones(1, dtype=torch.long)]
    )  # 1% of 1s
    assert mode_coverage(labels).modes == 1
    assert mode_coverage(labels, threshold=0.01).modes == 2


def test_probabilities_count_for_their_most_likely_class() -> None:
    probs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert mode_coverage(probs, num_classes=2).histogram == pytest.approx([1 / 3, 2 / 3])


def test_coverage_refuses_bad_labels() -> None:
    with pytest.raises(ValueError, match="labels in 0..9"):
        mode_coverage(torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="over 10 classes, got 3"):
        mode_coverage(torch.rand(5, 3))
