"""The progress of a run: the :class:`TrainingState` callbacks read and checkpoints hold, and
the :class:`History` of its epochs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["History", "TrainingState", "global_rng_states", "set_global_rng_states"]


class History(Sequence[dict[str, float]]):
    """One dict of figures per epoch: at least ``epoch``, ``d_loss``, ``g_loss``, ``d_real``
    and ``d_fake`` (the mean of ``sigmoid(logit)`` over real and generated images: the
    probability D gives them of being real for the log-loss GANs; meaningless for a
    Wasserstein critic, whose scores are not log-odds).

    Example:
        >>> h = History([{"epoch": 1, "g_loss": 0.9}, {"epoch": 2, "g_loss": 0.7}])
        >>> h["g_loss"], h[-1]["epoch"], len(h)
        ([0.9, 0.7], 2, 2)
    """

    def __init__(self, records: Iterable[dict[str, float]] = ()) -> None:
        self.records: list[dict[str, float]] = [dict(r) for r in records]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        """An epoch's dict by index, or one figure across epochs by name."""
        if isinstance(key, str):
            return [r.get(key) for r in self.records]
        return self.records[key]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"History({self.records!r})"

    def append(self, record: dict[str, float]) -> None:
        """Add one epoch's figures (the dict itself, so keys added later show)."""
        self.records.append(record)


@dataclass
class TrainingState:
    """Where a run is: counters, the epoch's running sums, the data order's random state and
    the history. A checkpoint saves and restores it whole (:meth:`state_dict`); callbacks read
    it through the Trainer's attributes of the same names (``trainer.epoch``, ...).

    Attributes:
        epoch: The epoch running (from 1), or the last one run.
        completed_epochs: Epochs finished.
        max_epochs: The epoch ``fit`` stops after; a callback may lower it to end the run
            after the current epoch (as :class:`~pygan.callbacks.TimeLimit` does).
        global_step: Training steps finished, over all epochs.
        step_in_epoch: Steps finished in the current epoch.
        steps_per_epoch: Steps in an epoch (the discriminator batches divided by
            ``d_steps``, rounded up), known from ``on_fit_start`` on.
        batch_size: Images per discriminator batch.
        history: The figures of every finished epoch.
        epoch_sums: The current epoch's figures summed over its counted steps.
        epoch_steps: How many steps those sums hold (steps skipped as non-finite are not).
        shuffle_rng: The random generator of the data order.
        epoch_rng_state: ``shuffle_rng``'s state at the start of the current epoch, so a run
            resumed mid-epoch replays the same order.

    Example:
        >>> state = TrainingState()
        >>> state.global_step, state.history
        (0, History([]))
    """

    epoch: int = 0
    completed_epochs: int = 0
    max_epochs: int = 0
    global_step: int = 0
    step_in_epoch: int = 0
    steps_per_epoch: int = 0
    batch_size: int = 0
    history: History = field(default_factory=History)
    epoch_sums: dict[str, float] = field(default_factory=dict)
    epoch_steps: int = 0
    shuffle_rng: torch.Generator = field(default_factory=torch.Generator)
    epoch_rng_state: torch.Tensor | None = None

    def start_epoch(self) -> bool:
        """Begin epoch ``completed_epochs + 1``; return whether it resumes one begun before
        (then the data order replays from the epoch's start and its sums carry on)."""
        self.epoch = self.completed_epochs + 1
        resuming = self.step_in_epoch > 0 and self.epoch_rng_state is not None
        if resuming:
            self.shuffle_rng.set_state(self.epoch_rng_state)  # type: ignore[arg-type]
        else:
            self.step_in_epoch = 0
            self.epoch_sums, self.epoch_steps = {}, 0
        self.epoch_rng_state = self.shuffle_rng.get_state()
        return resuming

    def add_step_figures(self, keys: Sequence[str], figures: Sequence[float]) -> None:
        """Add one counted step's figures to the epoch's sums."""
        for key, value in zip(keys, figures):
            self.epoch_sums[key] = self.epoch_sums.get(key, 0.0) + value
        self.epoch_steps += 1

    def epoch_means(self, keys: Sequence[str]) -> dict[str, float]:
        """The epoch's mean of each figure in ``keys`` (NaN for a figure never added)."""
        steps = max(self.epoch_steps, 1)
        return {key: self.epoch_sums.get(key, float("nan")) / steps for key in keys}

    def end_epoch(self, logs: dict[str, Any]) -> None:
        """Count the epoch as finished and append its ``logs`` to the history (the dict
        itself: keys callbacks add to it later land in the history too)."""
        self.completed_epochs, self.step_in_epoch = self.epoch, 0
        self.history.append(logs)

    def state_dict(self, rng_states: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint's progress entries; ``rng_states`` are the global random states to
        save beside the data order's."""
        rng = {**rng_states, "shuffle": self.shuffle_rng.get_state()}
        if self.step_in_epoch and self.epoch_rng_state is not None:
            rng["epoch_shuffle"] = self.epoch_rng_state
        return {
            "epoch": self.completed_epochs,
            "step_in_epoch": self.step_in_epoch,
            "global_step": self.global_step,
            "epoch_sums": dict(self.epoch_sums),
            "epoch_steps": self.epoch_steps,
            "history": [dict(r) for r in self.history],
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the entries :meth:`state_dict` wrote (the global random states are left
        to the caller, who restores them when training starts)."""
        self.global_step = int(state["global_step"])
        self.completed_epochs = self.epoch = int(state["epoch"])
        self.step_in_epoch = int(state.get("step_in_epoch", 0))
        self.epoch_sums = dict(state.get("epoch_sums", {}))
        self.epoch_steps = int(state.get("epoch_steps", 0))
        self.history = History(state.get("history", []))
        self.shuffle_rng.set_state(state["rng"]["shuffle"])
        epoch_state = state["rng"].get("epoch_shuffle")
        self.epoch_rng_state = epoch_state if self.step_in_epoch else None


def global_rng_states() -> dict[str, Any]:
    """torch's global random states (and every CUDA device's, where there is CUDA)."""
    states: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_global_rng_states(states: dict[str, Any]) -> None:
    """Restore what :func:`global_rng_states` returned."""
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
