"""Writers of tiny IDX files for the data tests (a helper module, not a conftest: the
top-level tests import ``conftest`` by name)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

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


def write_split(
    directory: Path, prefix: str = "train", n: int = 20, *, gz: bool = True, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Write one split (``train`` or ``t10k``) of ``n`` random digits into ``directory``."""
    images, labels = digits(n, seed)
    suffix = ".gz" if gz else ""
    write_idx_file(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx_file(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels
