"""ProgressBar: one bar per epoch on stderr, refresh cadence, epoch means, resume, rank 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tqdm import tqdm

from pygan import CALLBACKS, Callback, ModelCheckpoint
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
    counts = re.findall(r"Epoch 1/1: .*?(\d+)/6", err)
    assert counts[0] == "4" and counts[-1] == "6"


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
