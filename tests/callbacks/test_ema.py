"""EMA: the averaging formula with and without warmup, a run shorter than the window, buffers,
state, exact resume, and load_generator's choice."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import pygan
from pygan import CALLBACKS, Callback, MLPGenerator, ModelCheckpoint
from pygan.callbacks import EMA

STEPS_PER_EPOCH = 6  # 96 images, batch 16 (see conftest.py)


class WeightLog(Callback):
    """Copies the generator's weights before training and after every step."""

    def __init__(self) -> None:
        self.weights: list[dict[str, torch.Tensor]] = []

    def on_fit_start(self, trainer) -> None:
        self.weights.append(copy.deepcopy(trainer.generator.state_dict()))

    def on_batch_end(self, trainer, logs: dict[str, Any]) -> None:
        self.weights.append(copy.deepcopy(trainer.generator.state_dict()))


def _equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_registered() -> None:
    assert CALLBACKS.get("ema") is EMA


@pytest.mark.parametrize("warmup", [True, False])
@pytest.mark.parametrize("start_step", [0, 4])
@pytest.mark.filterwarnings("ignore:EMA.*averaged 2 steps")
def test_average_follows_the_formula(fit, start_step: int, warmup: bool) -> None:
    log, ema = WeightLog(), EMA(decay=0.75, start_step=start_step, warmup=warmup)
    fit([log, ema], epochs=1)
    expected = dict(log.weights[0])
    for step, weights in enumerate(log.weights[1:], start=1):
        k = step - start_step  # the k-th averaged step
        d = min(0.75, (1 + k) / (10 + k)) if warmup else 0.75
        if step <= start_step:
            expected = dict(weights)
        else:
            expected = {key: d * expected[key] + (1 - d) * weights[key] for key in weights}
    averaged = ema.averaged_generator().state_dict()
    assert len(log.weights) == STEPS_PER_EPOCH + 1
    for key, value in expected.items():
        torch.testing.assert_close(averaged[key], value)
    assert not torch.equal(averaged["net.0.weight"], log.weights[-1]["net.0.weight"])


def test_warmup_decay_grows_to_the_decay() -> None:
    ema = EMA(decay=0.999)
    assert ema.decay_at(1) == pytest.approx(2 / 11) and ema.decay_at(80) == pytest.approx(0.9)
    assert ema.decay_at(8990) == 0.999 and ema.decay_at(10**6) == 0.999
    assert EMA(decay=0.999, warmup=False).decay_at(1) == 0.999
    assert EMA(decay=0.0).decay_at(50) == 0.0  # decay 0 still copies


