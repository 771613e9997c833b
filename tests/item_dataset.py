"""A map-style dataset for the tests that need the Dataset/DataLoader path (not a tensor)."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


class ItemDataset(Dataset):
    """``(image, label)`` items, images as floats in [-1, 1] from uint8 pixels."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i].float() / 127.5 - 1, 0
