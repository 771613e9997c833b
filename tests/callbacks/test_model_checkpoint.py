"""ModelCheckpoint keeps ``keep_last`` epoch files, across resumed runs too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pygan import ModelCheckpoint, Trainer, load_checkpoint


def epoch_files(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith("epoch-"))


@pytest.mark.parametrize("resume_from", ["last.ckpt", "epoch-0003.ckpt"])
def test_a_run_resumed_from_a_finished_one_prunes_the_file_it_resumed_from(
    tiny_models, tiny_data, tmp_path: Path, resume_from: str
) -> None:
    Trainer(*tiny_models(), device="cpu", callbacks=[ModelCheckpoint(tmp_path, keep_last=3)]).fit(
        tiny_data, epochs=3, batch_size=32
    )
    assert epoch_files(tmp_path) == ["epoch-0001.ckpt", "epoch-0002.ckpt", "epoch-0003.ckpt"]
    resumed = Trainer(*tiny_models(), device="cpu", callbacks=[ModelCheckpoint(tmp_path, keep_last=3)])
    resumed.fit(tiny_data, epochs=6, batch_size=32, resume_from=tmp_path / resume_from)
    assert epoch_files(tmp_path) == ["epoch-0004.ckpt", "epoch-0005.ckpt", "epoch-0006.ckpt"]


def test_each_checkpoint_lists_itself_among_the_saved_files(tiny_models, tiny_data, tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(tmp_path, keep_last=2)
    Trainer(*tiny_models(), device="cpu", callbacks=[checkpoint]).fit(tiny_data, epochs=3, batch_size=32)
    for epoch, expected in [(2, [1, 2]), (3, [2, 3])]:
        (state,) = load_checkpoint(tmp_path / f"epoch-{epoch:04d}.ckpt")["callbacks"].values()
        assert state["saved"] == [str(tmp_path / f"epoch-{e:04d}.ckpt") for e in expected]
    assert checkpoint.saved == [str(tmp_path / "epoch-0002.ckpt"), str(tmp_path / "epoch-0003.ckpt")]
