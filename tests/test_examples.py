"""The examples: every classic tutorial config trains with `pygan train`, and the MNIST
example's Python script and TOML config are the same run."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
import torchvision.datasets

from pygan import ImageDataset, Trainer, load_checkpoint, load_generator
from pygan.callbacks import EMA, CSVLogger, Evaluation, LabelSmoothing, LossPlot, ModelCheckpoint, ProgressBar, SampleGrid
from pygan.cli import main
from pygan.config import load_config

EXAMPLES = Path(__file__).parent.parent / "examples"
CLASSIC = sorted((EXAMPLES / "classic").glob("*.toml"))


def _import_example(name: str) -> Iterator[ModuleType]:
    """examples/NAME.py, imported as a module (the examples import each other by name)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(EXAMPLES))
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def mnist_mlp() -> Iterator[ModuleType]:
    """examples/mnist_mlp.py, imported as a module."""
    yield from _import_example("mnist_mlp")


@pytest.fixture(scope="module")
def mnist_cgan(mnist_mlp: ModuleType) -> Iterator[ModuleType]:
    """examples/mnist_cgan.py, imported as a module."""
    yield from _import_example("mnist_cgan")


def test_there_is_a_config_for_each_classic_tutorial() -> None:
    losses = {load_config(path).loss.name for path in CLASSIC}
    smoothing = [p.name for p in CLASSIC if any(c.name == "label_smoothing" for c in load_config(p).callbacks)]
    zeros = [load_config(p) for p in CLASSIC if load_config(p).data.kwargs.get("classes") == [0]]
    assert len(CLASSIC) == 4 and losses == {"non_saturating", "minimax"} and smoothing
    assert len(zeros) == 1 and zeros[0].trainer.d_steps > 1
    assert zeros[0].optimizers.g.kwargs["lr"] == 0.001 and zeros[0].optimizers.d.kwargs["lr"] == 0.05


@pytest.mark.parametrize("path", CLASSIC, ids=lambda p: p.stem)
def test_classic_config_trains_a_few_steps(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides = ["trainer.epochs=1", "data.limit=200", "trainer.device=cpu"]
    args = ["train", str(path), "--out", str(tmp_path / "run")]
    code = main(args + [a for o in overrides for a in ("--set", o)])
    assert code == 0, capsys.readouterr().err
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert state["epoch"] == 1 and state["global_step"] >= 1
    assert all(math.isfinite(v) for v in (state["history"][0]["d_loss"], state["history"][0]["g_loss"]))
    assert load_config(tmp_path / "run" / "config.toml") == load_config(path, overrides)


# The toml's InfoGAN line (`pygan train examples/mnist_mlp.toml --set ...`), as mnist_mlp.py --infogan.
INFOGAN_OVERRIDES = ["discriminator.heads={code = 10}", "terms.info.weight=0.1"]


def test_the_toml_header_gives_the_infogan_overrides() -> None:
    header = (EXAMPLES / "mnist_mlp.toml").read_text().split("\n[")[0]
    assert all(f"--set '{o}'" in header or f"--set {o}" in header for o in INFOGAN_OVERRIDES)


def assert_same_run(config: Any, recipe: Any, from_python: Trainer, tmp_path: Path) -> None:
    """The TOML config and the Python example build the same Trainer for ``recipe``."""
    from_toml = config.build(tmp_path / "toml").trainer
    terms = [(type(t).__name__, t.weight, getattr(t, "head", None)) for t in from_python.terms]
    assert [(type(t).__name__, t.weight, getattr(t, "head", None)) for t in from_toml.terms] == terms
    assert (config.trainer.epochs, config.trainer.batch_size) == (recipe.epochs, recipe.batch_size)
    assert from_toml.seed == from_python.seed and repr(from_toml.loss) == repr(from_python.loss)
    for a, b in [(from_toml.generator, from_python.generator), (from_toml.discriminator, from_python.discriminator)]:
        assert repr(a) == repr(b) and a.num_classes == b.num_classes  # the same layers, heads included
        weights_a, weights_b = a.state_dict(), b.state_dict()
        assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)  # same seed, same start
    for a, b in [(from_toml.g_optimizer, from_python.g_optimizer), (from_toml.d_optimizer, from_python.d_optimizer)]:
        assert type(a) is type(b)
        assert all(a.param_groups[0][k] == b.param_groups[0][k] for k in ("lr", "eps", "weight_decay"))
        assert tuple(a.param_groups[0]["betas"]) == tuple(b.param_groups[0]["betas"])
    toml_callbacks = [c for c in from_toml.callbacks if not isinstance(c, (CSVLogger, ProgressBar))]
    python_callbacks = [c for c in from_python.callbacks if not isinstance(c, (CSVLogger, ProgressBar))]
    assert sorted(type(c).__name__ for c in toml_callbacks) == sorted(type(c).__name__ for c in python_callbacks)
    by_type = {type(c): c for c in python_callbacks}
    for a in toml_callbacks:
        b = by_type[type(a)]
        assert not isinstance(a, LabelSmoothing) or a.real == b.real
        assert not isinstance(a, EMA) or (a.decay, a.start_step, a.warmup) == (b.decay, b.start_step, b.warmup)
        assert not isinstance(a, Evaluation) or (a.every_n_epochs, a.n, a.bootstrap) == (b.every_n_epochs, b.n, b.bootstrap)
        assert not isinstance(a, Evaluation) or list(a.judges) == list(b.judges)
        assert not isinstance(a, ModelCheckpoint) or (a.monitor, a.mode) == (b.monitor, b.mode)
        assert not isinstance(a, (LossPlot, SampleGrid)) or a.every_n_epochs == b.every_n_epochs
    assert from_toml.precision == from_python.precision


