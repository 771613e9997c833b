"""Log the training figures to TensorBoard (an optional dependency)."""

from __future__ import annotations

import numbers
import os
from typing import TYPE_CHECKING, Any

import torch

from pygan._validation import check_int, check_path
from pygan.callbacks.base import Callback
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

    from pygan.trainer import Trainer

__all__ = ["TensorBoardLogger"]

_STEP_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


@CALLBACKS.register("tensorboard")
class TensorBoardLogger(Callback):
    """Write the step and epoch figures as TensorBoard scalars into ``log_dir``.

    Every ``log_every_n_steps`` steps, ``step/d_loss``, ``step/g_loss``, ``step/d_real`` and
    ``step/d_fake`` of that step (one host sync each time); after each epoch, every number of
    the epoch's logs as ``epoch/<key>``, including figures that callbacks later in the list
    add. The x axis is the global step throughout. A resumed run drops the events an
    interrupted run wrote after its checkpoint (TensorBoard's ``purge_step``). Only rank 0
    writes.

    Args:
        log_dir: Directory for the event files (created on fit start).
        log_every_n_steps: Log step figures every this many steps.

    Raises:
        ImportError: TensorBoard is not installed; install it with
            ``pip install "pygan[tensorboard]"``.

    Example:
        >>> import tempfile
        >>> logger = TensorBoardLogger(tempfile.mkdtemp(), log_every_n_steps=10)
        >>> logger.log_every_n_steps
        10
    """

    def __init__(self, log_dir: str | os.PathLike[str] = "tensorboard", log_every_n_steps: int = 50) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            raise ImportError(
                f'TensorBoardLogger needs the tensorboard package ({error}). Install it with: '
                f'pip install "pygan[tensorboard]"'
            ) from error
        self._writer_class = SummaryWriter
        self.log_dir = check_path("log_dir", log_dir)
        self.log_every_n_steps = check_int("log_every_n_steps", log_every_n_steps)
        self._writer: SummaryWriter | None = None
        self._logged: tuple[Any, set[str]] = (None, set())

    def on_fit_start(self, trainer: Trainer) -> None:
        """Open the event writer (on rank 0), purging events past a resumed checkpoint."""
        if not trainer.is_global_zero:
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        purge_step = trainer.global_step + 1 if trainer.resumed_from is not None else None
        self._writer = self._writer_class(log_dir=str(self.log_dir), purge_step=purge_step)
        last = trainer.history[-1] if len(trainer.history) else {}  # logged by the run resumed
        self._logged = (last.get("epoch"), set(last))

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Log the step's figures every ``log_every_n_steps`` steps."""
        if self._writer is None or trainer.global_step % self.log_every_n_steps:
            return
        values = torch.stack([logs[key].detach().float() for key in _STEP_KEYS]).tolist()
        for key, value in zip(_STEP_KEYS, values):
            self._writer.add_scalar(f"step/{key}", value, trainer.global_step)

    def on_epoch_start(self, trainer: Trainer) -> None:
        """Log figures that callbacks after this one added to the previous epoch."""
        self._log_epoch(trainer)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Log every number of the epoch's logs and flush."""
        self._log_epoch(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Log what callbacks added to the last epoch, and close the writer."""
        self._log_epoch(trainer)
        self._close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Close the writer, keeping what was logged."""
        self._close()

    def _log_epoch(self, trainer: Trainer) -> None:
        """Log the newest epoch's numbers not logged yet."""
        if self._writer is None or not len(trainer.history):
            return
        record = trainer.history[-1]
        epoch, done = self._logged
        if record.get("epoch") != epoch:
            epoch, done = record.get("epoch"), set()
        for key, value in record.items():
            if key not in done and key != "epoch" and isinstance(value, numbers.Real):
                self._writer.add_scalar(f"epoch/{key}", float(value), trainer.global_step)
        self._logged = (epoch, set(record))
        self._writer.flush()

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