def _distance(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    return float(sum((a[k] - b[k]).float().pow(2).sum() for k in a) ** 0.5)


def test_a_run_shorter_than_the_window_averages_recent_weights(fit) -> None:
    """234 steps with decay 0.999 (a window of ~1000 steps): with warmup the average is near
    the trained weights; without, it is mostly the untrained ones, and a warning says so."""
    log, warm, cold = WeightLog(), EMA(decay=0.999), EMA(decay=0.999, warmup=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = fit([log, warm, cold], epochs=234 // STEPS_PER_EPOCH)
    assert trainer.global_step == 234
    initial, trained = log.weights[0], trainer.generator.state_dict()
    travelled = _distance(initial, trained)
    assert _distance(warm.averaged_generator().state_dict(), trained) < 0.2 * travelled
    assert _distance(cold.averaged_generator().state_dict(), trained) > 0.7 * travelled
    (warning,) = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert "averaged 234 steps, fewer than its window of about 1000: the average is still 79% the untrained weights" in str(warning.message)


def test_no_warning_when_the_window_fits_or_nothing_was_averaged(fit) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit([EMA(decay=0.5, warmup=False), EMA(decay=0.999, warmup=False, start_step=1000)], epochs=1)


def test_training_is_the_same_with_or_without_it(fit) -> None:
    with_ema, without = fit([EMA(decay=0.999)], epochs=2), fit([], epochs=2)
    assert with_ema.history["g_loss"] == without.history["g_loss"]
    assert _equal(with_ema.generator.state_dict(), without.generator.state_dict())


def test_start_step_past_the_run_keeps_a_plain_copy(fit) -> None:
    ema = EMA(decay=0.9, start_step=1000)
    trainer = fit([ema], epochs=1)
    assert _equal(ema.averaged_generator().state_dict(), trainer.generator.state_dict())


def test_averages_float_buffers_and_copies_integer_ones(fit) -> None:
    generator = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,), norm="batch")
    ema = EMA(decay=0.5)
    trainer = fit([ema], epochs=1, generator=generator)
    averaged, current = ema.averaged_generator().state_dict(), trainer.generator.state_dict()
    assert torch.equal(averaged["net.1.num_batches_tracked"], current["net.1.num_batches_tracked"])
    assert int(current["net.1.num_batches_tracked"]) > 0
    assert not torch.equal(averaged["net.1.running_mean"], current["net.1.running_mean"])
    assert not averaged["net.1.running_mean"].eq(0).all()  # moved from its initial zeros


def test_averaged_generator_is_a_separate_module_in_eval_mode(fit) -> None:
    ema = EMA(decay=0.9)
    trainer = fit([ema], epochs=1)
    averaged = ema.averaged_generator()
    assert averaged is not trainer.generator and not averaged.training
    assert trainer.generator.training
    assert all(not p.requires_grad for p in averaged.parameters())
    assert averaged.sample(4).shape == (4, 1, 8, 8)


def test_no_average_before_fit() -> None:
    with pytest.raises(RuntimeError, match="call fit"):
        EMA().averaged_generator()
    assert EMA().state_dict() == {}


def test_state_round_trips(fit) -> None:
    ema = EMA(decay=0.9)
    fit([ema], epochs=1)
    state = ema.state_dict()
    assert set(state) == {"generator_state_dict"}
    before_fit = EMA()
    before_fit.load_state_dict(state)  # kept until a fit gives it a generator to fill
    assert _equal(before_fit.state_dict()["generator_state_dict"], state["generator_state_dict"])
    after_fit = EMA(decay=0.9)
    fit([after_fit], epochs=1, g_lr=0.0)
    after_fit.load_state_dict(state)
    assert _equal(after_fit.averaged_generator().state_dict(), state["generator_state_dict"])
    saved = state["generator_state_dict"]["net.0.weight"].clone()
    ema.averaged_generator().state_dict()["net.0.weight"].add_(1.0)
    assert torch.equal(state["generator_state_dict"]["net.0.weight"], saved)  # a snapshot


def test_loaded_state_is_applied_when_fit_starts(fit, tmp_path: Path) -> None:
    fit([ModelCheckpoint(tmp_path), EMA(decay=0.9)], epochs=1)
    states = pygan.load_checkpoint(tmp_path / "last.ckpt")["callbacks"]
    (saved,) = [state for key, state in states.items() if key.startswith("EMA")]  # "EMA" or "EMA@<digest>"
    ema = EMA(decay=0.9, warmup=False)  # a new run: with warmup, its first step would average at 2/11
    ema.load_state_dict(saved)
    trainer = fit([ema], epochs=1, g_lr=0.0, stop_at_step=1)  # one step, generator frozen
    expected = {k: 0.9 * v for k, v in saved["generator_state_dict"].items()}
    current = trainer.generator.state_dict()
    for key, value in ema.averaged_generator().state_dict().items():
        torch.testing.assert_close(value, expected[key] + 0.1 * current[key])


@pytest.mark.parametrize("resume", ["epoch-0001.ckpt", "last.ckpt"])
def test_resume_gives_the_weights_of_an_uninterrupted_run(fit, tmp_path: Path, resume: str) -> None:
    full = EMA(decay=0.8)
    fit([ModelCheckpoint(tmp_path / "full"), full], epochs=3)
    stop = 2 * STEPS_PER_EPOCH + 2 if resume == "last.ckpt" else None  # mid-epoch 3
    fit([ModelCheckpoint(tmp_path / "part"), EMA(decay=0.8)], epochs=3 if stop else 1, stop_at_step=stop)
    resumed = EMA(decay=0.8)
    fit([ModelCheckpoint(tmp_path / "part"), resumed], epochs=3, resume_from=tmp_path / "part" / resume)
    assert _equal(resumed.averaged_generator().state_dict(), full.averaged_generator().state_dict())


def test_load_generator_prefers_the_averaged_weights(fit, tmp_path: Path) -> None:
    ema = EMA(decay=0.9)
    trainer = fit([ModelCheckpoint(tmp_path), ema], epochs=1)
    path = tmp_path / "last.ckpt"
    averaged = pygan.load_generator(path).state_dict()
    raw = pygan.load_generator(path, ema=False).state_dict()
    assert _equal(averaged, ema.averaged_generator().state_dict())
    assert _equal(raw, trainer.generator.state_dict())
    assert not _equal(averaged, raw)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"decay": 1.0}, ValueError, r"decay to be a number in \[0, 1\), got 1.0"),
        ({"decay": -0.1}, ValueError, "decay"),
        ({"decay": "0.9"}, TypeError, "decay"),
        ({"start_step": -1}, ValueError, "start_step to be an integer >= 0"),
        ({"warmup": "yes"}, TypeError, "warmup"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        EMA(**kwargs)
