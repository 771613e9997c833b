"""Conditional metrics: a generator that obeys its labels against one that makes real-looking
images of the wrong class, through the functions, evaluate_generator and the callback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from synthetic import TemplateGenerator

from pygan import MLPGenerator
from pygan.callbacks.evaluation import Evaluation
from pygan.data import ImageDataset
from pygan.metrics import (
    Judge,
    balanced_labels,
    conditional_accuracy,
    evaluate_generator,
    frechet_distance,
    intra_class_frechet_distance,
    sample_images,
)


def test_balanced_labels_take_every_class_in_turn() -> None:
    labels = balanced_labels(1003, 10)
    assert torch.bincount(labels).tolist() == [101] * 3 + [100] * 7
    assert labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_a_conditional_generator_is_sampled_evenly_from_fixed_noise() -> None:
    g, before = TemplateGenerator(), torch.get_rng_state()
    images = sample_images(g, 50, batch_size=7)
    assert torch.equal(images, sample_images(g, 50))  # the same noise and classes each call
    assert torch.equal(torch.get_rng_state(), before)
    asked = torch.full((50,), 3)
    assert torch.equal(sample_images(g, 50, labels=3), sample_images(g, 50, labels=asked))
    assert not torch.equal(images, sample_images(g, 50, labels=asked))
    with pytest.raises(ValueError, match="Label 10 is outside"):
        sample_images(g, 2, labels=[0, 10])


def test_conditional_accuracy_tells_obeying_from_ignoring(classifier: Judge) -> None:
    asked = balanced_labels(200, 10)
    obeys, shifted = TemplateGenerator(shift=0), TemplateGenerator(shift=1)
    assert conditional_accuracy(sample_images(obeys, 200), asked, classifier) >= 0.95
    assert conditional_accuracy(sample_images(shifted, 200), asked, classifier) <= 0.05
    with pytest.raises(ValueError, match=r"one integer label per image \(200\)"):
        conditional_accuracy(sample_images(obeys, 200), asked[:10], classifier)
    with pytest.raises(ValueError, match="labels in 0..9, got values from 0 to 12"):
        conditional_accuracy(torch.zeros(2, 1, 8, 8), torch.tensor([0, 12]), classifier)


def test_intra_class_distance_sees_wrong_classes_that_the_overall_distance_misses(
    classifier: Judge, make_digits: Callable[..., ImageDataset]
) -> None:
    real = make_digits(500, seed=3)
    real_features = classifier.features(real)
    asked = balanced_labels(500, 10)
    obeys = classifier.features(sample_images(TemplateGenerator(shift=0), 500))
    shifted = classifier.features(sample_images(TemplateGenerator(shift=1), 500))
    # both make every class equally often: overall they look alike to the real digits
    assert frechet_distance(shifted, real_features) < 2 * frechet_distance(obeys, real_features) + 1
    right = intra_class_frechet_distance(obeys, asked, real_features, real.labels)
    wrong = intra_class_frechet_distance(shifted, asked, real_features, real.labels)
    assert wrong > 10 * right
    same = intra_class_frechet_distance(real_features, real.labels, real_features, real.labels)
    assert same == pytest.approx(0.0, abs=1e-6)


def test_intra_class_distance_names_missing_classes(classifier: Judge, digits: ImageDataset) -> None:
    features = classifier.features(digits)
    with pytest.raises(ValueError, match="Class 0 has 1 generated image"):
        intra_class_frechet_distance(features[:3], torch.tensor([0, 1, 1]), features, digits.labels)
    zeros = digits.labels == 0
    with pytest.raises(ValueError, match=r"Class 0 was asked for but has fewer than 2 real images"):
        intra_class_frechet_distance(features, digits.labels, features[~zeros], digits.labels[~zeros])


def test_evaluate_generator_reports_conditional_figures_for_conditional_generators_only(
    classifier: Judge, make_digits: Callable[..., ImageDataset]
) -> None:
    real = make_digits(300, seed=4)
    figures = evaluate_generator(
        TemplateGenerator(), n=200, real=real, reference=make_digits(100, seed=5), classifier=classifier, bootstrap=0
    )
    assert figures["conditional_accuracy"] >= 0.95 and figures["reference_conditional_accuracy"] >= 0.95
    assert figures["intra_class_frechet_distance"] < 10 * figures["reference_intra_class_frechet_distance"] + 5
    assert figures["class_histogram"] == pytest.approx([0.1] * 10, abs=0.02)  # asked for evenly
    shifted = evaluate_generator(TemplateGenerator(shift=1), n=200, real=real, classifier=classifier, bootstrap=0)
    assert shifted["conditional_accuracy"] <= 0.05
    assert shifted["intra_class_frechet_distance"] > 10 * figures["intra_class_frechet_distance"]
    unconditional = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
    plain = evaluate_generator(unconditional, n=50, real=real, classifier=classifier, bootstrap=0)
    assert not any("conditional" in key for key in plain)
    many = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,), num_classes=12)
    with pytest.raises(ValueError, match="makes 12 classes but judge 'classifier' knows 10"):
        evaluate_generator(many, n=50, real=real, classifier=classifier)


def test_callback_logs_conditional_figures(classifier: Judge, digits: ImageDataset) -> None:
    callback = Evaluation(n=100, real=digits, classifier=classifier, bootstrap=0)
    logged = callback.evaluate(TemplateGenerator())
    assert logged["conditional_accuracy"] >= 0.95 and logged["intra_class_frechet_distance"] >= 0
    assert "conditional_accuracy" not in Evaluation(n=100, real=digits, classifier=classifier).evaluate(
        MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
    )
