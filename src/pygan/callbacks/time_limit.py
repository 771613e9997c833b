"""End a run, normally, before it overruns a wall-time budget."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pygan._validation import check_positive_float
from pygan.callbacks.base import Callback
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["TimeLimit"]


@CALLBACKS.register("time_limit")
class TimeLimit(Callback):
    """Stop training after the last epoch that fits in ``minutes`` of wall time.

    After each epoch it predicts the next epoch's end from the last epoch's duration; when
    that would pass the budget, it lowers ``trainer.max_epochs`` so the run ends there, as if
    that had been the last epoch (checkpoints, sample grids and ``on_fit_end`` as usual). Put
    it first in the callback list, so later callbacks see the run's true last epoch. The clock
    starts at fit start (a resumed run gets a fresh budget).

    Args:
        minutes: The wall-time budget of one ``fit`` call.

    Example:
        >>> limit = TimeLimit(minutes=9.5)
        >>> limit.seconds, limit.seconds_left()
        (570.0, 570.0)
    """

    def __init__(self, minutes: float) -> None:
        self.seconds = 60 * check_positive_float("minutes", minutes)
        self._started: float | None = None

    def seconds_left(self) -> float:
        """Seconds of the budget left (all of it before fit starts; negative once overrun)."""
        return self.seconds if self._started is None else self.seconds - (time.perf_counter() - self._started)

    def on_fit_start(self, trainer: Trainer) -> None:
        """Start the clock."""
        self._started = time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """End the run here if the next epoch would not finish within the budget."""
        if logs["time"] > self.seconds_left():
            trainer.max_epochs = trainer.completed_epochs
