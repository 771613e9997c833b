"""Turning what a user passes to ``fit`` into batches of images in [-1, 1] on the device.

Tensors and tensor datasets take the in-memory path: the images stay in one tensor on the
device (``uint8`` where the source is ``uint8``, converted per batch), and an epoch is a
shuffled permutation sliced into index batches; no DataLoader, no per-sample Python. Any
other ``Dataset`` goes through a ``DataLoader``; a ``DataLoader`` is used as given. For a
conditional GAN the class labels travel with their images: beside them on the device in the
in-memory path, from each item's ``(image, label)`` otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from pygan._labels import check_label_range

__all__ = [
    "Batch",
    "BatchSource",
    "DataLoaderBatches",
    "ImageDataset",
    "InMemoryBatches",
    "check_images",
    "make_batches",
    "to_unit_range",
]

_FAR_OUTSIDE = 1.5  # |pixel| beyond this is not an image in [-1, 1]


class ImageDataset(Dataset):
    """Images kept compactly as one ``uint8`` tensor (0-255), served in [-1, 1].

    Items are ``(image, label)`` with the image as float32 in [-1, 1]; the Trainer reads
    ``images`` directly instead and converts one batch at a time.

    Args:
        images: ``uint8`` tensor of shape ``(N, C, H, W)`` (or ``(N, H, W)``, given a channel).
        labels: Optional integer labels of shape ``(N,)``.

    Example:
        >>> ds = ImageDataset(torch.zeros(10, 28, 28, dtype=torch.uint8), torch.arange(10))
        >>> image, label = ds[3]
        >>> image.shape, image.min().item(), label.item()
        (torch.Size([1, 28, 28]), -1.0, 3)
        >>> len(ds.with_labels([1, 2]))
        2
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
            raise TypeError(
                f"ImageDataset wants a uint8 tensor of pixels 0-255, got "
                f"{getattr(images, 'dtype', type(images).__name__)}."
            )
        if images.dim() == 3:
            images = images.unsqueeze(1)
        if images.dim() != 4:
            raise ValueError(f"Expected images of shape (N, C, H, W), got {tuple(images.shape)}.")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"Got {len(images)} images but {len(labels)} labels.")
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        label = self.labels[index] if self.labels is not None else torch.tensor(-1)
        return to_unit_range(self.images[index]), label

    def with_labels(self, labels: Sequence[int] | None) -> ImageDataset:
        """Return the images whose label is in ``labels`` (all of them for ``None``).

        Raises:
            ValueError: The dataset has no labels, or no image has any of the labels.
        """
        if labels is None:
            return self
        if self.labels is None:
            raise ValueError("This dataset has no labels to filter by.")
        wanted = torch.as_tensor(list(labels), dtype=self.labels.dtype)
        keep = torch.isin(self.labels, wanted)
        if not keep.any():
            present = sorted(set(self.labels.tolist()))
            raise ValueError(f"No image has a label in {list(labels)}; labels present: {present}.")
        return ImageDataset(self.images[keep], self.labels[keep])


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Return float images in [-1, 1]: ``uint8`` pixels are mapped from 0-255, floats kept.

    Example:
        >>> to_unit_range(torch.tensor([0, 255], dtype=torch.uint8))
        tensor([-1.,  1.])
    """
    if images.dtype == torch.uint8:
        return images.to(torch.float32).div_(127.5).sub_(1.0)
    return images if images.is_floating_point() else images.float()


def check_images(images: torch.Tensor, shape: tuple[int, ...], source: str) -> None:
    """Refuse images that are empty, non-finite, far outside [-1, 1] or the wrong shape."""
    if images.shape[1:] != shape:
        raise ValueError(
            f"The {source} has images of shape {tuple(images.shape[1:])}, but the generator "
            f"makes {shape}. Give the generator output_shape={shape} that matches the data "
            f"(and the discriminator the same input_shape), or reshape the data."
        )
    if images.dtype == torch.uint8:
        return
    if not images.is_floating_point():
        raise TypeError(
            f"The {source} holds {images.dtype} images; give float images in [-1, 1] or uint8 "
            f"pixels 0-255."
        )
    if not torch.isfinite(images).all():
        bad = int((~torch.isfinite(images)).sum())
        raise ValueError(f"The {source} contains {bad} NaN or infinite pixel values.")
    low, high = float(images.min()), float(images.max())
    if high > _FAR_OUTSIDE or low < -_FAR_OUTSIDE:
        hint = (
            " It looks like 0-255 pixels: pass them as a uint8 tensor, or scale them with "
            "x / 127.5 - 1."
            if low >= 0 and high <= 255
            else " Scale the images to [-1, 1] (the range of the generator's tanh output)."
        )
        raise ValueError(
            f"The {source} has pixel values in [{low:g}, {high:g}], far outside [-1, 1].{hint}"
        )


class Batch(NamedTuple):
    """One batch of real images in [-1, 1] on the device, with their class labels (``int64``)
    when the models are conditional, else ``None``."""

    images: torch.Tensor
    labels: torch.Tensor | None


class BatchSource:
    """Batches of images in [-1, 1] on the device, one shuffled pass per epoch."""

    num_samples: int
    batches_per_epoch: int

    def epoch(self, shuffle_rng: torch.Generator, skip: int = 0) -> Iterator[Batch]:
        """Yield one epoch's batches, drawing the order from ``shuffle_rng``, skipping the
        first ``skip`` (to resume inside an epoch)."""
        raise NotImplementedError


class InMemoryBatches(BatchSource):
    """The whole dataset as one tensor on the device, served as shuffled index batches."""

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int,
        device: torch.device,
        shard: tuple[int, int],
        labels: torch.Tensor | None = None,
    ) -> None:
        self.images = images.to(device)  # no copy when already there
        self.labels = None if labels is None else labels.to(device=device, dtype=torch.int64)
        self.batch_size = batch_size
        self.device = device
        self.rank, self.world_size = shard
        self.num_samples = len(images)
        per_rank = self.num_samples // self.world_size
        self.batches_per_epoch = per_rank // batch_size

    def epoch(self, shuffle_rng: torch.Generator, skip: int = 0) -> Iterator[Batch]:
        order = torch.randperm(self.num_samples, generator=shuffle_rng)
        # Rank r takes positions r, r + W, r + 2W, ...: batch b of all ranks together is
        # batch b of one process with W times the batch size.
        per_rank = self.num_samples // self.world_size
        order = order[self.rank : per_rank * self.world_size : self.world_size].to(self.device)
        for b in range(skip, self.batches_per_epoch):
            index = order[b * self.batch_size : (b + 1) * self.batch_size]
            labels = None if self.labels is None else self.labels.index_select(0, index)
            yield Batch(to_unit_range(self.images.index_select(0, index)), labels)


class DataLoaderBatches(BatchSource):
    """Batches from a ``DataLoader`` (given, or built over a ``Dataset``)."""

    def __init__(
        self,
        loader: DataLoader,
        device: torch.device,
        shape: tuple[int, ...],
        *,
        owns_sampler: bool,
        num_classes: int = 0,
    ) -> None:
        self.loader = loader
        self.device = device
        self.shape = shape
        self.num_classes = num_classes
        self.owns_sampler = owns_sampler
        self.num_samples = len(loader.dataset)  # type: ignore[arg-type]
        self.batches_per_epoch = len(loader)
        self._checked = False

    def epoch(self, shuffle_rng: torch.Generator, skip: int = 0) -> Iterator[Batch]:
        seed = int(torch.randint(0, 2**62, (1,), generator=shuffle_rng))
        if self.owns_sampler:
            self.loader.generator.manual_seed(seed)  # type: ignore[union-attr]
        elif hasattr(self.loader.sampler, "set_epoch"):  # DistributedSampler
            self.loader.sampler.set_epoch(seed)
        # A sampler without a generator of its own (a user's DataLoader(shuffle=True)) draws the
        # epoch's order, and the loader its worker seeds, from torch's global stream as the
        # first batch is fetched. Doing that on a fork of the stream seeded from the shuffle
        # stream makes the order repeat when a run resumes inside the epoch (the batches it
        # already trained on are skipped there too), and leaves the training stream alone.
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            batches = iter(self.loader)
            batch = next(batches, None)
            for _ in range(skip):
                batch = next(batches, None)
        while batch is not None:
            images = batch[0] if isinstance(batch, (tuple, list)) else batch
            if not self._checked:
                check_images(images, self.shape, "first batch of the data")
                self._checked = True
            labels = _batch_labels(batch, self.num_classes) if self.num_classes else None
            yield Batch(to_unit_range(images.to(self.device, non_blocking=True)), labels)
            batch = next(batches, None)


def _batch_labels(batch: Any, num_classes: int) -> torch.Tensor:
    """The labels of a loader's ``(images, labels)`` batch, checked (on the host, before they
    go to the device: no device sync)."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(_no_labels(num_classes, "the DataLoader's batches are images only"))
    labels = torch.as_tensor(batch[1])
    if labels.is_floating_point() or labels.dim() != 1:
        raise ValueError(f"Expected a batch's labels as a 1-d tensor of class indices, got {labels.dtype} of shape {tuple(labels.shape)}.")
    check_label_range(labels, num_classes, "data")
    return labels.to(dtype=torch.int64)


