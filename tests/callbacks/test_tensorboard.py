"""TensorBoardLogger: the error naming the extra when tensorboard is missing; with it installed,
the scalars written, late metrics, resume purging, rank 0 only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pygan import CALLBACKS, Callback, ModelCheckpoint
from pygan.callbacks import TensorBoardLogger


def test_registered() -> None:
    assert CALLBACKS.get("tensorboard") is TensorBoardLogger


def test_missing_tensorboard_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now fails
    with pytest.raises(ImportError, match=r'pip install "pygan\[tensorboard\]"'):
        TensorBoardLogger(tmp_path)
    with pytest.raises(ImportError, match=r"pygan\[tensorboard\]"):
        CALLBACKS.create("tensorboard", log_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # failed before writing anything


def _scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    multiplexer = EventMultiplexer().AddRunsFromDirectory(str(log_dir)).Reload()
    (run,) = multiplexer.Runs()
    return {
        tag: [(event.step, event.value) for event in multiplexer.Scalars(run, tag)]
        for tag in multiplexer.Runs()[run]["scalars"]
    }


class AddsScore(Callback):
    def on_epoch_end(self, trainer, logs) -> None:
        logs["score"] = 0.5 * logs["epoch"]


def test_writes_step_and_epoch_scalars(fit, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    trainer = fit([TensorBoardLogger(tmp_path / "tb", log_every_n_steps=4), AddsScore()], epochs=2)
    scalars = _scalars(tmp_path / "tb")
    assert [step for step, _ in scalars["step/g_loss"]] == [4, 8, 12]
    assert set(scalars) >= {"step/d_loss", "step/d_real", "step/d_fake", "epoch/time", "epoch/steps"}
    assert [step for step, _ in scalars["epoch/d_loss"]] == [6, 12]
    for (_, logged), expected in zip(scalars["epoch/d_loss"], trainer.history["d_loss"]):
        assert logged == pytest.approx(expected, rel=1e-6)  # stored as float32
    assert [value for _, value in scalars["epoch/score"]] == [0.5, 1.0]  # added after the logger


def test_resume_drops_events_after_the_checkpoint(fit, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    fit([ModelCheckpoint(tmp_path), TensorBoardLogger(tmp_path / "tb", log_every_n_steps=6)], epochs=3)
    fit([TensorBoardLogger(tmp_path / "tb", log_every_n_steps=6)], epochs=3,
        resume_from=tmp_path / "epoch-0001.ckpt")
    scalars = _scalars(tmp_path / "tb")
    assert [step for step, _ in scalars["epoch/g_loss"]] == [6, 12, 18]
    assert [step for step, _ in scalars["step/g_loss"]] == [6, 12, 18]


def test_only_rank_zero_writes(fit, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    fit([TensorBoardLogger(tmp_path / "tb")], epochs=1, global_zero=False)
    assert not (tmp_path / "tb").exists()


def test_bad_arguments(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    with pytest.raises(ValueError, match="log_every_n_steps to be an integer >= 1, got 0"):
        TensorBoardLogger(tmp_path, log_every_n_steps=0)
