"""The judges: small image classifiers whose features and predictions the figures are measured in.

Pretrained Inception weights cannot be downloaded everywhere and are the wrong judge for small
images anyway, so pygan trains its own judges on the real images of a labelled dataset
(:func:`~pygan.metrics.get_judge`). Two architectures see images differently, so a figure
that holds on both is a property of the images rather than of one network:

- :class:`CNNJudge` (``"cnn"``): two 5x5 convolution blocks, then adaptive average pooling
  to at most 7x7, so one design fits 1 or 3 channels and 28 to 64 pixels (or other sizes);
- :class:`MLPJudge` (``"mlp"``): two fully connected layers on the flattened pixels.

``DigitClassifier`` is the former name of :class:`CNNJudge`, kept as an alias.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from pygan._validation import check_int, check_shape
from pygan.metrics._images import Images, as_images, check_labels, labels_of, share_correct
from pygan.models.base import module_device

__all__ = ["JUDGE_ARCHITECTURES", "CNNJudge", "DigitClassifier", "Judge", "MLPJudge"]


class Judge(nn.Module, metaclass=abc.ABCMeta):
    """A classifier of images in [-1, 1]: ``body`` maps them to ``feature_dim`` non-negative
    features (the space the Fréchet distance is measured in), ``head`` maps features to class
    logits.

    Subclass contract: write :meth:`build_body` (a module from images ``(n, *input_shape)``
    to features ``(n, feature_dim)``, built first so that it draws its initial weights before
    the head) and :attr:`architecture` (the constructor's arguments, which rebuild the judge
    from the cache); store the subclass's own arguments before calling
    ``super().__init__(num_classes, input_shape, feature_dim)``, which calls
    :meth:`build_body`. Build judges with :func:`~pygan.metrics.get_judge` (trained and
    cached) rather than directly.

    Args:
        num_classes: Number of classes, at least 2.
        input_shape: Shape of one image, channels first.
        feature_dim: Number of features.

    Attributes:
        kind: The architecture's name in :data:`JUDGE_ARCHITECTURES` (``"cnn"``).
        test_accuracy: Accuracy on the held-out images it was tested on (``None`` untrained).
        data_hash: Hash of the images and recipe it was trained with (its cache key).
        name: Its name in an ensemble (``"cnn-0"``), set by :func:`~pygan.metrics.get_judge`.

    Example:
        >>> torch.manual_seed(0)
        <torch._C.Generator object at ...>
        >>> judge = CNNJudge(input_shape=(3, 32, 32))
        >>> x = torch.rand(5, 3, 32, 32) * 2 - 1
        >>> judge.features(x).shape, judge.predict_proba(x).shape
        (torch.Size([5, 128]), torch.Size([5, 10]))
    """

    kind: ClassVar[str]
    own_arguments: ClassVar[tuple[str, ...]] = ()
    """The subclass's constructor arguments beyond the shared ones, kept as attributes."""

    def __init__(
        self, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28), feature_dim: int = 128
    ) -> None:
        super().__init__()
        self.num_classes = check_int("num_classes", num_classes, minimum=2)
        self.input_shape = check_shape("input_shape", input_shape)
        if len(self.input_shape) != 3:
            raise ValueError(
                f"Expected input_shape to be (channels, height, width), got {self.input_shape}."
            )
        self.feature_dim = check_int("feature_dim", feature_dim)
        self.body = self.build_body()
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(self.feature_dim, self.num_classes)
        self.test_accuracy: float | None = None
        self.data_hash: str | None = None
        self.name: str | None = None

    @abc.abstractmethod
    def build_body(self) -> nn.Module:
        """Return the module from images ``(n, *input_shape)`` to features ``(n, feature_dim)``."""

    @property
    def architecture(self) -> dict[str, Any]:
        """The constructor arguments, as plain values (stored in the cache file)."""
        own = {name: getattr(self, name) for name in self.own_arguments}
        return {
            "num_classes": self.num_classes,
            "input_shape": list(self.input_shape),
            **own,
            "feature_dim": self.feature_dim,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images ``(n, *input_shape)`` in [-1, 1] to class logits ``(n, num_classes)``."""
        return self.head(self.dropout(self.body(x)))

    def features(self, images: Images, *, batch_size: int = 1000) -> torch.Tensor:
        """Return the features ``(N, feature_dim)`` of ``images``, on the CPU.

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
            ValueError: The images do not have the judge's ``input_shape``.
        """
        x = as_images(images)
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"The classifier takes images of shape {self.input_shape}, got "
                f"{tuple(x.shape[1:])}; judge images of the shape it was trained on, or train "
                f"a judge on images of this shape."
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
        x = as_images(images)
        labels = check_labels(x, labels_of(images, labels), self.num_classes)
        return share_correct(self.predict_proba(x, batch_size=batch_size), labels)


class CNNJudge(Judge):
    """Two 5x5 conv-ReLU-maxpool blocks, adaptive average pooling to at most 7x7, a ReLU layer
    of ``feature_dim`` features, then the class logits.

    At 28x28 the pooling keeps the 7x7 maps as they are; larger images (32, 64 pixels) are
    pooled down to 7x7, so the network stays the same size. Images need at least 4 pixels a
    side; any number of channels works (1 grey, 3 RGB).

    Args:
        num_classes: Number of classes.
        input_shape: Shape of one image, channels first; height and width at least 4.
        width: Channels of the first conv layer (the second has twice as many).
        feature_dim: Size of the penultimate layer.

    Example:
        >>> judge = CNNJudge(num_classes=5, input_shape=(1, 64, 64))
        >>> judge(torch.zeros(2, 1, 64, 64)).shape
        torch.Size([2, 5])
    """

    kind = "cnn"
    own_arguments = ("width",)

    def __init__(
        self,
        num_classes: int = 10,
        input_shape: Sequence[int] = (1, 28, 28),
        width: int = 16,
        feature_dim: int = 128,
    ) -> None:
        self.width = check_int("width", width)  # before super().__init__(), which builds the body
        super().__init__(num_classes, input_shape, feature_dim)

    def build_body(self) -> nn.Module:
        """Two conv blocks, the pooling to at most 7x7, and the ReLU layer of features.

        Raises:
            ValueError: The images have fewer than 4 pixels a side.
        """
        channels, height, w = self.input_shape
        if min(height, w) < 4:
            raise ValueError(
                f"Expected input_shape to be (channels, height, width) with height and width "
                f"at least 4, got {self.input_shape}; use the 'mlp' judge for smaller images."
            )
        pooled = min(7, height // 4), min(7, w // 4)
        return nn.Sequential(
            nn.Conv2d(channels, self.width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(self.width, 2 * self.width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(pooled),
            nn.Flatten(),
            nn.Linear(2 * self.width * pooled[0] * pooled[1], self.feature_dim),
            nn.ReLU(),
        )


class MLPJudge(Judge):
    """Two fully connected ReLU layers on the flattened pixels: ``hidden`` units, then
    ``feature_dim`` features, then the class logits.

    It sees no neighbourhoods and no translation invariance, unlike :class:`CNNJudge`: the two
    disagree where a figure depends on the judge.

    Args:
        num_classes: Number of classes.
        input_shape: Shape of one image, channels first.
        hidden: Width of the first layer.
        feature_dim: Size of the penultimate layer.

    Example:
        >>> judge = MLPJudge(num_classes=3, input_shape=(3, 28, 28))
        >>> judge.features(torch.zeros(4, 3, 28, 28)).shape
        torch.Size([4, 128])
    """

    kind = "mlp"
    own_arguments = ("hidden",)

    def __init__(
        self,
        num_classes: int = 10,
        input_shape: Sequence[int] = (1, 28, 28),
        hidden: int = 512,
        feature_dim: int = 128,
    ) -> None:
        self.hidden = check_int("hidden", hidden)  # before super().__init__(), which builds the body
        super().__init__(num_classes, input_shape, feature_dim)

    def build_body(self) -> nn.Module:
        """The two fully connected layers on the flattened pixels."""
        channels, height, width = self.input_shape
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * height * width, self.hidden),
            nn.ReLU(),
            nn.Linear(self.hidden, self.feature_dim),
            nn.ReLU(),
        )


JUDGE_ARCHITECTURES: dict[str, type[Judge]] = {cls.kind: cls for cls in (CNNJudge, MLPJudge)}
"""The judge architectures by name: the first part of a judge's name (``"cnn"`` in ``"cnn-0"``)."""

DigitClassifier = CNNJudge
"""The former name of :class:`CNNJudge` (the judge is not only for digits), kept working."""
