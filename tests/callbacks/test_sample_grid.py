"""SampleGrid: files and their size, the same noise every epoch, the global RNG left alone,
state and resume, sampling from EMA weights, rank 0 only; a row per class for a conditional
generator; the last epoch's grid however the run ends; the progress GIF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from pygan import (
    CALLBACKS,
    Callback,
    MLPDiscriminator,
    MLPGenerator,
    ModelCheckpoint,
    TimeLimit,
    Trainer,
)
from pygan.callbacks import EMA, SampleGrid
from pygan.callbacks.sample_grid import write_gif
from pygan.data import ImageDataset


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


class EndAfter(Callback):
    """Lowers ``trainer.max_epochs`` to end the run after ``epoch``, as TimeLimit does."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, trainer, logs) -> None:
        if trainer.completed_epochs == self.epoch:
            trainer.max_epochs = self.epoch


@pytest.mark.parametrize("grid_first", [True, False])
def test_a_run_ended_early_still_saves_its_last_epoch(fit, tmp_path: Path, grid_first: bool) -> None:
    grid = SampleGrid(tmp_path / "early", every_n_epochs=2, gif=tmp_path / "progress.gif")
    trainer = fit([grid, EndAfter(3)] if grid_first else [EndAfter(3), grid], epochs=10)
    assert trainer.completed_epochs == 3
    assert sorted(p.name for p in (tmp_path / "early").iterdir()) == ["epoch-0002.png", "epoch-0003.png"]
    fit([SampleGrid(tmp_path / "every")], epochs=3)  # the same run, a grid every epoch
    assert (tmp_path / "early" / "epoch-0003.png").read_bytes() == (tmp_path / "every" / "epoch-0003.png").read_bytes()
    with Image.open(tmp_path / "progress.gif") as gif:
        assert gif.n_frames == 2


def test_a_time_limit_listed_after_the_grid_still_gets_the_last_grid(fit, tmp_path: Path) -> None:
    fit([SampleGrid(tmp_path, every_n_epochs=100), TimeLimit(minutes=1e-9)], epochs=5)
    assert [p.name for p in tmp_path.iterdir()] == ["epoch-0001.png"]


def test_the_gif_holds_every_grid_of_a_resumed_run_in_epoch_order(fit, tmp_path: Path) -> None:
    gif = tmp_path / "run" / "progress.gif"
    fit([ModelCheckpoint(tmp_path / "ckpt"), SampleGrid(tmp_path / "samples", gif=gif)], epochs=2)
    fit(
        [ModelCheckpoint(tmp_path / "ckpt"), SampleGrid(tmp_path / "samples", gif=gif)],
        epochs=3,
        resume_from=tmp_path / "ckpt" / "last.ckpt",
    )
    with Image.open(gif) as image:
        assert image.n_frames == 3 and image.info["loop"] == 0
        image.seek(2)
        last = np.array(image.convert("L"))
    with Image.open(tmp_path / "samples" / "epoch-0003.png") as png:
        assert np.abs(last.astype(int) - np.array(png.convert("L")).astype(int)).max() <= 8  # GIF palette


def test_no_gif_without_the_option_nor_without_frames(fit, tmp_path: Path) -> None:
    fit([SampleGrid(tmp_path / "samples")], epochs=1)
    assert [p.name for p in tmp_path.iterdir()] == ["samples"]
    assert write_gif([], tmp_path / "empty.gif") is None and not (tmp_path / "empty.gif").exists()
    fit([SampleGrid(tmp_path / "other", gif=tmp_path / "g.gif")], epochs=1, global_zero=False)
    assert not (tmp_path / "g.gif").exists()  # rank 0 only


CLASSES = 3


def conditional_generator(seed: int = 1) -> MLPGenerator:
    torch.manual_seed(seed)
    return MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,), num_classes=CLASSES)


def test_a_conditional_grid_has_a_row_per_class_and_a_column_per_noise() -> None:
    g = conditional_generator()
    cb = SampleGrid(n=64, nrow=4)
    grid = cb.render(g)
    assert cb.noise.shape == (4, 8)  # one noise vector per column
    assert grid.shape == (3, CLASSES * 10 + 2, 4 * 10 + 2)
    for row in range(CLASSES):
        expected = g.sample(4, z=cb.noise, labels=row)
        for column in range(4):
            cell = grid[0, 2 + 10 * row : 10 + 10 * row, 2 + 10 * column : 10 + 10 * column]
            torch.testing.assert_close(cell, (expected[column, 0] + 1) / 2)
    assert not torch.allclose(grid[:, 2:10], grid[:, 12:20])  # the classes differ


def test_a_conditional_run_saves_the_same_noise_every_time(tmp_path: Path) -> None:
    torch.manual_seed(0)
    images = torch.randint(0, 256, (48, 1, 8, 8), dtype=torch.uint8)
    data = ImageDataset(images, torch.arange(48) % CLASSES)
    d = MLPDiscriminator((1, 8, 8), hidden=(16,), num_classes=CLASSES)
    frozen = lambda params: torch.optim.SGD(params, lr=0.0)  # the generator does not change
    cb = SampleGrid(tmp_path, nrow=5)
    trainer = Trainer(conditional_generator(), d, g_optimizer=frozen, callbacks=[cb], device="cpu", seed=0)
    trainer.fit(data, epochs=2, batch_size=16)
    first, second = (tmp_path / f"epoch-000{e}.png" for e in (1, 2))
    assert first.read_bytes() == second.read_bytes()
    with Image.open(first) as image:
        assert image.size == (5 * 10 + 2, CLASSES * 10 + 2)
