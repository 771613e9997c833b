"""Training a judge: :func:`train_classifier`, seeded, on shifted copies of labelled images."""

from __future__ import annotations

import logging
import time

import torch
import torch.nn.functional as F

from pygan._device import resolve_device
from pygan._validation import check_fraction, check_int, check_positive_float
from pygan.metrics._images import Images, as_images, check_labels, labels_of
from pygan.metrics.judge import JUDGE_ARCHITECTURES, Judge
from pygan.registry import UnknownNameError

__all__ = ["judge_class", "train_classifier"]

_log = logging.getLogger(__name__)


def judge_class(architecture: str) -> type[Judge]:
    """Return the judge class of an architecture name in :data:`~pygan.metrics.JUDGE_ARCHITECTURES`.

    Raises:
        UnknownNameError: No such architecture (a ``KeyError`` naming the ones there are).

    Example:
        >>> judge_class("mlp").__name__
        'MLPJudge'
        >>> judge_class("cnm")
        Traceback (most recent call last):
        ...
        pygan.registry.UnknownNameError: Unknown judge architecture 'cnm'. Did you mean 'cnn'? Available: cnn, mlp.
    """
    if architecture not in JUDGE_ARCHITECTURES:
        raise UnknownNameError("judge architecture", architecture, sorted(JUDGE_ARCHITECTURES))
    return JUDGE_ARCHITECTURES[architecture]


def _random_shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to 1/14 of its size (2 pixels at 28) each way, filling the
    uncovered edge with black (as torchvision's ``RandomCrop(padding=...)`` does)."""
    n, c, h, w = images.shape
    shift = max(1, round(min(h, w) / 14))
    padded = F.pad(images, (shift,) * 4, value=-1.0)
    offsets = torch.randint(0, 2 * shift + 1, (2, n, 1), generator=generator)
    rows = torch.arange(h) + offsets[0]  # (n, h)
    cols = torch.arange(w) + offsets[1]  # (n, w)
    return padded[
        torch.arange(n)[:, None, None, None],
        torch.arange(c)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]


def train_classifier(
    images: Images,
    labels: torch.Tensor | None = None,
    *,
    architecture: str = "cnn",
    num_classes: int | None = None,
    epochs: int = 8,
    batch_size: int = 64,
    lr: float = 3e-3,
    holdout: float = 0.1,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> Judge:
    """Train a judge and test it on a held-out part of the images.

    The images are shuffled (seeded) and ``holdout`` of them kept aside; the rest train the
    network for ``epochs`` epochs of Adam with a one-cycle learning rate, on randomly shifted
    copies (up to 2 pixels at 28x28), in an order drawn from ``seed``. The held-out accuracy is
    stored in ``test_accuracy``. Torch's global random state is left as it was.

    Args:
        images: Real images (a tensor, ``uint8`` or float in [-1, 1], or an ``ImageDataset``),
            of any number of channels and size (at least 4 pixels a side for ``"cnn"``).
        labels: Their labels ``(N,)``; taken from an ``ImageDataset`` when ``None``.
        architecture: ``"cnn"`` (:class:`~pygan.metrics.CNNJudge`) or ``"mlp"``
            (:class:`~pygan.metrics.MLPJudge`).
        num_classes: Number of classes; ``None`` for the largest label + 1 (at least 2).
        epochs: Passes over the training part.
        batch_size: Images per step.
        lr: Peak learning rate.
        holdout: Fraction of the images held out for the test accuracy, in (0, 1).
        seed: Seeds the split, the initial weights, the order and the augmentation.
        device: Where to train.

    Returns:
        The trained judge, in eval mode.

    Raises:
        ValueError: Bad arguments, or too few images to hold some out.
        UnknownNameError: An unknown ``architecture``.

    Example:
        >>> x = torch.randint(0, 256, (40, 1, 8, 8), dtype=torch.uint8)
        >>> clf = train_classifier(x, torch.arange(40) % 2, epochs=1)
        >>> clf.features(x).shape, clf.num_classes, 0.0 <= clf.test_accuracy <= 1.0
        (torch.Size([40, 128]), 2, True)
    """
    x = as_images(images)
    labels = labels_of(images, labels)
    if labels is None:
        raise ValueError(
            "train_classifier needs labels: pass them, or an ImageDataset with labels."
        )
    if num_classes is None:
        num_classes = max(2, int(labels.max()) + 1) if len(labels) else 2
    y = check_labels(x, labels, check_int("num_classes", num_classes, minimum=2))
    judge_type = judge_class(architecture)
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size)
    lr = check_positive_float("lr", lr)
    holdout = check_fraction("holdout", holdout)
    n_test = round(len(x) * holdout)
    if n_test < 1 or n_test >= len(x):
        raise ValueError(
            f"holdout={holdout} of {len(x)} images leaves {n_test} to test on and "
            f"{len(x) - n_test} to train on; both need at least one. Give more images."
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
        model = judge_type(num_classes, input_shape=tuple(x.shape[1:])).to(device)
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
        "Trained a %s judge on %d images in %.1f s: %.2f%% right on %d held-out images.",
        architecture,
        len(train),
        time.perf_counter() - started,
        100 * model.test_accuracy,
        n_test,
    )
    return model
