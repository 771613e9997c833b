"""One CSV row per epoch with every figure of the epoch's logs."""

from __future__ import annotations

import csv
import io
import os
from typing import TYPE_CHECKING, Any

import torch

from pygan._files import write_atomically
from pygan._validation import check_path
from pygan.callbacks.base import Callback
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["CSVLogger"]


@CALLBACKS.register("csv_logger")
class CSVLogger(Callback):
    """Write the trainer's history to a CSV file: a header, then one row per epoch.

    The columns are every key the epoch logs have had (``epoch``, ``d_loss``, ``g_loss``,
    ``d_real``, ``d_fake``, ``steps``, ``time``, and whatever callbacks add, such as
    evaluation metrics), in the order they first appeared; an epoch without a key leaves its
    cell empty. A row is appended after each epoch; when a new column appears, or a callback
    later in the list adds figures to an epoch already written, the file is rewritten
    (atomically) from the history. The history travels in checkpoints, so a resumed run
    rewrites the rows of the epochs before it and loses none.

    Args:
        path: The CSV file (its directory is created on fit start).

    Example:
        >>> import tempfile, os
        >>> from pygan import Trainer, MLPGenerator, MLPDiscriminator
        >>> path = os.path.join(tempfile.mkdtemp(), "metrics.csv")
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,))
        >>> _ = Trainer(g, d, callbacks=[CSVLogger(path)], device="cpu", seed=0).fit(
        ...     torch.rand(32, 1, 4, 4) * 2 - 1, epochs=2, batch_size=8)
        >>> with open(path, newline="") as f:
        ...     rows = list(csv.reader(f))
        >>> rows[0][:5], [row[0] for row in rows[1:]]
        (['epoch', 'd_loss', 'g_loss', 'd_real', 'd_fake'], ['1', '2'])
    """

    def __init__(self, path: str | os.PathLike[str] = "metrics.csv") -> None:
        self.path = check_path("path", path)
        self._header: list[str] = []
        self._rows: list[list[str]] = []

    def on_fit_start(self, trainer: Trainer) -> None:
        """Create the directory and write the rows the history already has (on resume)."""
        if not trainer.is_global_zero:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sync(trainer, rewrite=True)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Append the epoch's row (or rewrite the file if columns or earlier rows changed)."""
        if trainer.is_global_zero:
            self._sync(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Catch figures that callbacks after this one added to the last epoch."""
        if trainer.is_global_zero:
            self._sync(trainer)

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Bring the file up to date with the epochs finished before the error."""
        if trainer.is_global_zero:
            self._sync(trainer)

    def _sync(self, trainer: Trainer, *, rewrite: bool = False) -> None:
        """Make the file hold exactly ``trainer.history``, appending when that is enough."""
        records = list(trainer.history)
        header = list(dict.fromkeys(key for record in records for key in record))
        rows = [[_cell(record.get(key)) for key in header] for record in records]
        written = len(self._rows)
        if not rewrite and header == self._header and rows[:written] == self._rows:
            if rows[written:]:
                with self.path.open("a", newline="") as handle:
                    csv.writer(handle).writerows(rows[written:])
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            if header:
                writer.writerow(header)
            writer.writerows(rows)
            text = buffer.getvalue().encode()
            write_atomically(self.path, lambda handle: handle.write(text), "the CSV log")
        self._header, self._rows = header, rows


def _cell(value: Any) -> str:
    """The CSV text of one figure: numbers in full precision, missing figures empty."""
    if value is None:
        return ""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return str(value)
