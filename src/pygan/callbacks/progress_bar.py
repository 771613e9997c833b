"""A tqdm progress bar per epoch, showing the running losses and D's outputs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import torch
from tqdm import tqdm

from pygan._validation import check_int
from pygan.callbacks.base import Callback
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["ProgressBar"]

_LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))"}
"""Labels of the step figures shown under another name; the rest (``d_loss``, ``g_loss``,
each loss term's ``d_<name>``/``g_<name>``) show under their own."""


class _Bar:
    """The tqdm bar of one epoch and the step figures summed since its last refresh."""

    def __init__(self, trainer: Trainer) -> None:
        self.tqdm = tqdm(
            total=trainer.steps_per_epoch,
            initial=trainer.step_in_epoch,
            desc=f"Epoch {trainer.epoch}/{trainer.max_epochs}",
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
    runs, the epoch's means when it ends.

    Step figures stay on the device between refreshes: the bar moves them to the host (one
    sync) only every ``refresh_every_n_steps`` steps. Only rank 0 shows a bar.

    Args:
        refresh_every_n_steps: Update the bar every this many steps.

    Example:
        >>> ProgressBar(refresh_every_n_steps=20).refresh_every_n_steps
        20
    """

    def __init__(self, refresh_every_n_steps: int = 10) -> None:
        self.refresh_every_n_steps = check_int("refresh_every_n_steps", refresh_every_n_steps)
        self._bar: _Bar | None = None

    def on_epoch_start(self, trainer: Trainer) -> None:
        """Open the epoch's bar (on rank 0)."""
        if trainer.is_global_zero:
            self._bar = _Bar(trainer)

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
            _refresh(bar, dict(zip(bar.keys, means)))

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Show the epoch's mean figures and close the bar."""
        if self._bar is not None:
            _refresh(self._bar, logs)
            self._close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Close the bar so the error prints on a clean line."""
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.tqdm.close()
            self._bar = None


def _refresh(bar: _Bar, figures: dict[str, float]) -> None:
    """Show ``figures`` (host floats) in the bar and advance it by the steps counted."""
    keys = bar.keys or [key for key in figures if key.startswith(("d_", "g_"))]
    postfix = {_LABELS.get(key, key): f"{figures[key]:.3f}" for key in keys if key in figures}
    bar.tqdm.set_postfix(postfix, refresh=False)
    bar.tqdm.update(bar.count)
    bar.sums, bar.count = None, 0
