"""CSVLogger: one row per epoch, exact values, growing headers, resume without lost rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pygan import CALLBACKS, Callback, ModelCheckpoint
from pygan.callbacks import CSVLogger


class AddsMetric(Callback):
    """Adds ``score`` to the logs of some epochs, as an evaluation callback would."""

    def __init__(self, epochs: tuple[int, ...]) -> None:
        self.epochs = epochs

    def on_epoch_end(self, trainer, logs) -> None:
        if logs["epoch"] in self.epochs:
            logs["score"] = logs["epoch"] / 10


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_registered() -> None:
    assert CALLBACKS.get("csv_logger") is CSVLogger


def test_one_row_per_epoch_with_exact_values(fit, tmp_path: Path) -> None:
    path = tmp_path / "run" / "metrics.csv"
    trainer = fit([CSVLogger(path)], epochs=3)
    rows = _read(path)
    assert list(rows[0]) == ["epoch", "d_loss", "g_loss", "d_real", "d_fake", "steps", "time"]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    for row, record in zip(rows, trainer.history):
        assert {k: float(v) for k, v in row.items()} == record  # full precision, no rounding


@pytest.mark.parametrize("metric_first", [True, False], ids=["metric-before", "metric-after"])
def test_new_columns_rewrite_the_file(fit, tmp_path: Path, metric_first: bool) -> None:
    logger, metric = CSVLogger(tmp_path / "metrics.csv"), AddsMetric(epochs=(2,))
    fit([metric, logger] if metric_first else [logger, metric], epochs=3)
    rows = _read(tmp_path / "metrics.csv")
    assert list(rows[0])[-1] == "score"
    assert [r["score"] for r in rows] == ["", "0.2", ""]


def test_a_metric_added_to_the_last_epoch_after_the_logger_is_written(fit, tmp_path: Path) -> None:
    fit([CSVLogger(tmp_path / "metrics.csv"), AddsMetric(epochs=(2,))], epochs=2)
    assert [r["score"] for r in _read(tmp_path / "metrics.csv")] == ["", "0.2"]


def _without_time(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


@pytest.mark.parametrize("stop_at_step", [None, 15], ids=["after-epoch-2", "mid-epoch-3"])
def test_resume_keeps_the_earlier_rows(fit, tmp_path: Path, stop_at_step: int | None) -> None:
    fit([CSVLogger(tmp_path / "full.csv")], epochs=4)
    part = tmp_path / "part.csv"
    fit([ModelCheckpoint(tmp_path), CSVLogger(part)], epochs=4 if stop_at_step else 2, stop_at_step=stop_at_step)
    assert len(_read(part)) == 2
    resume = tmp_path / ("last.ckpt" if stop_at_step else "epoch-0001.ckpt")  # epoch 1: a row to drop
    fit([CSVLogger(part)], epochs=4, resume_from=resume)
    assert _without_time(_read(part)) == _without_time(_read(tmp_path / "full.csv"))


def test_a_new_run_replaces_an_old_file(fit, tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,stale\n1,2\n2,3\n3,4\n")
    fit([CSVLogger(path)], epochs=1)
    rows = _read(path)
    assert len(rows) == 1 and "stale" not in rows[0]


def test_only_rank_zero_writes(fit, tmp_path: Path) -> None:
    fit([CSVLogger(tmp_path / "logs" / "metrics.csv")], epochs=1, global_zero=False)
    assert not (tmp_path / "logs").exists()
