"""Figures over an ensemble of judges (mean, spread, each judge's), the Fréchet distance's
bootstrap interval, and the callback judging with named judges of a dataset given by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from synthetic import TemplateGenerator

from pygan import MLPDiscriminator, MLPGenerator, Trainer
from pygan.callbacks.evaluation import LOGGED, Evaluation
from pygan.data import ImageDataset
from pygan.metrics import (
    Judge,
    bootstrap_frechet_distances,
    evaluate_generator,
    frechet_distance_from_statistics,
    gaussian_statistics,
    measure_with_judges,
    percentile_interval,
    real_statistics_of,
    summarize_judges,
)

FIGURES = ("modes", "kl_uniform", "classifier_score", "frechet_distance")


def test_summary_is_the_mean_the_spread_and_each_judges_value() -> None:
    summary = summarize_judges(
        {
            "a": {"modes": 10, "frechet_distance": 2.0, "class_histogram": [0.5, 0.5], "real_accuracy": None},
            "b": {"modes": 7, "frechet_distance": 6.0, "class_histogram": [1.0, 0.0], "real_accuracy": 0.9},
        }
    )
    assert summary == {
        "modes": 8.5, "modes_min": 7, "modes_max": 10,
        "frechet_distance": 4.0, "frechet_distance_min": 2.0, "frechet_distance_max": 6.0,
        "class_histogram": [0.75, 0.25],  # averaged class by class, no spread
        "modes/a": 10, "frechet_distance/a": 2.0, "class_histogram/a": [0.5, 0.5],
        "modes/b": 7, "frechet_distance/b": 6.0, "class_histogram/b": [1.0, 0.0],
    }  # real_accuracy: one judge has none, so it is left out
    one = {"modes": 10, "frechet_distance": 2.0}
    assert summarize_judges({"a": one}) == one
    with pytest.raises(ValueError, match="at least one judge"):
        summarize_judges({})


def test_bootstrap_recomputes_the_distance_on_resampled_rows() -> None:
    g = torch.Generator().manual_seed(0)
    features, real = torch.randn(300, 6, generator=g), torch.randn(500, 6, generator=g) + 0.3
    mean, cov = gaussian_statistics(real)
    before = torch.get_rng_state()
    draws = bootstrap_frechet_distances(features, mean, cov, resamples=5, seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    rows = torch.Generator().manual_seed(7)
    for distance in draws:  # each draw is the distance of n rows drawn with replacement
        resampled = features[torch.randint(0, 300, (300,), generator=rows)]
        expected = frechet_distance_from_statistics(*gaussian_statistics(resampled), mean, cov)
        assert float(distance) == pytest.approx(expected, rel=1e-4)
    assert torch.equal(draws, bootstrap_frechet_distances(features, mean, cov, resamples=5, seed=7))
    with pytest.raises(ValueError, match="cov has shape"):
        bootstrap_frechet_distances(features, mean, torch.eye(5))


def test_the_interval_narrows_as_the_sample_grows() -> None:
    g = torch.Generator().manual_seed(1)
    real = torch.randn(4000, 4, generator=g)
    stats = gaussian_statistics(real)
    widths = []
    for n in (100, 3000):
        low, high = percentile_interval(bootstrap_frechet_distances(torch.randn(n, 4, generator=g) + 0.5, *stats))
        widths.append(high - low)
    assert widths[1] < widths[0] / 3
    with pytest.raises(ValueError, match="level to be a number in"):
        percentile_interval(torch.ones(3), level=1.5)


@pytest.fixture
def pair(classifier: Judge, mlp_judge: Judge) -> dict[str, Judge]:
    return {"cnn": classifier, "mlp": mlp_judge}


def test_several_judges_report_mean_spread_interval_and_each(
    pair: dict[str, Judge], make_digits: Callable[..., ImageDataset]
) -> None:
    real = make_digits(300, seed=1)
    stats = {name: real_statistics_of(judge, real) for name, judge in pair.items()}
    images = TemplateGenerator(shift=1).sample(200, labels=torch.arange(200) % 10)
    figures = measure_with_judges(images, pair, stats, bootstrap=50)
    alone = {name: measure_with_judges(images, {name: j}, {name: stats[name]}, bootstrap=50) for name, j in pair.items()}
    for key in FIGURES:
        values = [alone[name][key] for name in pair]
        assert figures[key] == pytest.approx(sum(values) / 2)
        assert (figures[f"{key}_min"], figures[f"{key}_max"]) == (min(values), max(values))
        assert [figures[f"{key}/{name}"] for name in pair] == values
    for name in pair:  # each judge's interval is the one it gives alone (the same resamples)
        own = (figures[f"frechet_distance_low/{name}"], figures[f"frechet_distance_high/{name}"])
        assert own == (alone[name]["frechet_distance_low"], alone[name]["frechet_distance_high"])
    assert figures["frechet_distance_low"] < figures["frechet_distance_high"]
    lows = [alone[name]["frechet_distance_low"] for name in pair]
    highs = [alone[name]["frechet_distance_high"] for name in pair]
    assert sum(lows) / 2 - 1e-9 <= figures["frechet_distance_high"] and figures["frechet_distance_low"] <= sum(highs) / 2
    with pytest.raises(ValueError, match=r"real statistics for each judge \(\['cnn', 'mlp'\]\), got them for \['cnn'\]"):
        measure_with_judges(images, pair, {"cnn": stats["cnn"]})


def test_evaluate_generator_with_judges_at_hand(
    pair: dict[str, Judge], classifier: Judge, make_digits: Callable[..., ImageDataset]
) -> None:
    figures = evaluate_generator(
        TemplateGenerator(), n=100, real=make_digits(200, seed=2), reference=make_digits(100, seed=3), judges=pair, bootstrap=20
    )
    json.dumps(figures)
    assert figures["judges"] == ["cnn", "mlp"]
    assert figures["classifier_accuracy/cnn"] == pair["cnn"].test_accuracy
    for prefix in ("", "reference_"):
        assert {f"{prefix}{key}{end}" for key in FIGURES for end in ("", "_min", "_max", "/cnn", "/mlp")} <= set(figures)
        assert {f"{prefix}conditional_accuracy{end}" for end in ("", "_min", "_max")} <= set(figures)
    with pytest.raises(ValueError, match="Got both classifier and judges"):
        evaluate_generator(TemplateGenerator(), n=10, real=make_digits(20), judges=pair, classifier=classifier)


@pytest.mark.parametrize("names", [["cnn", "mlp"], ["cnn"]])
def test_draws_average_the_distance_over_draws_of_latent_vectors(
    pair: dict[str, Judge], make_digits: Callable[..., ImageDataset], names: list[str]
) -> None:
    judges = {name: pair[name] for name in names}
    real = make_digits(200, seed=2)
    figures = evaluate_generator(TemplateGenerator(), n=100, real=real, judges=judges, seed=4, draws=3)
    json.dumps(figures)
    each = [evaluate_generator(TemplateGenerator(), n=100, real=real, judges=judges, bootstrap=0, seed=s) for s in (4, 5, 6)]
    key = "frechet_distance/{}" if len(names) > 1 else "frechet_distance"
    per_judge = {name: [draw[key.format(name)] for draw in each] for name in names}
    assert len({tuple(v) for v in per_judge.values()}) == len(names) and len(set(per_judge[names[0]])) == 3
    means = [sum(per_judge[n][i] for n in names) / len(names) for i in range(3)]
    assert figures["draws"] == 3
    assert figures["frechet_distance_draws"] == pytest.approx(means)
    assert figures["frechet_distance"] == pytest.approx(sum(means) / 3)
    assert (figures["frechet_distance_low"], figures["frechet_distance_high"]) == pytest.approx((min(means), max(means)))
    if len(names) > 1:
        for name in names:
            assert figures[f"frechet_distance_draws/{name}"] == per_judge[name]
            assert figures[f"frechet_distance/{name}"] == pytest.approx(sum(per_judge[name]) / 3)
            assert figures[f"frechet_distance_high/{name}"] == max(per_judge[name])
        mean_of = [sum(per_judge[n]) / 3 for n in names]
        assert (figures["frechet_distance_min"], figures["frechet_distance_max"]) == pytest.approx((min(mean_of), max(mean_of)))
    for other in ("modes", "classifier_score", "conditional_accuracy"):  # the first draw's
        assert figures[other] == each[0][other]
    with pytest.raises(ValueError, match="draws to be an integer >= 1, got 0"):
        evaluate_generator(TemplateGenerator(), n=10, real=real, judges=judges, draws=0)


def write_csv(path: Path, data: ImageDataset) -> None:
    rows = [",".join(map(str, [int(y), *x.flatten().tolist()])) for x, y in zip(data.images, data.labels)]
    path.write_text("\n".join(rows) + "\n")


def test_callback_judges_with_named_judges_of_a_dataset_named_in_the_config(
    make_digits: Callable[..., ImageDataset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYGAN_CACHE", str(tmp_path / "cache"))
    write_csv(tmp_path / "digits.csv", make_digits(300))
    data = {"name": "csv", "path": str(tmp_path / "digits.csv"), "shape": [1, 8, 8]}
    callback = Evaluation(every_n_epochs=2, n=100, data=data, judges=["cnn-0", "mlp-1"], bootstrap=20)
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
    trainer = Trainer(g, MLPDiscriminator(input_shape=(1, 8, 8), hidden=(16,)), callbacks=[callback], device="cpu", seed=0)
    trainer.fit(make_digits(64).images, epochs=2, batch_size=32)
    logged = trainer.history[-1]
    expected = {f"{key}{end}" for key in FIGURES for end in ("", "_min", "_max")} | {"frechet_distance_low", "frechet_distance_high"}
    assert expected <= set(logged) and expected <= set(LOGGED)
    assert not any("/" in key for key in logged)  # each judge's figures stay out of the logs
    assert logged["frechet_distance_min"] <= logged["frechet_distance"] <= logged["frechet_distance_max"]
    assert len(list((tmp_path / "cache").glob("classifier-*.pt"))) == 2  # trained on the csv, cached
    with pytest.raises(ValueError, match="data.name: Unknown dataset 'cvs'"):
        Evaluation(data="cvs")
    with pytest.raises(ValueError, match="got 'cnn-0' twice"):
        Evaluation(judges=["cnn-0", "cnn-0"])
