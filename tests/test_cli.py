"""The ``pygan`` command end to end, on tiny configs: train -> sample -> list, resume, Ctrl-C."""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import pygan.metrics
from pygan import load_checkpoint, load_generator
from pygan.cli import main
from pygan.config import load_config
from test_config import write_tiny_config


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run ``pygan ARGS`` in this process; return the exit code, stdout and stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def generator_weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(checkpoint)["generator"]["state_dict"]


def test_train_writes_the_run_directory_then_sample_and_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_tiny_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "train", config, "--set", "trainer.seed=5", "--set", "callbacks.ema.decay=0.5")
    assert code == 0, err
    run_dir = tmp_path / "runs" / "tiny"
    assert "Trained 2 epochs" in out and str(Path("runs") / "tiny") in out
    for name in ("config.toml", "metrics.csv", "losses.png", "samples/epoch-0001.png", "samples/epoch-0002.png"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "epoch-0002.ckpt").is_file()
    assert load_config(run_dir / "config.toml") == load_config(config, ["trainer.seed=5", "callbacks.ema.decay=0.5"])
    assert (run_dir / "metrics.csv").read_text().splitlines()[0].startswith("epoch,d_loss,g_loss")
    assert len((run_dir / "metrics.csv").read_text().splitlines()) == 3
    with Image.open(run_dir / "progress.gif") as gif:
        assert gif.n_frames == 2

    last = run_dir / "checkpoints" / "last.ckpt"
    code, out, _ = run(capsys, "sample", last, "-n", 6, "-o", tmp_path / "grid.png", "--seed", 1)
    assert code == 0 and "Wrote 6 images (1x8x8, a grid)" in out
    with Image.open(tmp_path / "grid.png") as grid:  # 3 x 2 images of 8 pixels, 2-pixel padding
        assert grid.size == (3 * 8 + 4 * 2, 2 * 8 + 3 * 2)
    assert run(capsys, "sample", last, "-n", 6, "-o", tmp_path / "a.pt", "--seed", 1)[0] == 0
    assert run(capsys, "sample", last, "-n", 6, "--format", "npy", "-o", tmp_path / "a.npy", "--seed", 1)[0] == 0
    tensor, array = torch.load(tmp_path / "a.pt"), np.load(tmp_path / "a.npy")
    z = torch.randn(6, 8, generator=torch.Generator().manual_seed(1))
    assert tensor.shape == (6, 1, 8, 8) and tensor.abs().max() <= 1
    assert torch.equal(tensor, torch.from_numpy(array))
    assert torch.allclose(tensor, load_generator(last).sample(6, z=z))  # the EMA weights, seeded noise

    code, out, _ = run(capsys, "list", "generators")
    assert code == 0 and out.splitlines()[1].startswith("mlp ") and "MLP generator" in out


def test_train_writes_the_gif_the_config_names_instead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    args = ["--set", "callbacks.sample_grid.gif=anim/grids.gif", "--set", "callbacks.time_limit={minutes = 1e-9}"]
    code, _, err = run(capsys, "train", write_tiny_config(tmp_path), "--out", run_dir, *args)
    assert code == 0, err
    assert not (run_dir / "progress.gif").exists()
    with Image.open(run_dir / "anim" / "grids.gif") as gif:
        assert gif.n_frames == 1  # the time limit ended the run after epoch 1, which has its grid


def test_train_reports_the_epochs_a_time_limit_left_and_the_best_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    overrides = ["callbacks.time_limit={minutes = 1e-9}", "callbacks.checkpoint={monitor = 'g_loss'}"]
    code, out, err = run(capsys, "train", write_tiny_config(tmp_path), *[a for o in overrides for a in ("--set", o)])
    assert code == 0, err
    best = Path("runs") / "tiny" / "checkpoints" / "best.ckpt"
    assert "Trained 1 epoch (" in out and f"Best g_loss {load_checkpoint(best)['history'][0]['g_loss']:.4g} at epoch 1: {best}" in out


