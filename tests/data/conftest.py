"""Writers of tiny dataset files (IDX, CSV, PNG folders) in ``tmp_path``."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

_UBYTE = 0x08


def write_idx_file(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as an IDX file, gzipped when the name ends in ``.gz``."""
    header = struct.pack(">HBB", 0, _UBYTE, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)
    return path


def digits(n: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random uint8 images ``(n, size, size)`` and labels cycling through 0-9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8), (np.arange(n) % 10).astype(
        np.uint8
    )


@pytest.fixture
def write_idx() -> Callable[[Path, np.ndarray], Path]:
    """:func:`write_idx_file`, for tests."""
    return write_idx_file


@pytest.fixture
def random_digits() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """:func:`digits`, for tests."""
    return digits


@pytest.fixture
def idx_split() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """Write one split (``train`` or ``t10k``) of random digits into a directory."""

    def write(
        directory: Path, prefix: str = "train", n: int = 20, *, gz: bool = True, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        images, labels = digits(n, seed)
        suffix = ".gz" if gz else ""
        write_idx_file(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
        write_idx_file(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        return images, labels

    return write
