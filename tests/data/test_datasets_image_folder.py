"""image_folder: one subfolder of images a class, decoded into one uint8 tensor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from pygan.data import image_folder


def save(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three classes: 'a' (2 grey PNGs), 'b' (1 RGB PNG), 'c' (1 grey JPEG), all 4x6 pixels."""
    save(tmp_path / "a" / "1.png", np.full((4, 6), 10, np.uint8))
    save(tmp_path / "a" / "2.png", np.arange(24, dtype=np.uint8).reshape(4, 6))
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[..., 0] = 255
    save(tmp_path / "b" / "x.png", rgb)
    save(tmp_path / "c" / "y.jpg", np.full((4, 6), 200, np.uint8))
    return tmp_path


def test_grey_images_and_labels_in_folder_order(folder: Path) -> None:
    ds = image_folder(folder)
    assert ds.images.shape == (4, 1, 4, 6) and ds.images.dtype == torch.uint8
    assert ds.labels.tolist() == [0, 0, 1, 2]
    assert ds.images[0].unique().tolist() == [10]
    assert ds.images[1].flatten().tolist() == list(range(24))
    assert ds.images[2].unique().tolist() == [76]  # pure red in grey: 0.299 * 255
    assert abs(int(ds.images[3].float().mean()) - 200) <= 2  # JPEG is lossy
    image, label = ds[1]
    assert image.min() == -1 and label.item() == 0


def test_rgb_and_resize(folder: Path) -> None:
    ds = image_folder(folder, channels=3, size=(2, 3))
    assert ds.images.shape == (4, 3, 2, 3)
    assert ds.images[2, :, 0, 0].tolist() == [255, 0, 0]
    assert image_folder(folder, size=5).images.shape == (4, 1, 5, 5)


@pytest.mark.parametrize(("classes", "labels"), [(["b"], [1]), ([0, "c"], [0, 0, 2]), (2, [2])])
def test_classes_by_name_or_label(folder: Path, classes: Any, labels: list[int]) -> None:
    assert image_folder(folder, classes=classes).labels.tolist() == labels


def test_images_of_different_sizes_need_size(folder: Path) -> None:
    save(folder / "b" / "big.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(
        ValueError,
        match=r"big.png is 8x8 pixels but .*1.png is 6x4: all images must have one size. "
        r"Pass size=\(height, width\)",
    ):
        image_folder(folder)
    assert image_folder(folder, size=(4, 4)).images.shape == (5, 1, 4, 4)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"channels": 2}, ValueError, r"channels to be 1 \(grey\) or 3 \(RGB\), got 2"),
        ({"size": (4, 4, 4)}, ValueError, r"size to be an int or \(height, width\)"),
        ({"size": 0}, ValueError, r"size\[0\]"),
        (
            {"classes": ["dog"]},
            ValueError,
            r"no class 'dog'. The class folders are, by label: 0 \('a'\), 1 \('b'\)",
        ),
        ({"classes": [3]}, ValueError, r"no class 3"),
        ({"classes": [1.0]}, TypeError, "integer labels or folder names"),
    ],
)
def test_bad_arguments(folder: Path, kwargs: dict, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        image_folder(folder, **kwargs)


def test_unreadable_image_is_named(folder: Path) -> None:
    (folder / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"Could not read the image .*broken.png"):
        image_folder(folder)


@pytest.mark.parametrize("make", ["absent", "no class folders", "empty class folder"])
def test_missing_folders(tmp_path: Path, make: str) -> None:
    root = tmp_path / "root"
    if make != "absent":
        root.mkdir()
    if make == "empty class folder":
        save(root / "a" / "1.png", np.zeros((2, 2), np.uint8))
        (root / "b").mkdir()
    with pytest.raises(FileNotFoundError):
        image_folder(root)