def _no_labels(num_classes: int, why: str) -> str:
    return (
        f"The generator and discriminator are conditional (num_classes={num_classes}), but the "
        f"data has no labels ({why}). Give labelled data: ImageDataset(images, labels), "
        f"TensorDataset(images, labels), a Dataset or DataLoader of (image, label), or a "
        f"labelled built-in dataset; or train unconditional models (num_classes=0)."
    )


def _dataset_images(data: Any) -> tuple[torch.Tensor, torch.Tensor | None] | None:
    """The image tensor behind ``data`` and its labels (``None`` without) if it can take the
    in-memory path, else ``None``."""
    if isinstance(data, torch.Tensor):
        return data, None
    if isinstance(data, ImageDataset):
        return data.images, data.labels
    if isinstance(data, TensorDataset):
        return data.tensors[0], data.tensors[1] if len(data.tensors) > 1 else None
    return None


def make_batches(
    data: Any,
    batch_size: int,
    shape: tuple[int, ...],
    device: torch.device,
    *,
    shard: tuple[int, int] = (0, 1),
    num_classes: int = 0,
) -> BatchSource:
    """Check ``data`` and return the batch source ``fit`` trains from.

    Args:
        data: A tensor of images, a ``Dataset`` (items are images or ``(image, label)``), or a
            ``DataLoader``.
        batch_size: Images per batch (ignored for a ``DataLoader``, which has its own).
        shape: The image shape the generator makes, e.g. ``(1, 28, 28)``.
        device: Where training runs.
        shard: ``(rank, world_size)``: each process trains on its share of every epoch.
        num_classes: The models' classes: above 0 the batches carry the data's labels, which
            must lie in ``[0, num_classes)``.

    Raises:
        ValueError: Empty data, non-finite or far-out-of-range pixels, a wrong image shape, a
            batch size larger than the data; for conditional models, data without labels or a
            label outside ``[0, num_classes)`` (a ``DataLoader``'s or ``Dataset``'s labels are
            checked batch by batch).
        TypeError: ``data`` is not a tensor, Dataset or DataLoader.
    """
    in_memory = _dataset_images(data)
    if in_memory is not None:
        images, labels = in_memory
        if images.dim() == len(shape) and shape[0] == 1:  # (N, H, W) grey images
            images = images.unsqueeze(1)
        if images.dim() == 0 or len(images) == 0:
            raise ValueError("The data is empty: there are no images to train on.")
        check_images(images, shape, "data")
        available = len(images) // shard[1]
        if batch_size > available:
            raise ValueError(
                f"batch_size={batch_size} is larger than the data ({available} images"
                f"{' per process' if shard[1] > 1 else ''}). Use a batch size of at most "
                f"{available}."
            )
        if not num_classes:
            return InMemoryBatches(images, batch_size, device, shard)
        if labels is None:
            raise ValueError(_no_labels(num_classes, f"a {type(data).__name__} without labels"))
        _check_label_tensor(labels, len(images), num_classes)
        return InMemoryBatches(images, batch_size, device, shard, labels)
    if isinstance(data, DataLoader):
        if len(data.dataset) == 0:  # type: ignore[arg-type]
            raise ValueError("The DataLoader's dataset is empty: there are no images to train on.")
        if shard[1] > 1 and not isinstance(data.sampler, DistributedSampler):
            warnings.warn(
                f"Training in {shard[1]} processes from a DataLoader without a "
                f"DistributedSampler: every process sees the whole dataset each epoch. Pass "
                f"the Dataset itself (the Trainer shards it) or use a DistributedSampler.",
                UserWarning,
                stacklevel=3,
            )
        return DataLoaderBatches(data, device, shape, owns_sampler=False, num_classes=num_classes)
    if isinstance(data, Dataset):
        size = len(data)  # type: ignore[arg-type]
        if size == 0:
            raise ValueError("The dataset is empty: there are no images to train on.")
        if batch_size > size:
            raise ValueError(
                f"batch_size={batch_size} is larger than the dataset ({size} images). Use a "
                f"batch size of at most {size}."
            )
        first = data[0]
        first_image = first[0] if isinstance(first, (tuple, list)) else first
        check_images(torch.as_tensor(first_image).unsqueeze(0), shape, "first item of the dataset")
        if num_classes and not (isinstance(first, (tuple, list)) and len(first) >= 2):
            raise ValueError(_no_labels(num_classes, "the dataset's items are images only"))
        sampler: DistributedSampler | None = None
        if shard[1] > 1:
            sampler = DistributedSampler(data, num_replicas=shard[1], rank=shard[0], shuffle=True)
        loader = DataLoader(
            data,
            batch_size=batch_size,
            shuffle=sampler is None,
            sampler=sampler,
            drop_last=True,
            generator=torch.Generator(),
            pin_memory=device.type == "cuda",
        )
        return DataLoaderBatches(loader, device, shape, owns_sampler=sampler is None, num_classes=num_classes)
    raise TypeError(
        f"fit() takes a tensor of images, a torch Dataset or a DataLoader, got "
        f"{type(data).__name__}."
    )


def _check_label_tensor(labels: torch.Tensor, n: int, num_classes: int) -> None:
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point() or labels.shape != (n,):
        raise ValueError(
            f"Expected the data's labels as an integer tensor of shape ({n},), got "
            f"{getattr(labels, 'dtype', type(labels).__name__)} of shape {tuple(getattr(labels, 'shape', ()))}."
        )
    check_label_range(labels, num_classes, "data")
