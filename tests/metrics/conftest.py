"""Synthetic "digits" and a tiny classifier trained on them, shared by the metrics tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from synthetic import synthetic_digits, synthetic_images, train_quietly

from pygan.data import ImageDataset
from pygan.metrics import DigitClassifier, Judge


@pytest.fixture(scope="session")
def make_digits() -> Callable[..., ImageDataset]:
    """The synthetic digit factory: ``make_digits(n, seed=0)``."""
    return synthetic_digits


@pytest.fixture(scope="session")
def make_images() -> Callable[..., ImageDataset]:
    """The synthetic image factory: ``make_images(n, seed=0, channels=1, size=8)``."""
    return synthetic_images


@pytest.fixture(scope="session")
def digits() -> ImageDataset:
    """300 synthetic digits to train the tiny classifier on."""
    return synthetic_digits(300)


@pytest.fixture(scope="session")
def classifier(digits: ImageDataset) -> DigitClassifier:
    """A DigitClassifier for 8x8 images trained on the synthetic digits (under a second)."""
    return train_quietly(digits, epochs=10, batch_size=16, holdout=0.2)


@pytest.fixture(scope="session")
def mlp_judge(digits: ImageDataset) -> Judge:
    """An MLPJudge for 8x8 images trained on the synthetic digits."""
    return train_quietly(digits, architecture="mlp", seed=1, epochs=10, batch_size=16, holdout=0.2)
