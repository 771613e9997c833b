"""``pygan sample`` with classes: --labels 7, 0,3,5 and all on a conditional checkpoint; the
seeded class prior without it; --labels refused where it cannot apply."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pygan import load_generator
from pygan.cli import main

CLASSES = 3  # of the conditional_run fixture's generator


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def seeded_noise(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, 8, generator=torch.Generator().manual_seed(seed))


def cells(png: Path, rows: int, columns: int) -> torch.Tensor:
    """The images of a PNG grid of 8x8 images with 2-pixel padding, as (rows, columns, 8, 8) pixels."""
    with Image.open(png) as image:
        assert image.size == (columns * 10 + 2, rows * 10 + 2)
        pixels = torch.tensor(np.array(image.convert("L")), dtype=torch.float32)
    return torch.stack(
        [torch.stack([pixels[2 + 10 * r : 10 + 10 * r, 2 + 10 * c : 10 + 10 * c] for c in range(columns)]) for r in range(rows)]
    )


def as_pixels(images: torch.Tensor) -> torch.Tensor:
    return ((images[:, 0] + 1) / 2 * 255 + 0.5).clamp(0, 255).floor()


def test_one_class_for_every_image(conditional_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint, _ = conditional_run
    code, out, err = run(capsys, "sample", checkpoint, "--labels", 2, "-n", 6, "-o", tmp_path / "twos.pt", "--seed", 1)
    assert code == 0, err
    assert "Wrote 6 images of class 2 (1x8x8, values in [-1, 1])" in out
    expected = load_generator(checkpoint).sample(6, z=seeded_noise(6, 1), labels=2)
    torch.testing.assert_close(torch.load(tmp_path / "twos.pt"), expected, rtol=0, atol=0)


def test_a_list_shares_the_images_out_grouped_by_class(
    conditional_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint, _ = conditional_run
    code, out, _ = run(capsys, "sample", checkpoint, "--labels", "2,0", "-n", 5, "-o", tmp_path / "x.npy", "--seed", 3)
    assert code == 0 and "Wrote 5 images of classes 2, 0 (" in out
    expected = load_generator(checkpoint).sample(5, z=seeded_noise(5, 3), labels=[2, 2, 2, 0, 0])
    torch.testing.assert_close(torch.from_numpy(np.load(tmp_path / "x.npy")), expected, rtol=0, atol=0)


@pytest.mark.parametrize(("n", "counts"), [(6, [2, 2, 2]), (7, [3, 2, 2])])
def test_all_draws_each_class_in_its_own_row(
    conditional_run, tmp_path: Path, capsys: pytest.CaptureFixture[str], n: int, counts: list[int]
) -> None:
    checkpoint, _ = conditional_run
    code, out, _ = run(capsys, "sample", checkpoint, "--labels", "all", "-n", n, "-o", tmp_path / "grid.png", "--seed", 0)
    assert code == 0 and f"Wrote {n} images of classes 0, 1, 2 (1x8x8, a grid, one row per class)" in out
    labels = torch.arange(CLASSES).repeat_interleave(torch.tensor(counts))
    expected = as_pixels(load_generator(checkpoint).sample(n, z=seeded_noise(n, 0), labels=labels)).split(counts)
    grid = cells(tmp_path / "grid.png", rows=CLASSES, columns=max(counts))
    for row, images in enumerate(expected):
        assert torch.equal(grid[row, : len(images)], images)
        assert grid[row, len(images) :].eq(0).all()  # a short row ends in black cells
    assert not torch.equal(grid[0, 0], grid[1, 0])


def test_without_labels_the_classes_come_from_the_seeded_prior(
    conditional_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint, _ = conditional_run
    for name in ("a.pt", "b.pt"):
        assert run(capsys, "sample", checkpoint, "-n", 40, "-o", tmp_path / name, "--seed", 4)[0] == 0
    first, second = torch.load(tmp_path / "a.pt"), torch.load(tmp_path / "b.pt")
    assert torch.equal(first, second)  # the same seed, the same classes too
    generator, rng = load_generator(checkpoint), torch.Generator().manual_seed(4)
    z = generator.sample_latent(40, generator=rng)
    torch.testing.assert_close(first, generator.sample(40, z=z, labels=generator.sample_labels(40, generator=rng)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--labels", "0,3"], "--labels: Label 3 is outside [0, 3): the model knows 3 classes, 0 to 2."),
        (["--labels", "-1"], "--labels: Label -1 is outside [0, 3)"),
        (["--labels", "1,x"], "expected one class (7), a comma-separated list (0,3,5) or all, got '1,x'"),
        (["--labels", "all", "-n", "2"], "-n 2 is fewer than the 3 classes --labels asks for; use -n 3 or more."),
        (["--labels", "all", "--nrow", "4"], "--nrow does not apply with several --labels classes"),
    ],
)
def test_bad_labels_exit_2_and_say_why(
    conditional_run, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    checkpoint, _ = conditional_run
    code, out, err = run(capsys, "sample", checkpoint, "-o", tmp_path / "x.png", *args)
    assert code == 2 and out == "" and message in err
    assert not (tmp_path / "x.png").exists()


def test_labels_on_an_unconditional_checkpoint_exit_2(
    tiny_models, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pygan import Trainer

    Trainer(*tiny_models(), device="cpu").save_checkpoint(str(tmp_path / "plain.ckpt"))
    code, _, err = run(capsys, "sample", tmp_path / "plain.ckpt", "--labels", "7", "-o", tmp_path / "x.png")
    assert code == 2 and err.count("\n") == 1
    assert "--labels: the checkpoint's generator (MLPGenerator) is unconditional (num_classes=0)" in err
    assert "leave --labels out" in err and not (tmp_path / "x.png").exists()


def test_help_explains_labels(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sample", "--help")
    assert code == 0 and "--labels CLASSES" in out and "one row per class" in out and "class prior" in out
