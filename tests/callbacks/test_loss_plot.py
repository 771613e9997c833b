"""LossPlot: the PNG, the whole history after a resume, pyplot left alone, the missing-extra
error, rank 0 only, every N epochs and at the end however fit ends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

from pygan import CALLBACKS, Callback, ModelCheckpoint
from pygan.callbacks import LossPlot


def test_registered() -> None:
    assert CALLBACKS.get("loss_plot") is LossPlot


def test_writes_a_png_each_epoch(fit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plot = LossPlot(tmp_path / "run" / "losses.png")
    drawn: list[list[int]] = []
    original = LossPlot.draw
    monkeypatch.setattr(LossPlot, "draw", lambda self, h: (drawn.append(list(h["epoch"])), original(self, h)))
    fit([plot], epochs=2)
    assert drawn == [[1], [1, 2]]
    with Image.open(tmp_path / "run" / "losses.png") as image:
        assert image.format == "PNG" and image.size == (800, 500)


def test_resumed_run_draws_the_whole_run(fit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fit([ModelCheckpoint(tmp_path)], epochs=2)
    drawn: list[list[int]] = []
    monkeypatch.setattr(LossPlot, "draw", lambda self, h: drawn.append(list(h["epoch"])))
    fit([LossPlot(tmp_path / "losses.png")], epochs=3, resume_from=tmp_path / "last.ckpt")
    assert drawn == [[1, 2, 3]]


def test_leaves_pyplot_alone(fit, tmp_path: Path) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    figures = pyplot.get_fignums() if pyplot else None
    fit([LossPlot(tmp_path / "losses.png")], epochs=1)
    if pyplot is None:
        assert "matplotlib.pyplot" not in sys.modules  # so the user's backend is never chosen
    else:
        assert pyplot.get_fignums() == figures


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "pygan\[plot\]"'):
        LossPlot()


def test_only_rank_zero_writes(fit, tmp_path: Path) -> None:
    fit([LossPlot(tmp_path / "plots" / "losses.png")], epochs=1, global_zero=False)
    assert not (tmp_path / "plots").exists()


def test_every_n_epochs_and_once_more_at_the_end(fit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[list[int]] = []
    monkeypatch.setattr(LossPlot, "draw", lambda self, h: drawn.append(list(h["epoch"])))
    fit([LossPlot(tmp_path / "losses.png", every_n_epochs=2)], epochs=5)
    assert drawn == [[1, 2], [1, 2, 3, 4], [1, 2, 3, 4, 5]]
    drawn.clear()
    fit([LossPlot(tmp_path / "losses.png", every_n_epochs=2)], epochs=4)
    assert drawn == [[1, 2], [1, 2, 3, 4]]  # the last epoch is on the graph already


def test_draws_the_epochs_so_far_when_training_fails(fit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[list[int]] = []
    monkeypatch.setattr(LossPlot, "draw", lambda self, h: drawn.append(list(h["epoch"])))

    class FailInEpoch3(Callback):
        def on_epoch_start(self, trainer):
            if trainer.epoch == 3:
                raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fit([LossPlot(tmp_path / "losses.png", every_n_epochs=10), FailInEpoch3()], epochs=5)
    assert drawn == [[1, 2]]


def test_a_failing_drawing_does_not_hide_the_training_error(fit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, history):
        raise OSError("disk full")

    monkeypatch.setattr(LossPlot, "draw", broken)

    class FailInEpoch2(Callback):
        def on_epoch_start(self, trainer):
            if trainer.epoch == 2:
                raise RuntimeError("boom")

    with pytest.warns(RuntimeWarning, match=r"disk full \(while handling RuntimeError\)"), pytest.raises(RuntimeError, match="boom"):
        fit([LossPlot(tmp_path / "losses.png", every_n_epochs=5), FailInEpoch2()], epochs=3)
