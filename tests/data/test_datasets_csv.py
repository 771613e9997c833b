"""csv: one image a row, the label first, then the pixels 0-255."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from pygan.data import csv

SHAPE = (1, 2, 2)
HEADER = "label,p1,p2,p3,p4\n"
ROWS = "7,0,255,0,255\n3,9,9,9,9\n0,1,2,3,4\n3,5,6,7,8\n"


def write(tmp_path: Path, text: str, name: str = "digits.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "name"), [(HEADER + ROWS, "a.csv"), (ROWS, "b.csv"), (HEADER + ROWS, "c.csv.gz")]
)
def test_reads_with_or_without_header_and_gzipped(tmp_path: Path, text: str, name: str) -> None:
    ds = csv(write(tmp_path, text, name), shape=SHAPE)
    assert ds.images.shape == (4, 1, 2, 2) and ds.images.dtype == torch.uint8
    assert ds.labels.tolist() == [7, 3, 0, 3] and ds.labels.dtype == torch.int64
    assert ds.images[0].flatten().tolist() == [0, 255, 0, 255]
    assert ds[0][0].flatten().tolist() == [-1.0, 1.0, -1.0, 1.0]


def test_default_shape_is_a_28x28_digit_with_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = np.column_stack([np.arange(12) % 4, rng.integers(0, 256, (12, 784))])
    path = tmp_path / "mnist_train.csv"
    np.savetxt(path, rows, fmt="%d", delimiter=",")
    ds = csv(path, classes=[2])
    assert ds.images.shape == (3, 1, 28, 28) and ds.labels.tolist() == [2, 2, 2]
    assert np.array_equal(ds.images[0].flatten().numpy(), rows[2, 1:])


def test_float_formatted_integers_are_accepted(tmp_path: Path) -> None:
    ds = csv(write(tmp_path, "1.0,0.0,128.0,255.0,3.0\n"), shape=SHAPE)
    assert ds.images.flatten().tolist() == [0, 128, 255, 3] and ds.labels.tolist() == [1]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            HEADER + "7,0,255,0,255\n3,9,9,9\n",
            r"row 2 \(line 3\) has 4 columns, expected 5: the label, then 4 pixels",
        ),
        ("7,0,255,0\n3,9,9,9\n", r"row 1 has 4 columns, expected 5"),
        ("7,0,255,0,255\n3,9,x,9,9\n", r"row 2 \(line 2\), column 3: 'x' is not a number"),
        (
            "7,0,255,0,255\n3,9,9,9,256\n",
            r"row 2, column 5: the pixel 256 is not an integer in 0-255",
        ),
        (
            "7,0,255,0,255\n3,-1,9,9,9\n",
            r"row 2, column 2: the pixel -1 is not an integer in 0-255",
        ),
        (
            "7,0,0.5,1,0\n",
            r"the pixel 0.5 is not an integer in 0-255. The pixels look scaled to \[0, 1\]",
        ),
        ("7,0,0,nan,0\n", r"row 1, column 4: the pixel nan is not"),
        ("-1,0,0,0,0\n", r"row 1: the label -1 is not an integer >= 0"),
        ("2.5,0,0,0,0\n", r"row 1: the label 2.5 is not an integer >= 0"),
        ("", r"is empty"),
        (HEADER, r"has no image rows after its header"),
    ],
)
def test_bad_files_give_errors_naming_the_row(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        csv(write(tmp_path, text), shape=SHAPE)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (
            {"classes": [5]},
            ValueError,
            r"no image has the label\(s\) \[5\]. Labels present: \[0, 3, 7\]",
        ),
        ({"classes": ["zero"]}, TypeError, "integer labels"),
        ({"classes": []}, ValueError, "classes is empty"),
        ({"classes": [True]}, TypeError, "integer labels"),
        ({"shape": (1, 0, 2)}, ValueError, r"shape\[1\]"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, error: type[Exception], pattern: str) -> None:
    kwargs.setdefault("shape", SHAPE)
    with pytest.raises(error, match=pattern):
        csv(write(tmp_path, ROWS), **kwargs)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"No CSV file at .*absent\.csv"):
        csv(tmp_path / "absent.csv")
