"""Reading image tables: CSV files with one image a row, the label first, then 0-255 pixels."""

from __future__ import annotations

import csv
import gzip
import warnings
from pathlib import Path
from typing import IO

import numpy as np
import torch

__all__ = ["read_table"]


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline="")
    return path.open(newline="")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _has_header(path: Path) -> bool:
    """Whether the first line is a header (any cell that is not a number)."""
    with _open_text(path) as f:
        first = next(csv.reader(f), None)
    if first is None:
        raise ValueError(f"{path} is empty: expected one image a row, the label then pixels.")
    return not all(_is_number(cell) for cell in first)


def _diagnose(path: Path, header: bool, columns: int, layout: str) -> ValueError | None:
    """Find the first row numpy could not read, and say what is wrong with it."""
    with _open_text(path) as f:
        reader = csv.reader(f)
        if header:
            next(reader, None)
        row_number = 0
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            row_number += 1
            where = f"{path}, row {row_number} (line {reader.line_num})"
            if len(cells) != columns:
                return ValueError(
                    f"{where} has {len(cells)} columns, expected {columns}: {layout}."
                )
            for column, cell in enumerate(cells, start=1):
                if not _is_number(cell):
                    return ValueError(f"{where}, column {column}: {cell!r} is not a number.")
    return None


def _first_bad_row(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))[0])


def read_table(path: Path, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a CSV of images: the label, then ``prod(shape)`` pixels 0-255, a row each.

    A first row that is not all numbers is a header and is skipped; a ``.gz`` file is read
    compressed. Rows are numbered from 1, not counting the header.

    Args:
        path: The CSV file.
        shape: The image shape, e.g. ``(1, 28, 28)``.

    Returns:
        ``uint8`` images of shape ``(N, *shape)`` and ``int64`` labels of shape ``(N,)``.

    Raises:
        FileNotFoundError: No file at ``path``.
        ValueError: The file is empty, a row has the wrong number of columns, a cell is not a
            number, a label is not an integer >= 0, or a pixel is not an integer in 0-255.
    """
    if not path.is_file():
        raise FileNotFoundError(f"No CSV file at {path}.")
    pixels = int(np.prod(shape))
    columns = pixels + 1
    layout = f"the label, then {pixels} pixels for images of shape {shape}"
    header = _has_header(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's "input contained no data"
            table = np.loadtxt(
                path, delimiter=",", dtype=np.float32, skiprows=int(header), ndmin=2, comments=None
            )
    except ValueError as error:
        raise (_diagnose(path, header, columns, layout) or error) from None
    if table.size == 0:
        raise ValueError(f"{path} has no image rows{' after its header' if header else ''}.")
    if table.shape[1] != columns:
        raise ValueError(
            f"{path}, row 1 has {table.shape[1]} columns, expected {columns}: {layout}."
        )
    labels, values = table[:, 0], table[:, 1:]
    bad_labels = (labels < 0) | (labels != np.round(labels))
    if bad_labels.any():
        row = _first_bad_row(bad_labels)
        raise ValueError(
            f"{path}, row {row + 1}: the label {labels[row]:g} is not an integer >= 0 (the "
            f"first column holds the label: {layout})."
        )
    bad_pixels = (values < 0) | (values > 255) | (values != np.round(values))
    if bad_pixels.any():
        row = _first_bad_row(bad_pixels)
        column = int(np.flatnonzero(bad_pixels[row])[0])
        hint = (
            " The pixels look scaled to [0, 1]; multiply them by 255."
            if values.min() >= 0 and values.max() <= 1
            else ""
        )
        raise ValueError(
            f"{path}, row {row + 1}, column {column + 2}: the pixel {values[row, column]:g} is "
            f"not an integer in 0-255.{hint}"
        )
    images = torch.from_numpy(values.astype(np.uint8)).reshape(len(table), *shape)
    return images, torch.from_numpy(labels.astype(np.int64))
