"""`pygan train --dry-run` shows what the run would be: the config, and every callback it would
run, those the config lists and those added for the run directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from pygan.cli import main
from pygan.config import STANDARD_CALLBACKS
from test_config import write_tiny_config


def test_dry_run_prints_the_callbacks_it_would_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_tiny_config(tmp_path, '\n[[callbacks]]\nname = "ema"\ndecay = 0.99\n')
    code = main(["train", str(config), "--out", str(tmp_path / "run"), "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "[generator]" in out  # the config as it would run
    line = next(line for line in err.splitlines() if "callbacks, in the order they would run" in line)
    shown = line.split(": ", 2)[-1].split(", ")
    assert shown[0] == "ema"  # listed by the config: not marked
    added = [name.removesuffix(" (added)") for name in shown[1:]]
    assert all(name.endswith(" (added)") for name in shown[1:])
    # every standard callback, in STANDARD_CALLBACKS' order (loss_plot only with matplotlib)
    assert [n for n in STANDARD_CALLBACKS if n in added] == added
    assert set(STANDARD_CALLBACKS) - set(added) <= {"loss_plot"}
    assert not (tmp_path / "run").exists()  # a dry run writes nothing


def test_dry_run_does_not_mark_a_standard_callback_the_config_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_tiny_config(tmp_path, '\n[[callbacks]]\nname = "checkpoint"\nkeep_last = 1\n')
    assert main(["train", str(config), "--out", str(tmp_path / "run"), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "would run: checkpoint, sample_grid (added)," in err
    assert "checkpoint (added)" not in err
