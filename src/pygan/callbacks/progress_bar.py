"""A tqdm progress bar per epoch, showing the running losses, D's outputs and the time the run
has left."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import torch
from tqdm import tqdm

from pygan._validation import check_int
from pygan.callbacks.base import Callback
from pygan.callbacks.time_limit import TimeLimit
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["ProgressBar"]

_LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))"}
"""Labels of the step figures shown under another name; the rest (``d_loss``, ``g_loss``,
each loss term's ``d_<name>``/``g_<name>``) show under their own."""


class _Bar:
    """The tqdm bar of one epoch and the step figures summed since its last refresh."""

    def __init__(self, trainer: Trainer, description: str) -> None:
        self.tqdm = tqdm(
            total=trainer.steps_per_epoch,
            initial=trainer.step_in_epoch,
            desc=description,
            unit="step",
            file=sys.stderr,
            dynamic_ncols=True,
        )
        self.sums: torch.Tensor | None = None
        self.count = 0
        self.keys: list[str] = []


@CALLBACKS.register("progress_bar")
class ProgressBar(Callback):
    """Show a progress bar per epoch on stderr with ``d_loss``, ``g_loss``, each loss term's
    figures, ``D(x)`` and ``D(G(z))``: their means since the last refresh while the epoch
    runs, the epoch's means when it ends (each epoch's bar stays on screen). ``D(x)`` and
    ``D(G(z))`` are the figures ``d_real`` and ``d_fake``, the mean ``sigmoid`` of the
    discriminator's logits: meaningless for a Wasserstein critic (read ``d_loss`` there).

    Each bar also shows where the run is: ``Epoch 3/100 (run: 12:04 left)``, the time the
    whole run has left at the pace of its steps so far in this ``fit``. With a
    :class:`~pygan.callbacks.TimeLimit` callback whose budget runs out sooner, it shows that
    instead: ``Epoch 3/1000 (time limit: 8:21 left)``.

    Step figures stay on the device between refreshes: the bar moves them to the host (one
    sync) only every ``refresh_every_n_steps`` steps, and reads the clock then, so the time
    left costs no sync of its own. Only rank 0 shows a bar.

    Args:
        refresh_every_n_steps: Update the bar every this many steps.

    Example:
        >>> ProgressBar(refresh_every_n_steps=20).refresh_every_n_steps
        20
    """

    def __init__(self, refresh_every_n_steps: int = 10) -> None:
        self.refresh_every_n_steps = check_int("refresh_every_n_steps", refresh_every_n_steps)
        self._bar: _Bar | None = None
        self._started = 0.0
        self._first_step = 0
        self._time_limit: TimeLimit | None = None

    def on_fit_start(self, trainer: Trainer) -> None:
        """Start the run's clock; find the time limit, if any."""
        self._started = time.perf_counter()
        self._first_step = trainer.global_step  # a resumed run's pace counts its own steps
        self._time_limit = next((cb for cb in trainer.callbacks if isinstance(cb, TimeLimit)), None)

    def on_epoch_start(self, trainer: Trainer) -> None:
        """Open the epoch's bar (on rank 0)."""
        if trainer.is_global_zero:
            self._bar = _Bar(trainer, self._describe(trainer))

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Add the step's figures (on the device); refresh every ``refresh_every_n_steps``."""
        bar = self._bar
        if bar is None:
            return
        if not bar.keys:  # the step's figures: the tensors among the logs
            bar.keys = [key for key, value in logs.items() if isinstance(value, torch.Tensor)]
        figures = torch.stack([logs[key].detach().float() for key in bar.keys])
        bar.sums = figures if bar.sums is None else bar.sums + figures
        bar.count += 1
        if bar.count >= self.refresh_every_n_steps:
            means = (bar.sums / bar.count).tolist()
            _refresh(bar, dict(zip(bar.keys, means)), self._describe(trainer))

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Show the epoch's mean figures and close the bar."""
        if self._bar is not None:
            _refresh(self._bar, logs, self._describe(trainer))
            self._close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Close the bar so the error prints on a clean line."""
        self._close()

    def _describe(self, trainer: Trainer) -> str:
        """The bar's description: the epoch of the run, and the time the run has left."""
        epoch = f"Epoch {trainer.epoch}/{trainer.max_epochs}"
        done = trainer.global_step - self._first_step
        steps_left = (trainer.max_epochs - trainer.completed_epochs) * trainer.steps_per_epoch - trainer.step_in_epoch
        run_left = (time.perf_counter() - self._started) / done * steps_left if done else None
        limit_left = None if self._time_limit is None else max(0.0, self._time_limit.seconds_left())
        if limit_left is not None and (run_left is None or limit_left < run_left):
            return f"{epoch} (time limit: {tqdm.format_interval(limit_left)} left)"
        return epoch if run_left is None else f"{epoch} (run: {tqdm.format_interval(run_left)} left)"

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.tqdm.close()
            self._bar = None


def _refresh(bar: _Bar, figures: dict[str, float], description: str) -> None:
    """Show ``figures`` (host floats) and ``description`` in the bar and advance it by the
    steps counted."""
    keys = bar.keys or [key for key in figures if key.startswith(("d_", "g_"))]
    postfix = {_LABELS.get(key, key): f"{figures[key]:.3f}" for key in keys if key in figures}
    bar.tqdm.set_description_str(description, refresh=False)
    bar.tqdm.set_postfix(postfix, refresh=False)
    bar.tqdm.update(bar.count)
    bar.sums, bar.count = None, 0