@pytest.mark.parametrize("infogan", [False, True], ids=["default", "infogan"])
def test_the_python_example_and_the_toml_are_the_same_run(mnist_mlp: ModuleType, tmp_path: Path, infogan: bool) -> None:
    config = load_config(EXAMPLES / "mnist_mlp.toml", INFOGAN_OVERRIDES if infogan else [])
    recipe = mnist_mlp.INFOGAN if infogan else mnist_mlp.RECIPE
    from_python = mnist_mlp.build_trainer(tmp_path / "py", recipe)
    assert_same_run(config, recipe, from_python, tmp_path)
    assert [(type(t).__name__, t.weight) for t in from_python.terms] == ([("InfoTerm", 0.1)] if infogan else [])
    assert from_python.generator.code_categories == recipe.code_categories
    assert from_python.discriminator.head_names == (("code",) if infogan else ())


def test_the_conditional_example_and_its_toml_are_the_same_run(mnist_cgan: ModuleType, tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "mnist_cgan.toml")
    from_python = mnist_cgan.build_trainer(tmp_path / "py", mnist_cgan.RECIPE)
    assert_same_run(config, mnist_cgan.RECIPE, from_python, tmp_path)
    assert from_python.generator.num_classes == from_python.discriminator.num_classes == 10
    assert from_python.discriminator.conditioning == mnist_cgan.RECIPE.conditioning


def test_the_python_example_writes_its_run_directory(
    mnist_mlp: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYGAN_CACHE", str(tmp_path / "cache"))  # trains the three judges (~20 s of CPU)
    mnist_mlp.main(["--epochs", "1", "--data", "mnist_5k", "--limit", "128", "--out", str(tmp_path / "run")])
    for name in ("samples/epoch-0001.png", "progress.gif", "checkpoints/last.ckpt", "metrics.csv", "losses.png"):
        assert (tmp_path / "run" / name).is_file(), name
    logged = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")["history"][0]
    assert logged["modes"] >= 1 and logged["frechet_distance"] > 0  # evaluated after the only epoch
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert f"Sample from it: pygan sample {last} -n 64 -o grid.png" in capsys.readouterr().out


def test_the_default_data_is_the_offline_digits_and_full_mnist_trains_the_same_steps(
    mnist_mlp: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no internet here")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    data = mnist_mlp.load_data("mnist_5k", limit=100)
    assert len(data) == 100 and len(set(data.labels.tolist())) > 5  # shuffled, not sorted by label
    with pytest.raises(SystemExit, match="Could not download MNIST"):
        mnist_mlp.load_data("mnist")  # asked for, not had: an error, not other data
    full = ImageDataset(torch.zeros(60000, 1, 2, 2, dtype=torch.uint8))
    epochs = mnist_mlp.same_steps(300, full, 64)
    assert epochs * (60000 // 64) >= 300 * (5000 // 64) > (epochs - 1) * (60000 // 64)


def test_the_conditional_example_writes_its_run_directory_and_asks_for_classes(
    mnist_cgan: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mnist_cgan.main(["--epochs", "1", "--limit", "128", "--out", str(tmp_path / "run")])
    assert (tmp_path / "run" / "samples" / "epoch-0001.png").is_file()
    g = load_generator(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert g.num_classes == 10 and g.sample(3, labels=[1, 2, 3]).shape == (3, 1, 28, 28)
    assert "--labels all" in capsys.readouterr().out


def test_the_dcgan_recipe_trains_a_few_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides = ["trainer.epochs=1", "data.limit=128", "trainer.device=cpu"]
    args = ["train", str(EXAMPLES / "mnist_dcgan.toml"), "--out", str(tmp_path / "run")]
    assert main(args + [a for o in overrides for a in ("--set", o)]) == 0, capsys.readouterr().err
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")["generator"]["name"] == "dcgan"
