"""Multi-process training under ``torchrun``: process group, ranks, and DDP wrapping.

When ``WORLD_SIZE`` > 1 (as ``torchrun`` sets it) the Trainer joins the default process group
(nccl on GPUs, gloo on CPUs) and wraps both networks in ``DistributedDataParallel``. With one
process everything here is a no-op.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["local_rank", "setup", "world_size", "wrap"]


def world_size() -> int:
    """Number of training processes (1 unless launched by ``torchrun`` with several)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def local_rank() -> int:
    """This process's index on its machine (picks the GPU)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def setup(device: torch.device) -> tuple[int, int]:
    """Join the process group if several processes train; return ``(rank, world_size)``."""
    if world_size() <= 1:
        return 0, 1
    if not torch_dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch_dist.init_process_group(backend=backend)
    return torch_dist.get_rank(), torch_dist.get_world_size()


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """Wrap ``module`` in DistributedDataParallel when several processes train."""
    if world_size() <= 1 or not torch_dist.is_initialized():
        return module
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)
