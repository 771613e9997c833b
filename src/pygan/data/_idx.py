"""Finding and reading the IDX files of MNIST-style datasets (plain or gzipped).

The parsing is torchvision's (``read_image_file`` / ``read_label_file``); this module only
finds the files of a split, decompresses ``.gz`` files to a temporary file for those readers,
and turns their failures into errors that name the file.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

__all__ = ["find_split", "read_split", "split_files"]

_PREFIX = {True: "train", False: "t10k"}


def split_files(train: bool) -> tuple[str, str]:
    """Return the uncompressed file names of a split's images and labels.

    Example:
        >>> split_files(train=False)
        ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
    """
    prefix = _PREFIX[bool(train)]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _existing(directory: Path, name: str) -> Path | None:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_split(directories: list[Path], train: bool) -> tuple[Path, Path] | list[Path]:
    """Return the (images, labels) files of a split from the first directory holding both.

    Each file may be plain or gzipped (``.gz``); the plain one is preferred.

    Args:
        directories: Where to look, in order.
        train: The training split (``train-*``) or the test split (``t10k-*``).

    Returns:
        The two paths, or, when no directory holds both, every path that was looked at.
    """
    looked_at: list[Path] = []
    for directory in directories:
        found = [_existing(directory, name) for name in split_files(train)]
        if found[0] is not None and found[1] is not None:
            return found[0], found[1]
        looked_at += [directory / f"{name}[.gz]" for name in split_files(train)]
    return looked_at


def _read(path: Path, reader: Callable[[str], torch.Tensor], what: str) -> torch.Tensor:
    try:
        if path.suffix != ".gz":
            return reader(str(path))
        with tempfile.TemporaryDirectory(prefix="pygan-idx-") as tmp:
            plain = Path(tmp) / path.stem
            with gzip.open(path, "rb") as source, plain.open("wb") as target:
                shutil.copyfileobj(source, target, length=1 << 20)
            return reader(str(plain))
    except (AssertionError, KeyError, TypeError, ValueError, OSError, RuntimeError) as error:
        detail = str(error) or type(error).__name__
        raise ValueError(f"{path} is not a readable IDX {what} file: {detail}.") from error


def read_split(images_path: Path, labels_path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a split's images (``uint8``, ``(N, H, W)``) and labels (``int64``, ``(N,)``).

    Raises:
        ValueError: A file is not an IDX file of the right kind (a bad gzip stream, a bad
            magic number, the wrong number of dimensions), or the counts differ.
    """
    from torchvision.datasets.mnist import read_image_file, read_label_file

    images = _read(images_path, read_image_file, "image")
    labels = _read(labels_path, read_label_file, "label")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            f"labels; the two files do not belong together."
        )
    return images, labels
