"""SampleGrid: files and their size, the same noise every epoch, the global RNG left alone,
state and resume, sampling from EMA weights, rank 0 only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from pygan import CALLBACKS, ModelCheckpoint
from pygan.callbacks import EMA, SampleGrid


def test_registered() -> None:
    assert CALLBACKS.get("sample_grid") is SampleGrid


def test_grids_land_every_n_epochs_and_after_the_last(fit, tmp_path: Path) -> None:
    fit([SampleGrid(tmp_path / "out" / "samples", every_n_epochs=2, n=6, nrow=3)], epochs=3)
    files = sorted(p.name for p in (tmp_path / "out" / "samples").iterdir())
    assert files == ["epoch-0002.png", "epoch-0003.png"]
    with Image.open(tmp_path / "out" / "samples" / "epoch-0003.png") as image:
        assert image.size == (3 * 8 + 4 * 2, 2 * 8 + 3 * 2)  # 3 columns, 2 rows, 2px padding
        assert image.mode == "RGB"


def test_same_weights_give_the_same_png(fit, tmp_path: Path) -> None:
    fit([SampleGrid(tmp_path / "frozen", n=16, nrow=4)], epochs=2, g_lr=0.0)
    first, second = (tmp_path / "frozen" / f"epoch-000{e}.png" for e in (1, 2))
    assert first.read_bytes() == second.read_bytes()
    fit([SampleGrid(tmp_path / "trained", n=16, nrow=4)], epochs=2)
    first, second = (tmp_path / "trained" / f"epoch-000{e}.png" for e in (1, 2))
    assert first.read_bytes() != second.read_bytes()


def test_pixels_are_the_generated_images_mapped_from_minus_one_one(fit, tmp_path: Path) -> None:
    cb = SampleGrid(tmp_path, n=2, nrow=2)
    trainer = fit([cb], epochs=1)
    generated = trainer.generator.sample(2, z=cb.noise)[1, 0]
    with Image.open(tmp_path / "epoch-0001.png") as image:
        pixels = torch.tensor(np.array(image), dtype=torch.float32)  # (12, 22, 3)
    expected = ((generated + 1) / 2 * 255 + 0.5).clamp(0, 255).floor()
    assert torch.equal(pixels[2:10, 12:20, 0], expected)  # the second image, red channel
    assert pixels[:2].eq(0).all()  # padding


def test_training_is_the_same_with_or_without_it(fit, tmp_path: Path) -> None:
    with_grid = fit([SampleGrid(tmp_path)], epochs=2)
    without = fit([], epochs=2)
    assert with_grid.history["g_loss"] == without.history["g_loss"]
    for a, b in zip(with_grid.generator.parameters(), without.generator.parameters()):
        assert torch.equal(a, b)


def test_noise_comes_from_the_seed() -> None:
    from pygan import MLPGenerator

    g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
    a, b, c = SampleGrid(n=4, seed=3), SampleGrid(n=4, seed=3), SampleGrid(n=4, seed=4)
    for cb in (a, b, c):
        cb.render(g)
    assert a.noise.shape == (4, 8)
    assert torch.equal(a.noise, b.noise) and not torch.equal(a.noise, c.noise)


def test_state_round_trips() -> None:
    from pygan import MLPGenerator

    g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
    cb = SampleGrid(n=4, seed=3)
    assert cb.state_dict() == {}
    grid = cb.render(g)
    other = SampleGrid(n=4, seed=99)
    other.load_state_dict(cb.state_dict())
    assert torch.equal(other.noise, cb.noise)
    assert torch.equal(other.render(g), grid)


def test_resumed_run_draws_the_grid_of_an_uninterrupted_run(fit, tmp_path: Path) -> None:
    fit([ModelCheckpoint(tmp_path / "full"), SampleGrid(tmp_path / "full")], epochs=3)
    fit([ModelCheckpoint(tmp_path / "part"), SampleGrid(tmp_path / "part")], epochs=1)
    # another seed: the noise stored in the checkpoint wins
    fit(
        [ModelCheckpoint(tmp_path / "part"), SampleGrid(tmp_path / "part", seed=7)],
        epochs=3,
        resume_from=tmp_path / "part" / "epoch-0001.ckpt",
    )
    for epoch in (2, 3):
        name = f"epoch-000{epoch}.png"
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def test_samples_with_ema_weights_when_there_is_an_ema(fit, tmp_path: Path) -> None:
    ema, grid, raw = EMA(decay=0.9), SampleGrid(tmp_path / "ema"), SampleGrid(tmp_path / "raw", use_ema=False)
    trainer = fit([grid, raw, ema], epochs=1)
    saved = (tmp_path / "ema" / "epoch-0001.png").read_bytes()
    assert saved != (tmp_path / "raw" / "epoch-0001.png").read_bytes()
    from torchvision.utils import save_image

    save_image(grid.render(ema.averaged_generator()), tmp_path / "check.png")
    assert (tmp_path / "check.png").read_bytes() == saved
    assert trainer.generator.training  # sampling restored the mode


def test_only_rank_zero_writes(fit, tmp_path: Path) -> None:
    fit([SampleGrid(tmp_path / "samples")], epochs=1, global_zero=False)
    assert not (tmp_path / "samples").exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"every_n_epochs": 0}, ValueError, "every_n_epochs to be an integer >= 1, got 0"),
        ({"n": 0}, ValueError, "n to be an integer >= 1"),
        ({"nrow": 2.5}, TypeError, "nrow"),
        ({"seed": -1}, ValueError, "seed to be an integer >= 0"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        SampleGrid(**kwargs)
