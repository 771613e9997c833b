"""Multi-process training under ``torchrun``: process group, ranks, DDP wrapping, collectives.

When ``WORLD_SIZE`` > 1 (as ``torchrun`` sets it) the Trainer joins the default process group
(nccl on GPUs, gloo on CPUs), wraps both networks in ``DistributedDataParallel`` and uses the
few collectives below. With one process every function here is a no-op (or the identity).
"""

from __future__ import annotations

import atexit
import os
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = [
    "all_finite",
    "broadcast_buffers",
    "broadcast_int",
    "local_rank",
    "mark_failed",
    "mean_over_processes",
    "process_device",
    "setup",
    "world_size",
    "wrap",
]


def world_size() -> int:
    """Number of training processes (1 unless launched by ``torchrun`` with several).

    Example:
        >>> world_size()  # not under torchrun
        1
    """
    return int(os.environ.get("WORLD_SIZE", "1"))


def local_rank() -> int:
    """This process's index on its machine (picks the GPU)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def _active() -> bool:
    return world_size() > 1 and torch_dist.is_available() and torch_dist.is_initialized()


def process_device(device: torch.device) -> torch.device:
    """The device this process trains on: a CUDA device without an index becomes this
    process's GPU (``cuda:LOCAL_RANK``) when several processes train.

    Example:
        >>> process_device(torch.device("cpu"))
        device(type='cpu')
    """
    if device.type == "cuda" and device.index is None and world_size() > 1:
        return torch.device("cuda", local_rank())
    return device


def setup(device: torch.device) -> tuple[int, int]:
    """Join the process group if several processes train; return ``(rank, world_size)``.

    The backend is nccl for CUDA devices and gloo otherwise. A group this function starts is
    closed when the process exits (see :func:`_close`).
    """
    if world_size() <= 1:
        return 0, 1
    if not torch_dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch_dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        atexit.register(_close)
    return torch_dist.get_rank(), torch_dist.get_world_size()


_failed = False


def mark_failed() -> None:
    """Note that training failed in this process: other ranks may be waiting in a collective
    that this one will never join, so the group is not closed with a barrier at exit."""
    global _failed
    _failed = True


def _close() -> None:
    """Close the group at exit. With gloo, a process that leaves while the other's sockets
    are still open can abort ("terminate called without an active exception"), so the ranks
    first meet at a barrier (bounded by a timeout, in case one of them is stuck)."""
    if not torch_dist.is_initialized() or _failed:
        return
    try:
        if torch_dist.get_backend() == "gloo":
            torch_dist.monitored_barrier(timeout=timedelta(seconds=60))
        torch_dist.destroy_process_group()
    except RuntimeError:  # a rank is gone or stuck: exit anyway, torchrun reports it
        pass


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """Wrap ``module`` in DistributedDataParallel when several processes train.

    The wrapper copies rank 0's parameters and buffers to every process when it is built.
    """
    if not _active():
        return module
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)


def broadcast_int(value: int, device: torch.device) -> int:
    """Rank 0's ``value``, on every process.

    Example:
        >>> broadcast_int(7, torch.device("cpu"))  # one process: the value itself
        7
    """
    if not _active():
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=device)
    torch_dist.broadcast(tensor, src=0)
    return int(tensor.item())


def mean_over_processes(tensor: torch.Tensor) -> torch.Tensor:
    """The mean of ``tensor`` over all processes (in place; the tensor itself with one).

    Example:
        >>> mean_over_processes(torch.tensor([1.0, 3.0]))
        tensor([1., 3.])
    """
    if _active():
        torch_dist.all_reduce(tensor)
        tensor /= torch_dist.get_world_size()
    return tensor


def all_finite(value: torch.Tensor) -> bool:
    """Whether ``value`` is finite on every process (one small collective when several train).

    Example:
        >>> all_finite(torch.tensor(1.0)), all_finite(torch.tensor(float("nan")))
        (True, False)
    """
    finite = torch.isfinite(value).all().to(torch.int32)
    if _active():
        torch_dist.all_reduce(finite, op=torch_dist.ReduceOp.MIN)
    return bool(finite)


def broadcast_buffers(module: nn.Module) -> None:
    """Copy rank 0's buffers (such as batch-norm statistics) to every process.

    DistributedDataParallel does this before each forward of the wrapped module; forwards
    outside the wrapper (the generator step's pass through the discriminator) and the last
    forward of an epoch leave them different on each process until this is called.
    """
    if not _active():
        return
    for buffer in module.buffers():
        torch_dist.broadcast(buffer, src=0)