def test_resume_continues_a_seedless_run_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_tiny_config(tmp_path)
    config.write_text(config.read_text().replace("seed = 0\n", ""))
    first, straight = tmp_path / "first", tmp_path / "straight"
    assert run(capsys, "train", config, "--out", first, "--set", "trainer.epochs=1")[0] == 0
    seed = load_config(first / "config.toml").trainer.seed
    assert seed is not None  # picked at random and recorded

    code, _, err = run(capsys, "train", config, "--out", first)
    assert code == 2 and "already holds a run" in err and "--resume" in err
    code, _, err = run(capsys, "train", config, "--out", first, "--resume")
    assert code == 0, err
    assert load_config(first / "config.toml").trainer.seed == seed  # the seed of the run, kept
    assert len((first / "metrics.csv").read_text().splitlines()) == 3

    assert run(capsys, "train", first / "config.toml", "--out", straight)[0] == 0
    resumed, uninterrupted = (generator_weights(d / "checkpoints" / "last.ckpt") for d in (first, straight))
    assert all(torch.equal(resumed[k], uninterrupted[k]) for k in resumed)

    code, _, err = run(capsys, "train", config, "--out", first, "--resume")
    assert code == 0 and "nothing to train" in err and "trainer.epochs=N" in err
    code, _, err = run(capsys, "train", config, "--out", tmp_path / "none", "--resume")
    assert code == 2 and "holds no run to resume" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "trainer.batchsize=8"], "trainer.batchsize: Unknown Trainer argument 'batchsize'. Did you mean 'batch_size'?"),
        (["--set", "generator.name=mpl"], "generator.name: Unknown generator 'mpl'. Did you mean 'mlp'?"),
        (["--set", "generator.hidden=16"], "generator.hidden = 16: expected Sequence[int]"),
        (["--set", "generator.hidden=[0]"], "generator: Expected hidden[0] to be an integer >= 1, got 0."),
        (["--set", "trainer"], "--set 'trainer': expected section.key=value"),
        (["--set", "callbacks.checkpoint.dirpath=/tmp"], "inside the run directory"),
    ],
)
def test_config_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, "train", write_tiny_config(tmp_path), "--out", tmp_path / "run", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("pygan: error: ") and fragment in err
    assert not (tmp_path / "run").exists()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", tmp_path / "missing.toml")
    assert code == 2 and "Cannot read the config" in err
    code, _, err = run(capsys, "sample", tmp_path / "missing.ckpt")
    assert code == 2 and "No checkpoint at" in err
    code, _, err = run(capsys, "sample", tmp_path / "missing.ckpt", "-o", "grid.jpg")
    assert code == 2 and "cannot tell the format from the suffix 'jpg'" in err
    code, _, err = run(capsys, "sample", tmp_path / "missing.ckpt", "-o", "grid.png", "--format", "pt")
    assert code == 2 and "make them agree" in err
    code, _, err = run(capsys, "sample", tmp_path / "x.ckpt", "-n", "0")
    assert code == 2 and "expected an integer >= 1, got 0" in err
    assert run(capsys, "list", "widgets")[0] == 2
    assert run(capsys)[0] == 2


def test_debug_adds_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_tiny_config(tmp_path)
    code, _, err = run(capsys, "train", config, "--set", "trainer.epochs=0", "--debug")
    assert code == 2 and "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1] == "pygan: error: Expected trainer.epochs to be an integer >= 1, got 0."


def test_a_failure_while_running_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "checkpoints").write_text("a file where the directory should be")
    code, _, err = run(capsys, "train", write_tiny_config(tmp_path), "--out", run_dir)
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("pygan: error: CheckpointError: Cannot write checkpoints to")
    assert "--debug" in err and "Traceback" not in err


def test_evaluate_prints_a_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_tiny_config(tmp_path)
    assert run(capsys, "train", config, "--out", tmp_path / "run", "--set", "trainer.epochs=1")[0] == 0
    calls = []

    def evaluate_generator(generator: object, **kwargs: object) -> dict[str, object]:
        inspect.signature(real_evaluate).bind(generator, **kwargs)  # what the real one takes
        calls.append(kwargs)
        return {"n": 50, "modes": 9, "frechet_distance": 12.5, "class_histogram": [0.5, 0.5], "reference_modes": 10}

    real_evaluate = pygan.metrics.evaluate_generator
    monkeypatch.setattr(pygan.metrics, "evaluate_generator", evaluate_generator)
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    csv = json.dumps(str(tmp_path / "tiny.csv"))
    code, out, err = run(
        capsys, "evaluate", last, "--n", 50, "--json", tmp_path / "eval.json", "--seed", 3,
        "--reference", f"{{name = 'csv', path = {csv}, shape = [1, 8, 8], limit = 10}}",
    )
    assert code == 0, err
    assert calls[0]["n"] == 50 and calls[0]["seed"] == 3 and len(calls[0]["reference"]) == 10
    assert out.splitlines()[:4] == [
        "figure            generated  reference",
        "n                 50",
        "modes             9          10",
        "frechet_distance  12.5000",
    ]
    assert json.loads((tmp_path / "eval.json").read_text())["class_histogram"] == [0.5, 0.5]
    code, _, err = run(capsys, "evaluate", last, "--real", "mnist5k")
    assert code == 2 and "--real.name: Unknown dataset 'mnist5k'. Did you mean 'mnist_5k'" in err
    code, _, err = run(capsys, "evaluate", last, "--parzen-test", "{name = 'csv', path = 'nowhere.csv'}")
    assert code == 2 and "--parzen-test: No CSV file at nowhere.csv" in err


