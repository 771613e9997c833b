"""Synthetic "digits" and a tiny classifier trained on them, shared by the metrics tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from pygan.data import ImageDataset
from pygan.metrics import DigitClassifier, train_classifier


def synthetic_digits(n: int, seed: int = 0) -> ImageDataset:
    """``n`` 8x8 ``uint8`` images of ten classes (fixed blocky patterns plus noise), in turn."""
    templates = torch.rand(10, 1, 4, 4, generator=torch.Generator().manual_seed(123)) > 0.5
    templates = templates.float().repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    labels = torch.arange(n) % 10
    noise = torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))
    return ImageDataset((templates[labels] * 200 + noise * 55).to(torch.uint8), labels)


@pytest.fixture(scope="session")
def make_digits() -> Callable[..., ImageDataset]:
    """The synthetic digit factory: ``make_digits(n, seed=0)``."""
    return synthetic_digits


@pytest.fixture(scope="session")
def digits() -> ImageDataset:
    """300 synthetic digits to train the tiny classifier on."""
    return synthetic_digits(300)


@pytest.fixture(scope="session")
def classifier(digits: ImageDataset) -> DigitClassifier:
    """A DigitClassifier for 8x8 images trained on the synthetic digits (under a second)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_classifier(digits, epochs=10, batch_size=16, holdout=0.2)
    finally:
        torch.set_num_threads(threads)
