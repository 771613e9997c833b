"""The evaluation path end to end on a tiny model: evaluate_generator and the callback."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import torch

from pygan import CALLBACKS, MLPDiscriminator, MLPGenerator, Trainer
from pygan.callbacks.evaluation import Evaluation
from pygan.data import ImageDataset
from pygan.metrics import DigitClassifier, evaluate_generator, sample_images


def tiny_generator(seed: int = 0) -> MLPGenerator:
    torch.manual_seed(seed)
    return MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))


def test_evaluate_generator_reports_every_figure(
    classifier: DigitClassifier, digits: ImageDataset, make_digits: Callable[..., ImageDataset]
) -> None:
    real, test = make_digits(200, seed=1), make_digits(100, seed=2)
    figures = evaluate_generator(
        tiny_generator(),
        n=200,
        real=real,
        reference=digits,
        classifier=classifier,
        parzen_test=test,
        batch_size=64,
    )
    json.dumps(figures)  # plain values only
    assert figures["n"] == 200 and figures["reference_n"] == 300
    assert figures["classifier_accuracy"] == classifier.test_accuracy
    assert figures["real_accuracy"] >= 0.9
    assert figures["parzen_n_test"] == figures["reference_parzen_n_test"] == 90
    # real digits are the yardstick: an untrained generator is far worse on every figure
    assert figures["reference_modes"] == 10 and figures["reference_kl_uniform"] < 0.05
    assert figures["reference_classifier_score"] > 4 > figures["classifier_score"]
    assert figures["frechet_distance"] > 5 * figures["reference_frechet_distance"]
    assert figures["parzen_log_likelihood"] < figures["reference_parzen_log_likelihood"]
    assert len(figures["class_histogram"]) == 10


def test_evaluate_generator_refuses_a_classifier_of_another_shape(
    classifier: DigitClassifier,
) -> None:
    g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
    with pytest.raises(
        ValueError, match=r"makes images of shape \(1, 4, 4\) but the classifier judges \(1, 8, 8\)"
    ):
        evaluate_generator(g, n=10, real=torch.zeros(4, 1, 8, 8), classifier=classifier)


def test_samples_come_from_fixed_noise_without_touching_the_global_state() -> None:
    g, before = tiny_generator(), torch.get_rng_state()
    assert torch.allclose(sample_images(g, 10, batch_size=3), sample_images(g, 10))
    assert torch.equal(torch.get_rng_state(), before)


def fit(callbacks: list, data: torch.Tensor, epochs: int = 3) -> tuple[Trainer, MLPGenerator]:
    g = tiny_generator()
    d = MLPDiscriminator(input_shape=(1, 8, 8), hidden=(16,))
    trainer = Trainer(g, d, callbacks=callbacks, device="cpu", seed=0)
    trainer.fit(data, epochs=epochs, batch_size=32)
    return trainer, g


def test_callback_logs_figures_every_n_epochs_and_after_the_last(
    classifier: DigitClassifier, digits: ImageDataset
) -> None:
    assert CALLBACKS.get("evaluation") is Evaluation
    callback = Evaluation(every_n_epochs=2, n=64, real=digits, classifier=classifier)
    trainer, g = fit([callback], digits.images)
    logged = ["modes", "kl_uniform", "classifier_score", "frechet_distance", "eval_time"]
    assert [all(k in record for k in logged) for record in trainer.history] == [False, True, True]
    assert not any(k in trainer.history[0] for k in logged)
    assert 1 <= trainer.history[-1]["modes"] <= 10
    assert trainer.history[-1]["frechet_distance"] == pytest.approx(
        callback.evaluate(g)["frechet_distance"]
    )
    # evaluating consumed no training randomness: the same run without it ends the same
    _, g_alone = fit([], digits.images)
    assert all(
        torch.equal(a, b) for a, b in zip(g.state_dict().values(), g_alone.state_dict().values())
    )


def test_callback_averages_the_distance_over_draws_of_latent_vectors(
    classifier: DigitClassifier, digits: ImageDataset
) -> None:
    g = tiny_generator()
    one = [Evaluation(n=64, real=digits, classifier=classifier, seed=s, bootstrap=0).evaluate(g) for s in (3, 4, 5)]
    distances = [figures["frechet_distance"] for figures in one]
    assert len(set(distances)) == 3  # each draw its own distance
    logged = Evaluation(n=64, real=digits, classifier=classifier, seed=3, draws=3).evaluate(g)
    assert logged["frechet_distance"] == pytest.approx(sum(distances) / 3)
    assert (logged["frechet_distance_low"], logged["frechet_distance_high"]) == (min(distances), max(distances))
    assert logged["modes"] == one[0]["modes"]  # the other figures are the first draw's
    assert "frechet_distance_draws" not in logged  # a list: not a figure of metrics.csv
    with pytest.raises(ValueError, match="draws to be an integer >= 1, got 0"):
        Evaluation(draws=0)


def test_callback_checks_its_arguments(classifier: DigitClassifier) -> None:
    with pytest.raises(KeyError, match="Unknown dataset 'mnist5k'"):
        Evaluation(real="mnist5k")
    with pytest.raises(TypeError, match="got list"):
        Evaluation(real=[1, 2])
    callback = Evaluation(classifier=classifier, real=torch.zeros(4, 1, 8, 8))
    with pytest.raises(ValueError, match=r"makes images of shape \(1, 4, 4\) but the classifier judges"):
        callback.prepare(MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,)))
