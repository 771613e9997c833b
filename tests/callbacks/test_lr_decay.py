"""LinearDecay lowers the learning rates (both, or one network's) on a line to the run's end, and resumes on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pygan import CALLBACKS, Callback, LinearDecay, ModelCheckpoint, Trainer

STEPS_PER_EPOCH = 6  # the fit fixture: 96 images, batch 16


class _RecordRates(Callback):
    """The rates each step trained with, read when the next batch starts its first D update."""

    def __init__(self) -> None:
        self.rates: list[tuple[float, float]] = []

    def on_discriminator_step(self, trainer: Trainer, targets: Any) -> None:
        rates = (
            trainer.g_optimizer.param_groups[0]["lr"],
            trainer.d_optimizer.param_groups[0]["lr"],
        )
        self.rates.append(rates)


def test_rates_hold_then_fall_on_a_line_to_final(fit) -> None:
    record = _RecordRates()
    trainer = fit(
        [LinearDecay(start=0.5, final=0.1), record], epochs=2
    )  # 12 steps, decay from 6
    base_g, base_d = record.rates[0]
    assert base_g > 0 and base_d > 0
    expected = [1.0] * 7 + [1 - 0.9 * (step - 6) / 6 for step in range(7, 12)]
    assert [g / base_g for g, _ in record.rates] == pytest.approx(expected)
    assert [d / base_d for _, d in record.rates] == pytest.approx(expected)
    assert trainer.g_optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * base_g)


@pytest.mark.parametrize(("networks", "decays"), [("generator", (True, False)), ("discriminator", (False, True))])
def test_one_network_s_rate_falls_and_the_other_s_holds(fit, networks: str, decays: tuple[bool, bool]) -> None:
    record = _RecordRates()
    fit([LinearDecay(start=0.5, networks=networks), record], epochs=2)  # 12 steps, decay from 6
    expected = [1.0] * 7 + [1 - (step - 6) / 6 for step in range(7, 12)]
    for side, decaying in enumerate(decays):
        base = record.rates[0][side]
        ratios = [rates[side] / base for rates in record.rates]
        assert ratios == pytest.approx(expected if decaying else [1.0] * 12)


def test_a_resumed_run_continues_on_the_same_line(fit, tmp_path: Path) -> None:
    full = _RecordRates()
    fit([ModelCheckpoint(tmp_path / "full"), LinearDecay(start=0.25), full], epochs=3)
    stop = STEPS_PER_EPOCH + 3  # mid-epoch 2, inside the decay
    fit(
        [ModelCheckpoint(tmp_path / "part"), LinearDecay(start=0.25)],
        epochs=3,
        stop_at_step=stop,
    )
    resumed = _RecordRates()
    fit(
        [ModelCheckpoint(tmp_path / "part"), LinearDecay(start=0.25), resumed],
        epochs=3,
        resume_from=tmp_path / "part" / "last.ckpt",
    )
    assert len(resumed.rates) == len(full.rates) - stop
    for got, expected in zip(resumed.rates, full.rates[stop:]):
        assert got == pytest.approx(expected)


def test_start_zero_decays_from_the_first_step_and_one_is_refused() -> None:
    decay = LinearDecay(start=0.0)
    assert [decay.factor(step, 4) for step in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    with pytest.raises(ValueError, match="start"):
        LinearDecay(start=1.0)
    with pytest.raises(ValueError, match="final"):
        LinearDecay(final=-0.1)
    with pytest.raises(ValueError, match="final"):
        LinearDecay(final=1.5)
    assert [LinearDecay(start=0.0, final=1.0).factor(step, 4) for step in range(5)] == [1.0] * 5
    with pytest.raises(ValueError, match="networks to be one of 'both', 'generator', 'discriminator', got 'g'"):
        LinearDecay(networks="g")


def test_registered_and_built_from_a_config_name() -> None:
    assert CALLBACKS.get("linear_decay") is LinearDecay
    assert CALLBACKS.create("linear_decay", start=0.6).start == pytest.approx(0.6)
