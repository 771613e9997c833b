"""Periodic, atomic checkpoints of the whole training state."""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from pygan._validation import check_bool, check_int, check_path
from pygan.callbacks.base import Callback
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["ModelCheckpoint"]


@CALLBACKS.register("checkpoint")
class ModelCheckpoint(Callback):
    """Save a checkpoint every ``every_n_epochs`` epochs, keep the last ``keep_last``, and
    keep ``last.ckpt`` pointing at the newest state.

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
    ) -> None:
        self.dirpath = check_path("dirpath", dirpath)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        self.keep_last = check_int("keep_last", keep_last, minimum=0)
        self.background = check_bool("background", background)
        self.saved: list[str] = []
        self._writer: threading.Thread | None = None
        self._write_error: BaseException | None = None

    @property
    def last_path(self) -> Path:
        """The file that always holds the newest checkpoint."""
        return self.dirpath / "last.ckpt"

    def on_fit_start(self, trainer: Trainer) -> None:
        """Before any training: create the directory, check it is writable and has room for
        at least the weights, and delete the temporary files of saves a killed run left."""
        if not trainer.is_global_zero:
            return
        from pygan.checkpoint import CheckpointError, remove_temporary_files

        try:
            self.dirpath.mkdir(parents=True, exist_ok=True)
            probe = self.dirpath / ".pygan-write-test"
            probe.write_bytes(b"")
            probe.unlink()
            for name in (self.last_path.name, "epoch-*.ckpt"):
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

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Save on every ``every_n_epochs``-th epoch and after the last one."""
        epoch = trainer.completed_epochs
        if epoch % self.every_n_epochs and epoch != trainer.max_epochs:
            return
        self._save(trainer, self.dirpath / f"epoch-{epoch:04d}.ckpt")

    def on_fit_end(self, trainer: Trainer) -> None:
        """Wait for the last write; raise its error if it failed."""
        self.wait()

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

    def _save(self, trainer: Trainer, path: Path) -> None:
        if not trainer.is_global_zero:
            return
        self.wait()
        state = trainer.state_dict()
        if str(path) in self.saved:
            self.saved.remove(str(path))
        self.saved.append(str(path))
        excess = max(len(self.saved) - self.keep_last, 0)
        stale = [Path(p) for p in self.saved[:excess]]
        del self.saved[:excess]
        if not self.background:
            self._write(state, path, stale)
            return
        snapshot = _copy_tensors(state)  # training goes on changing the live tensors
        self._writer = threading.Thread(
            target=self._write_in_background, args=(snapshot, path, stale), name="pygan-checkpoint"
        )
        self._writer.start()

    def _write_in_background(self, state: dict[str, Any], path: Path, stale: list[Path]) -> None:
        try:
            self._write(state, path, stale)
        except BaseException as error:  # noqa: BLE001 - handed to the training thread by wait()
            self._write_error = error

    def _write(self, state: dict[str, Any], path: Path, stale: list[Path]) -> None:
        """Write ``state`` to ``path``, point ``last.ckpt`` at it, delete the ``stale`` files."""
        from pygan.checkpoint import save_checkpoint

        save_checkpoint(state, path)
        self._point_last_at(state, path)
        for old in stale:
            old.unlink(missing_ok=True)

    def _point_last_at(self, state: dict[str, Any], path: Path) -> None:
        """Make ``last.ckpt`` the file just saved, atomically: a hard link renamed over it, so
        the state is serialized and written once per save, not twice. Where the filesystem has
        no hard links, the state is written again."""
        from pygan.checkpoint import _fsync_directory, save_checkpoint

        link = self.last_path.with_name(f".{self.last_path.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.link(path, link)
            os.replace(link, self.last_path)
        except OSError:
            link.unlink(missing_ok=True)
            save_checkpoint(state, self.last_path)
            return
        _fsync_directory(self.dirpath)

    def state_dict(self) -> dict[str, Any]:
        """The files saved so far (so a resumed run keeps pruning the same list)."""
        return {"saved": list(self.saved)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the list of saved files."""
        self.saved = list(state.get("saved", []))


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
