"""The ``classes`` filter every dataset takes: checking it and applying it."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import cast

from pygan.data.loader import ImageDataset

__all__ = ["Classes", "class_list", "select_classes"]

Classes = int | str | Sequence[int | str] | None
"""What ``classes=`` takes: ``None`` (all), one label, or a sequence of labels."""


def class_list(classes: Classes, *, names_allowed: bool = False) -> list[int | str] | None:
    """Return ``classes`` as a list (a single class becomes a one-item list), or ``None``.

    Args:
        classes: ``None`` (every class), a label, or a sequence of labels.
        names_allowed: Whether class names (strings) are labels too (image folders).

    Raises:
        TypeError: A label is not an integer (or, where allowed, a string).
        ValueError: The sequence is empty.

    Example:
        >>> class_list(0), class_list((3, 5)), class_list(None)
        ([0], [3, 5], None)
    """
    if classes is None:
        return None
    items = [classes] if isinstance(classes, (numbers.Integral, str)) else classes
    kinds = "integer labels or folder names" if names_allowed else "integer labels"
    if not isinstance(items, Sequence):
        raise TypeError(
            f"Expected classes to be None, a label or a list of {kinds}, got {classes!r}."
        )
    result: list[int | str] = []
    for item in items:
        if isinstance(item, str) and names_allowed:
            result.append(item)
        elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
            result.append(int(item))
        else:
            raise TypeError(f"Expected classes to hold {kinds}, got {item!r} in {classes!r}.")
    if not result:
        raise ValueError("classes is empty: give the labels to keep, or None to keep them all.")
    return result


def select_classes(dataset: ImageDataset, classes: Classes) -> ImageDataset:
    """Return the images of ``dataset`` whose label is one of ``classes`` (all for ``None``).

    Raises:
        TypeError: ``classes`` is not a label or a list of integer labels.
        ValueError: Some requested label has no image (the message lists the labels there are).

    Example:
        >>> import torch
        >>> images = torch.zeros(6, 1, 2, 2, dtype=torch.uint8)
        >>> ds = ImageDataset(images, torch.tensor([0, 1, 2, 0, 1, 2]))
        >>> len(select_classes(ds, [0, 2]))
        4
    """
    wanted = class_list(classes)
    if wanted is None:
        return dataset
    if dataset.labels is None:
        raise ValueError(f"classes={classes!r} was given, but this dataset has no labels.")
    present = set(dataset.labels.tolist())
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ValueError(
            f"classes={classes!r}: no image has the label(s) {missing}. Labels present: "
            f"{sorted(present)}."
        )
    return dataset.with_labels(cast(list[int], wanted))  # no names: class_list refused them
