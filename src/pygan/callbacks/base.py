"""The :class:`Callback` base class and the :class:`Targets` a discriminator step uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from pygan._init_args import RecordsInitArgs

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["Callback", "HOOKS", "Targets"]

HOOKS = (
    "on_fit_start",
    "on_epoch_start",
    "on_discriminator_step",
    "on_batch_end",
    "on_epoch_end",
    "on_fit_end",
    "on_exception",
)
"""Every hook the Trainer calls, in the order a run first reaches them."""


@dataclass
class Targets:
    """The real and fake targets of one discriminator step; callbacks may change them.

    Attributes:
        real: Target for real images: a float or a tensor of shape ``(batch_size,)``.
        fake: Target for generated images: a float or a tensor of shape ``(batch_size,)``.
        batch_size: Number of real (and of generated) images in the step.
        device: Device of the step's tensors, for callbacks that build per-sample targets.

    Example:
        >>> t = Targets(real=1.0, fake=0.0, batch_size=4, device=torch.device("cpu"))
        >>> t.real = 0.9
        >>> t
        Targets(real=0.9, fake=0.0, batch_size=4, device=device(type='cpu'))
    """

    real: float | torch.Tensor
    fake: float | torch.Tensor
    batch_size: int
    device: torch.device


class Callback(metaclass=RecordsInitArgs):
    """Base class for callbacks: every hook is a no-op, override the ones you need.

    The Trainer calls each hook on every callback in list order, through one dispatch loop.
    A callback keeps what it must carry across a resumed run in :meth:`state_dict`; the
    Trainer calls :meth:`load_state_dict` after :meth:`on_fit_start` when it resumes.

    Example:
        >>> class CountSteps(Callback):
        ...     def __init__(self):
        ...         self.steps = 0
        ...     def on_batch_end(self, trainer, logs):
        ...         self.steps += 1
        ...     def state_dict(self):
        ...         return {"steps": self.steps}
        ...     def load_state_dict(self, state):
        ...         self.steps = state["steps"]
        >>> CountSteps().state_dict()
        {'steps': 0}
    """

    @property
    def state_key(self) -> str:
        """The key this callback's state is stored under in a checkpoint."""
        return type(self).__qualname__

    def on_fit_start(self, trainer: Trainer) -> None:
        """Called when fit begins, before the first epoch (and after a checkpoint is loaded)."""

    def on_epoch_start(self, trainer: Trainer) -> None:
        """Called when an epoch begins."""

    def on_discriminator_step(self, trainer: Trainer, targets: Targets) -> None:
        """Called before each discriminator loss; may change ``targets.real``/``targets.fake``."""

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Called after each training step with its logs (losses as 0-d tensors on the device)."""

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Called when an epoch ends, with the epoch's mean figures as floats; may add keys."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """Called when fit finishes normally."""

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Called when fit stops on an error or interrupt, before the error propagates."""

    def state_dict(self) -> dict[str, Any]:
        """Return this callback's state: tensors and plain containers only."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`."""
