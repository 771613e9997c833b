"""Which device to train or sample on: :func:`resolve_device`."""

from __future__ import annotations

import torch

from pygan import _distributed as dist

__all__ = ["resolve_device"]


def resolve_device(device: str | torch.device) -> torch.device:
    """Return the device for ``"auto"`` (cuda, then mps, then cpu) or the one named.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"Expected device to be 'auto' or a device name, got {device!r}.")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", dist.local_rank())
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"Unknown device {device!r}: {error}") from None
