"""Periodic, atomic checkpoints of the whole training state."""

from __future__ import annotations

import math
import os
import shutil
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from pygan._files import link_atomically, remove_temporary_files
from pygan._validation import check_bool, check_int, check_path
from pygan.callbacks.base import Callback
from pygan.checkpoint import CheckpointError, save_checkpoint
from pygan.models._layers import check_choice
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["ModelCheckpoint"]


@CALLBACKS.register("checkpoint")
class ModelCheckpoint(Callback):
    """Save a checkpoint every ``every_n_epochs`` epochs, keep the last ``keep_last``, and
    keep ``last.ckpt`` pointing at the newest state (and, with ``monitor``, ``best.ckpt`` at
    the best one).

    Files are ``epoch-0003.ckpt`` and ``last.ckpt`` in ``dirpath``, each written atomically
    (temporary file, fsync, rename). On Ctrl-C (with the Trainer's ``handle_sigint``) the state
    at the end of the current step is saved to ``last.ckpt``, so ``resume_from`` continues
    exactly where it stopped. After a NaN loss nothing is saved: the last good file stays.
    A run killed mid-save leaves only a hidden ``.last.ckpt.XXXX.tmp`` file (never a partial
    ``last.ckpt``); the next fit with the same ``dirpath`` deletes such files on start, so do
    not point two concurrent runs at one directory.

    Args:
        dirpath: Directory for the checkpoint files (created on fit start).
        every_n_epochs: Save after every this many epochs (and always after the last).
        keep_last: How many ``epoch-*.ckpt`` files to keep (0 keeps only ``last.ckpt``).
        background: Write each file in a background thread from a copy of the state taken
            at the epoch's end, so training goes on while it is written (the next save, the
            end of ``fit`` and an error wait for it, and a failed write is raised then).
            ``False`` writes before the epoch's hooks return.
        monitor: The name of an epoch figure (a key of the epoch logs, such as
            ``"frechet_distance"`` from an :class:`~pygan.callbacks.Evaluation` listed
            before this callback) to keep ``best.ckpt`` by: every epoch whose finite value
            beats the best so far is saved and ``best.ckpt`` points at it. ``None`` (the
            default) writes no ``best.ckpt``. A figure no epoch logs is a warning at the end
            of ``fit``.
        mode: ``"min"`` (the default) when a lower ``monitor`` value is better, ``"max"``
            when a higher one is.

    Example:
        >>> import tempfile
        >>> cb = ModelCheckpoint(tempfile.mkdtemp(), every_n_epochs=2, keep_last=3)
        >>> cb.every_n_epochs, cb.keep_last
        (2, 3)
    """

    def __init__(
        self,
        dirpath: str | os.PathLike[str] = "checkpoints",
        every_n_epochs: int = 1,
        keep_last: int = 3,
        background: bool = True,
        monitor: str | None = None,
        mode: str = "min",
    ) -> None:
        self.dirpath = check_path("dirpath", dirpath)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        self.keep_last = check_int("keep_last", keep_last, minimum=0)
        self.background = check_bool("background", background)
        if monitor is not None and (not isinstance(monitor, str) or not monitor):
            raise TypeError(f"Expected monitor to be the name of a logged figure or None, got {monitor!r}.")
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.best_score: float | None = None
        self.best_epoch: int | None = None
        self.saved: list[str] = []
        self._writer: threading.Thread | None = None
        self._write_error: BaseException | None = None

    @property
    def last_path(self) -> Path:
        """The file that always holds the newest checkpoint."""
        return self.dirpath / "last.ckpt"

    @property
    def best_path(self) -> Path:
        """The file that holds the checkpoint with the best ``monitor`` value."""
        return self.dirpath / "best.ckpt"

    def on_fit_start(self, trainer: Trainer) -> None:
        """Before any training: create the directory, check it is writable and has room for
        at least the weights, and delete the temporary files of saves a killed run left."""
        self._check_order(trainer)
        if not trainer.is_global_zero:
            return
        try:
            self.dirpath.mkdir(parents=True, exist_ok=True)
            probe = self.dirpath / ".pygan-write-test"
            probe.write_bytes(b"")
            probe.unlink()
            for name in (self.last_path.name, self.best_path.name, "epoch-*.ckpt"):
                remove_temporary_files(self.dirpath, name)
            free = shutil.disk_usage(self.dirpath).free
        except OSError as error:
            raise CheckpointError(
                f"Cannot write checkpoints to {self.dirpath}: {error}. Choose a writable directory."
            ) from error
        weights = sum(
            t.numel() * t.element_size()
            for module in (trainer.generator, trainer.discriminator)
            for t in module.state_dict().values()
        )
        if free < weights:
            raise CheckpointError(
                f"Only {free / 1e6:.1f} MB are free on the disk of {self.dirpath}, and a "
                f"checkpoint of these networks needs more than {weights / 1e6:.1f} MB. Free "
                f"some space or choose another directory."
            )

    def _check_order(self, trainer: Trainer) -> None:
        """Fail before training if an :class:`Evaluation` would log ``monitor`` only after
        this callback has looked for it."""
        from pygan.callbacks.evaluation import LOGGED, Evaluation

        if self.monitor not in LOGGED or self not in trainer.callbacks:
            return
        later = trainer.callbacks[trainer.callbacks.index(self) + 1 :]
        if any(isinstance(cb, Evaluation) for cb in later):
            raise ValueError(
                f"ModelCheckpoint(monitor={self.monitor!r}) comes before the Evaluation callback "
                f"that logs {self.monitor!r}, so it would never see it: list the Evaluation first."
            )

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Save on every ``every_n_epochs``-th epoch, after the last one, and (with
        ``monitor``) on every epoch that improves on the best."""
        epoch = trainer.completed_epochs
        value = self._monitored(logs)
        improved = value is not None and self._beats_best(value)
        if improved:
            self.best_score, self.best_epoch = value, epoch
        if improved or not epoch % self.every_n_epochs or epoch == trainer.max_epochs:
            self._save(trainer, self.dirpath / f"epoch-{epoch:04d}.ckpt", best=improved)

    def _monitored(self, logs: dict[str, Any]) -> float | None:
        """The epoch's finite ``monitor`` value, or ``None`` (not monitoring, not logged, NaN)."""
        value = logs.get(self.monitor) if self.monitor else None
        return float(value) if value is not None and math.isfinite(value) else None

    def _beats_best(self, value: float) -> bool:
        if self.best_score is None:
            return True
        return value < self.best_score if self.mode == "min" else value > self.best_score

    def on_fit_end(self, trainer: Trainer) -> None:
        """Wait for the last write; raise its error if it failed. Warn when ``monitor`` was
        never logged (a misspelt key, or no callback that logs it)."""
        self.wait()
        if self.monitor and self.best_score is None and trainer.is_global_zero:
            keys = sorted({key for logs in trainer.history for key in logs})
            warnings.warn(
                f"ModelCheckpoint(monitor={self.monitor!r}) never saw a finite {self.monitor!r} "
                f"in the epoch logs, so there is no best.ckpt; the logged keys are {keys}.",
                RuntimeWarning,
                stacklevel=2,
            )

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Finish the write in progress (its failure is reported as a warning, not in place of
        ``error``); on Ctrl-C between steps, save the state so the run can resume from it."""
        try:
            self.wait()
        except Exception as write_error:  # noqa: BLE001 - ``error`` is the one to raise
            warnings.warn(f"{write_error} (while handling {type(error).__name__})", RuntimeWarning, stacklevel=2)
        if isinstance(error, KeyboardInterrupt) and trainer.at_step_boundary:
            trainer.save_checkpoint(str(self.last_path))

    def wait(self) -> None:
        """Block until the background write (if any) is on disk.

        Raises:
            CheckpointError: That write failed (the previous checkpoint files are intact).
        """
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        error, self._write_error = self._write_error, None
        if error is not None:
            raise error

    def _save(self, trainer: Trainer, path: Path, *, best: bool = False) -> None:
        if not trainer.is_global_zero:
            return
        self.wait()
        # The list is brought up to date before the state is taken: the checkpoint then lists
        # itself, so a run resumed from it prunes it in turn.
        if str(path) in self.saved:
            self.saved.remove(str(path))
        self.saved.append(str(path))
        excess = max(len(self.saved) - self.keep_last, 0)
        stale = [Path(p) for p in self.saved[:excess]]
        del self.saved[:excess]
        state = trainer.state_dict()
        links = [self.last_path, self.best_path] if best else [self.last_path]
        if not self.background:
            self._write(state, path, links, stale)
            return
        snapshot = _copy_tensors(state)  # training goes on changing the live tensors
        self._writer = threading.Thread(
            target=self._write_in_background, args=(snapshot, path, links, stale), name="pygan-checkpoint"
        )
        self._writer.start()

    def _write_in_background(self, state: dict[str, Any], path: Path, links: list[Path], stale: list[Path]) -> None:
        try:
            self._write(state, path, links, stale)
        except BaseException as error:  # noqa: BLE001 - handed to the training thread by wait()
            self._write_error = error

    def _write(self, state: dict[str, Any], path: Path, links: list[Path], stale: list[Path]) -> None:
        """Write ``state`` to ``path``, point each of ``links`` (``last.ckpt``, ``best.ckpt``)
        at it, delete the ``stale`` files."""
        save_checkpoint(state, path)
        for link in links:
            self._point_at(link, state, path)
        for old in stale:
            old.unlink(missing_ok=True)

    def _point_at(self, name: Path, state: dict[str, Any], path: Path) -> None:
        """Make ``name`` the file just saved, atomically: a hard link renamed over it, so
        the state is serialized and written once per save, not twice. Where the filesystem has
        no hard links, the state is written again."""
        try:
            link_atomically(path, name)
        except OSError:
            save_checkpoint(state, name)

    def state_dict(self) -> dict[str, Any]:
        """The files saved so far, the one being written included (so a run resumed from any
        of them keeps pruning the same list), and the best ``monitor`` value with its epoch."""
        return {"saved": list(self.saved), "best_score": self.best_score, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the list of saved files and the best ``monitor`` value."""
        self.saved = list(state.get("saved", []))
        self.best_score, self.best_epoch = state.get("best_score"), state.get("best_epoch")


def _copy_tensors(state: Any) -> Any:
    """``state`` with every tensor replaced by a copy in host memory (dicts, lists and tuples
    are rebuilt, other values shared).

    Example:
        >>> weights = torch.zeros(2)
        >>> copy = _copy_tensors({"w": [weights]})
        >>> _ = weights.add_(1)
        >>> copy["w"][0]
        tensor([0., 0.])
    """
    if isinstance(state, torch.Tensor):
        return state.detach().to("cpu", copy=True)
    if isinstance(state, dict):
        return {key: _copy_tensors(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):  # plain ones only: a checkpoint holds nothing else
        return type(state)(_copy_tensors(value) for value in state)
    return state