def test_evaluate_takes_judges_and_their_data_and_shows_each_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_tiny_config(tmp_path)
    assert run(capsys, "train", config, "--out", tmp_path / "run", "--set", "trainer.epochs=1")[0] == 0
    calls = []

    def evaluate_generator(generator: object, **kwargs: object) -> dict[str, object]:
        inspect.signature(real_evaluate).bind(generator, **kwargs)
        calls.append(kwargs)
        return {
            "n": 50, "judges": ["cnn-0", "mlp-1"],
            "frechet_distance": 3.0, "frechet_distance_low": 2.5, "frechet_distance_high": 3.5,
            "frechet_distance_min": 2.0, "frechet_distance_max": 4.0,
            "frechet_distance/cnn-0": 4.0, "frechet_distance/mlp-1": 2.0,
            "class_histogram": [0.5, 0.5], "class_histogram/cnn-0": [0.4, 0.6], "reference_frechet_distance": 1.0,
        }

    real_evaluate = pygan.metrics.evaluate_generator
    monkeypatch.setattr(pygan.metrics, "evaluate_generator", evaluate_generator)
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    csv = json.dumps(str(tmp_path / "tiny.csv"))
    code, out, err = run(
        capsys, "evaluate", last, "--judges", "cnn-0", "mlp-1", "--bootstrap", 0,
        "--reference-data", f"{{name = 'csv', path = {csv}, shape = [1, 8, 8]}}",
    )
    assert code == 0, err
    assert calls[0]["judges"] == ["cnn-0", "mlp-1"] and calls[0]["bootstrap"] == 0
    assert calls[0]["data"] == {"name": "csv", "path": str(tmp_path / "tiny.csv"), "shape": [1, 8, 8]}
    assert out.splitlines()[:3] == [
        "figure            generated  judges min-max  95% interval   cnn-0   mlp-1   reference",
        "n                 50",
        "frechet_distance  3.0000     2.0000-4.0000   2.5000-3.5000  4.0000  2.0000  1.0000",
    ]
    assert out.splitlines()[3].startswith("class_histogram   0.5000 0.5000") and "0.4000" not in out
    assert run(capsys, "evaluate", last)[0] == 0 and calls[1]["judges"] is None and calls[1]["data"] is None
    assert calls[1]["draws"] == 1
    code, out, err = run(capsys, "evaluate", last, "--draws", 6)
    assert code == 0 and calls[2]["draws"] == 6
    code, _, err = run(capsys, "evaluate", last, "--draws", 0)
    assert code == 2 and "--draws" in err
    code, _, err = run(capsys, "evaluate", last, "--judges", "cnn")
    assert code == 2 and "such as 'cnn-0'" in err
    code, _, err = run(capsys, "evaluate", last, "--reference-data", "fashion")
    assert code == 2 and "--reference-data.name: Unknown dataset 'fashion'. Did you mean 'fashion_mnist'" in err


@pytest.mark.parametrize("command", [[], ["train"], ["sample"], ["evaluate"], ["list"]])
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and out.startswith(f"usage: pygan {' '.join(command)}".rstrip())


def test_list_shows_every_kind_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    for kind in ("generators:", "discriminators:", "losses:", "terms:", "callbacks:", "datasets:", "optimizers:"):
        assert kind + "\n" in out
    assert re.search(r"^  non_saturating +The non-saturating GAN loss", out, re.MULTILINE)  # names in a column
    assert re.search(r"^  adam +", out, re.MULTILINE)
    assert re.search(r"^  info +InfoGAN's information term", out, re.MULTILINE)


def test_ctrl_c_saves_a_checkpoint_exits_130_and_the_run_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_tiny_config(tmp_path)
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "pygan", "train", str(config), "--out", str(run_dir), "--set", "trainer.epochs=100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / "checkpoints" / "epoch-0001.ckpt").exists():
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    message = err.strip().splitlines()[-1]
    assert message.startswith("Interrupted in epoch") and f"--out {run_dir} --resume" in message
    state = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    assert state["global_step"] >= 4 and load_generator(run_dir / "checkpoints" / "last.ckpt").sample(2).shape == (2, 1, 8, 8)
    epochs = state["epoch"] + 1
    code, _, err = run(capsys, "train", run_dir / "config.toml", "--out", run_dir, "--resume", "--set", f"trainer.epochs={epochs}")
    assert code == 0, err
    assert load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["epoch"] == epochs
    assert math.isfinite(float((run_dir / "metrics.csv").read_text().splitlines()[-1].split(",")[1]))


def test_export_writes_safetensors_and_config(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    import pygan

    trainer = pygan.Trainer(
        pygan.MLPGenerator(latent_dim=4, output_shape=(1, 8, 8), hidden=(8,)),
        pygan.MLPDiscriminator((1, 8, 8), hidden=(8,)),
        device="cpu",
    )
    trainer.save_checkpoint(str(tmp_path / "model.ckpt"))
    out = tmp_path / "g.safetensors"
    assert main(["export", str(tmp_path / "model.ckpt"), "-o", str(out)]) == 0
    generator = pygan.load_exported_generator(out)
    z = torch.randn(3, 4)
    torch.testing.assert_close(generator(z), trainer.generator.eval()(z))
    assert main(["export", str(tmp_path / "model.ckpt"), "-o", str(tmp_path / "g.bin")]) == 2
