"""ProgressBar: one bar per epoch on stderr, refresh cadence, epoch means, the time the run
has left (or the time limit's), resume, rank 0."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
from tqdm import tqdm

import pygan.callbacks.progress_bar as progress_bar_module
import pygan.callbacks.time_limit as time_limit_module
from pygan import CALLBACKS, Callback, ModelCheckpoint, TimeLimit
from pygan.callbacks import ProgressBar


def test_registered() -> None:
    assert CALLBACKS.get("progress_bar") is ProgressBar


def test_one_bar_per_epoch_on_stderr_with_the_figures(fit, capsys: pytest.CaptureFixture[str]) -> None:
    trainer = fit([ProgressBar(refresh_every_n_steps=2)], epochs=2)
    out, err = capsys.readouterr()
    assert out == ""
    for epoch in (1, 2):
        final = [line for line in re.split(r"[\r\n]", err) if f"Epoch {epoch}/2" in line and "6/6" in line][-1]
        means = trainer.history[epoch - 1]
        shown = f"d_loss={means['d_loss']:.3f}, g_loss={means['g_loss']:.3f}"
        assert shown in final  # the bar ends on the epoch's means
        assert f"D(x)={means['d_real']:.3f}, D(G(z))={means['d_fake']:.3f}" in final


@pytest.mark.parametrize(("every", "refreshes"), [(1, 6 + 1), (2, 3 + 1), (4, 1 + 1), (10, 0 + 1)])
def test_moves_figures_to_the_host_only_on_refresh(
    fit, monkeypatch: pytest.MonkeyPatch, every: int, refreshes: int
) -> None:
    calls: list[dict[str, str]] = []
    original = tqdm.set_postfix

    def spy(self, ordered_dict=None, refresh=True, **kwargs):
        calls.append(dict(ordered_dict))
        return original(self, ordered_dict, refresh, **kwargs)

    monkeypatch.setattr(tqdm, "set_postfix", spy)
    fit([ProgressBar(refresh_every_n_steps=every)], epochs=1)
    assert len(calls) == refreshes  # the last one at epoch end, from the epoch's logs
    assert all(list(c) == ["d_loss", "g_loss", "D(x)", "D(G(z))"] for c in calls)


def test_resumed_epoch_starts_where_it_stopped(fit, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fit([ModelCheckpoint(tmp_path)], epochs=1, stop_at_step=4)
    capsys.readouterr()
    fit([ProgressBar(refresh_every_n_steps=1)], epochs=1, resume_from=tmp_path / "last.ckpt")
    err = capsys.readouterr().err
    counts = re.findall(r"Epoch 1/1(?: \(run: [\d:]+ left\))?: .*?(\d+)/6", err)
    assert counts[0] == "4" and counts[-1] == "6"


class OneSecondSteps(Callback):
    """Moves a fake clock on by a second every step (list it before the bar)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 0.0
        clock = types.SimpleNamespace(perf_counter=lambda: self.now)
        monkeypatch.setattr(progress_bar_module, "time", clock)
        monkeypatch.setattr(time_limit_module, "time", clock)

    def on_batch_end(self, trainer, logs):
        self.now += 1.0


def shown(err: str, epoch: int, epochs: int) -> tuple[str, str]:
    """The first and the last line an epoch's bar showed: when it opened and when it closed
    (tqdm may skip the refreshes between on a fast run)."""
    lines = [line for line in re.split(r"[\r\n]", err) if line.startswith(f"Epoch {epoch}/{epochs}")]
    return lines[0], lines[-1]


def test_shows_the_time_the_run_has_left(fit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fit([OneSecondSteps(monkeypatch), ProgressBar(refresh_every_n_steps=1)], epochs=3)
    err = capsys.readouterr().err
    opened, closed = shown(err, 1, 3)
    assert opened.startswith("Epoch 1/3: ") and closed.startswith("Epoch 1/3 (run: 00:12 left): ")  # 1 s a step
    assert shown(err, 2, 3)[0].startswith("Epoch 2/3 (run: 00:12 left): ")
    opened, closed = shown(err, 3, 3)
    assert closed.startswith("Epoch 3/3 (run: 00:00 left): ") and " 6/6 " in closed and "d_loss=" in closed


def test_a_resumed_run_paces_on_its_own_steps(
    fit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fit([ModelCheckpoint(tmp_path)], epochs=1, stop_at_step=4)
    capsys.readouterr()
    clock = OneSecondSteps(monkeypatch)
    clock.now = 1000.0  # the clock starts at fit start, not at 0
    fit([clock, ProgressBar(refresh_every_n_steps=1)], epochs=2, resume_from=tmp_path / "last.ckpt")
    opened, closed = shown(capsys.readouterr().err, 1, 2)
    assert opened.startswith("Epoch 1/2: ") and " 4/6 " in opened
    assert closed.startswith("Epoch 1/2 (run: 00:06 left): ")  # 2 steps in 2 s; 6 to go


def test_shows_the_time_limit_when_it_comes_sooner(
    fit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trainer = fit([OneSecondSteps(monkeypatch), TimeLimit(minutes=10 / 60), ProgressBar(refresh_every_n_steps=1)], epochs=3)
    err = capsys.readouterr().err
    assert trainer.completed_epochs == 2
    opened, closed = shown(err, 1, 3)
    assert opened.startswith("Epoch 1/3 (time limit: 00:10 left): ")  # before any pace is known
    assert closed.startswith("Epoch 1/3 (time limit: 00:04 left): ")  # sooner than the run's 12 s
    assert shown(err, 2, 2)[-1].startswith("Epoch 2/2 (run: 00:00 left): ")  # the limit ended the run here
    fit([OneSecondSteps(monkeypatch), TimeLimit(minutes=60), ProgressBar(refresh_every_n_steps=1)], epochs=3)
    assert shown(capsys.readouterr().err, 1, 3)[-1].startswith("Epoch 1/3 (run: 00:12 left): ")


def test_error_closes_the_bar(fit) -> None:
    class Boom(Callback):
        def on_batch_end(self, trainer, logs):
            if trainer.global_step == 3:
                raise RuntimeError("boom")

    bar = ProgressBar()
    with pytest.raises(RuntimeError, match="boom"):
        fit([bar, Boom()], epochs=1)
    assert bar._bar is None  # noqa: SLF001 - closed, so the traceback prints on a clean line


def test_silent_on_other_ranks(fit, capsys: pytest.CaptureFixture[str]) -> None:
    fit([ProgressBar(refresh_every_n_steps=1)], epochs=1, global_zero=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_arguments(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="refresh_every_n_steps to be an integer >= 1"):
        ProgressBar(refresh_every_n_steps=value)  # type: ignore[arg-type]
