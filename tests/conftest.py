"""Shared fixtures: tiny models and data, and installing a real plugin distribution."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from pygan import MLPDiscriminator, MLPGenerator, Trainer

SHAPE = (1, 8, 8)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread; on a busy machine several threads fight (10x)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_models() -> Callable[..., tuple[MLPGenerator, MLPDiscriminator]]:
    """A factory of seeded tiny MLP generator/discriminator pairs for 8x8 images."""

    def make(seed: int = 0, **d_kwargs: object) -> tuple[MLPGenerator, MLPDiscriminator]:
        torch.manual_seed(seed)
        g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,))
        d = MLPDiscriminator(input_shape=SHAPE, hidden=(16,), **d_kwargs)
        return g, d

    return make


@pytest.fixture
def tiny_data() -> torch.Tensor:
    """96 random uint8 8x8 images."""
    return torch.randint(0, 256, (96, *SHAPE), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


CLASSES = 3


@pytest.fixture(scope="session")
def conditional_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Trainer]:
    """A tiny conditional run of 3 classes (one epoch, EMA) saved by ModelCheckpoint: the
    path of its ``last.ckpt`` and its trainer (read it, do not train it further)."""
    from pygan.callbacks import EMA, ModelCheckpoint
    from pygan.data import ImageDataset

    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,), num_classes=CLASSES)
    d = MLPDiscriminator(input_shape=SHAPE, hidden=(16,), num_classes=CLASSES)
    images = torch.randint(0, 256, (48, *SHAPE), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    directory = tmp_path_factory.mktemp("conditional")
    trainer = Trainer(g, d, device="cpu", seed=0, callbacks=[EMA(decay=0.5), ModelCheckpoint(directory)])
    trainer.fit(ImageDataset(images, torch.arange(48) % CLASSES), epochs=1, batch_size=16)
    return directory / "last.ckpt", trainer


@pytest.fixture(scope="session")
def install_distribution(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Install a distribution with pip into a fresh target directory; return that directory.

    Python processes started with the directory on ``PYTHONPATH`` (see :func:`run_python`) see
    its entry points exactly as they would after ``pip install``, without touching the venv.
    """
    installed: dict[Path, Path] = {}

    def install(source: Path) -> Path:
        if source not in installed:
            target = tmp_path_factory.mktemp(source.name)
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                 "--no-build-isolation", "--target", str(target), str(source)],
                check=True,
                capture_output=True,
            )
            installed[source] = target
        return installed[source]

    return install


@pytest.fixture(scope="session")
def run_python() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_python(code, *paths, env=None)`` runs ``code`` in a fresh interpreter with
    ``paths`` prepended to PYTHONPATH (how the tests see an installed plugin's entry points)."""

    def run(code: str, *paths: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, **(env or {})}
        environment["PYTHONPATH"] = os.pathsep.join([*map(str, paths), environment.get("PYTHONPATH", "")])
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120
        )

    return run


# The plugin distributions are installed by the tests, never imported from the source tree
# (one of its modules fails on import on purpose).
collect_ignore = ["plugin_dist", "variant_plugin_dist"]
