"""mnist and fashion_mnist: local IDX files (plain or gzipped, flat or torchvision's layout)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch

from pygan import DATASETS
from pygan.data import datasets as datasets_module
from pygan.data import fashion_mnist, mnist

from datafiles import digits, write_idx_file, write_split


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", [".", "MNIST/raw"])
def test_mnist_reads_both_splits_in_both_layouts(tmp_path: Path, gz: bool, layout: str) -> None:
    train_images, train_labels = write_split(tmp_path / layout, "train", n=20, gz=gz, seed=1)
    test_images, test_labels = write_split(tmp_path / layout, "t10k", n=10, gz=gz, seed=2)
    train, test = mnist(tmp_path), mnist(tmp_path, train=False)
    assert train.images.shape == (20, 1, 28, 28) and test.images.shape == (10, 1, 28, 28)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert np.array_equal(train.images[:, 0].numpy(), train_images)
    assert np.array_equal(test.images[:, 0].numpy(), test_images)
    assert (
        train.labels.tolist() == train_labels.tolist()
        and test.labels.tolist() == test_labels.tolist()
    )
    image, label = train[3]
    assert image.dtype == torch.float32 and image.min() >= -1 and image.max() <= 1
    assert label.item() == 3


def test_plain_file_is_preferred_over_gz(tmp_path: Path) -> None:
    plain, _ = write_split(tmp_path, "t10k", n=10, gz=False, seed=1)
    write_split(tmp_path, "t10k", n=10, gz=True, seed=2)
    assert np.array_equal(mnist(tmp_path, train=False).images[:, 0].numpy(), plain)


def test_classes_filter(tmp_path: Path) -> None:
    write_split(tmp_path, "train", n=30)
    zeros = mnist(tmp_path, classes=[0])
    assert len(zeros) == 3 and zeros.labels.tolist() == [0, 0, 0]
    assert mnist(tmp_path, classes=7).labels.tolist() == [7, 7, 7]
    assert sorted(set(mnist(tmp_path, classes=(1, 2)).labels.tolist())) == [1, 2]
    with pytest.raises(
        ValueError, match=r"no image has the label\(s\) \[11\]. Labels present: \[0, 1,"
    ):
        mnist(tmp_path, classes=[0, 11])


def test_missing_files_name_the_paths_and_the_ways_out(tmp_path: Path) -> None:
    write_split(tmp_path, "t10k")  # only the test split is there
    with pytest.raises(FileNotFoundError) as error:
        mnist(tmp_path, train=True)
    message = str(error.value)
    assert "MNIST training files not found" in message
    assert str(tmp_path / "train-images-idx3-ubyte[.gz]") in message
    assert str(tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte[.gz]") in message
    assert "download=True" in message and "mnist_5k()" in message and "pygan[mnist5k]" in message


def test_fashion_mnist_root_and_missing_message(tmp_path: Path) -> None:
    write_split(tmp_path / "FashionMNIST" / "raw", "t10k", n=10)
    assert fashion_mnist(tmp_path, train=False, classes=[9]).images.shape == (1, 1, 28, 28)
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist") as error:
        fashion_mnist(tmp_path, train=True)
    assert "Fashion-MNIST training files not found" in str(error.value)


def test_fashion_mnist_default_root_is_the_debian_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_split(tmp_path, "train", n=20)
    monkeypatch.setattr(datasets_module, "FASHION_MNIST_DEBIAN_DIR", tmp_path)
    assert len(fashion_mnist()) == 20
    monkeypatch.setattr(datasets_module, "FASHION_MNIST_DEBIAN_DIR", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist()


def _write_bad(kind: str, directory: Path) -> None:
    images, labels = digits(10)
    images_path = directory / "train-images-idx3-ubyte.gz"
    labels_path = directory / "train-labels-idx1-ubyte.gz"
    write_idx_file(images_path, images)
    write_idx_file(labels_path, labels)
    if kind == "not gzip":
        images_path.write_bytes(b"plain bytes, not gzip")
    elif kind == "bad magic":
        with gzip.open(images_path, "wb") as f:
            f.write(b"\x12\x34\x56\x78" + bytes(100))
    elif kind == "labels as images":
        write_idx_file(images_path, labels)
    elif kind == "counts differ":
        write_idx_file(labels_path, labels[:7])
    elif kind == "empty":
        with gzip.open(images_path, "wb"):
            pass


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        ("not gzip", r"train-images-idx3-ubyte.gz is not a readable IDX image file"),
        ("bad magic", r"train-images-idx3-ubyte.gz is not a readable IDX image file"),
        ("labels as images", r"not a readable IDX image file: x should have 3 dimension"),
        ("counts differ", r"holds 10 images but .*train-labels-idx1-ubyte.gz holds 7 labels"),
        ("empty", r"train-images-idx3-ubyte.gz is not a readable IDX image file"),
    ],
)
def test_broken_files_give_errors_naming_the_file(tmp_path: Path, kind: str, pattern: str) -> None:
    _write_bad(kind, tmp_path)
    with pytest.raises(ValueError, match=pattern):
        mnist(tmp_path)


class _FakeMNIST:
    """Stands in for torchvision's MNIST: no network in tests."""

    calls: ClassVar[list[tuple[str, bool, bool]]] = []
    fail: ClassVar[bool] = False

    def __init__(self, root: str, train: bool = True, download: bool = False) -> None:
        type(self).calls.append((root, train, download))
        if type(self).fail:
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")
        self.data = torch.full((4, 28, 28), 7, dtype=torch.uint8)
        self.targets = torch.tensor([0, 1, 2, 3])


@pytest.fixture
def fake_torchvision_mnist(monkeypatch: pytest.MonkeyPatch) -> type[_FakeMNIST]:
    import torchvision.datasets

    _FakeMNIST.calls, _FakeMNIST.fail = [], False
    monkeypatch.setattr(torchvision.datasets, "MNIST", _FakeMNIST)
    return _FakeMNIST


def test_download_goes_through_torchvision_only_when_files_are_missing(
    tmp_path: Path, fake_torchvision_mnist: type[_FakeMNIST]
) -> None:
    ds = mnist(tmp_path, train=False, download=True)
    assert fake_torchvision_mnist.calls == [(str(tmp_path), False, True)]
    assert ds.images.shape == (4, 1, 28, 28) and ds.labels.tolist() == [0, 1, 2, 3]
    write_split(tmp_path, "train", n=20)
    assert len(mnist(tmp_path, download=True)) == 20
    assert len(fake_torchvision_mnist.calls) == 1  # local files found: no download


def test_failed_download_says_what_to_do(
    tmp_path: Path, fake_torchvision_mnist: type[_FakeMNIST]
) -> None:
    fake_torchvision_mnist.fail = True
    with pytest.raises(
        RuntimeError, match=r"(?s)Could not download MNIST into .*Error downloading.*mnist_5k\(\)"
    ):
        mnist(tmp_path, download=True)


def test_registered_by_name(tmp_path: Path) -> None:
    write_split(tmp_path, "t10k", n=10)
    assert DATASETS.get("mnist") is mnist and DATASETS.get("fashion_mnist") is fashion_mnist
    assert len(DATASETS.create("mnist", root=tmp_path, train=False, classes=[3])) == 1
