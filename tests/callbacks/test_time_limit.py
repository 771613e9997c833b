"""TimeLimit ends a run normally once the next epoch would overrun the budget."""

from __future__ import annotations

import types

import pytest

import pygan.callbacks.time_limit as time_limit_module
from pygan import CALLBACKS, Callback, TimeLimit


def test_stops_before_the_budget_and_ends_normally(fit, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": 0.0}
    monkeypatch.setattr(time_limit_module, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))
    ended: list[int] = []

    class FortySecondEpochs(Callback):
        def on_epoch_end(self, trainer, logs):
            clock["now"] += 40.0
            logs["time"] = 40.0

        def on_fit_end(self, trainer):
            ended.append(trainer.completed_epochs)

    # 40 s epochs, 100 s budget: after epoch 2 (80 s), a third would end at 120 s
    trainer = fit([FortySecondEpochs(), TimeLimit(minutes=100 / 60)], epochs=10)
    assert len(trainer.history) == 2 and ended == [2]


def test_a_generous_budget_changes_nothing(fit) -> None:
    assert len(fit([TimeLimit(minutes=60)], epochs=3).history) == 3


def test_registered_and_validated() -> None:
    assert CALLBACKS.get("time_limit") is TimeLimit
    with pytest.raises(ValueError, match="minutes to be a positive finite number"):
        TimeLimit(minutes=0)
