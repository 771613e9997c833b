"""A PNG graph of the discriminator's and generator's losses per epoch."""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

from pygan._validation import check_int, check_path
from pygan.callbacks.base import Callback
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["LossPlot"]


@CALLBACKS.register("loss_plot")
class LossPlot(Callback):
    """Redraw ``path`` every ``every_n_epochs`` epochs and when training ends: ``d_loss`` and
    ``g_loss`` against the epoch, the loss graph of the classic GAN tutorials.

    Drawn with matplotlib's Agg renderer on a standalone ``Figure``: the user's pyplot backend
    and open figures are left alone. The curves come from the trainer's history, which
    checkpoints carry, so a resumed run draws the whole run. Only rank 0 draws. A drawing
    takes about 50 ms: on sub-second epochs, ``every_n_epochs=10`` leaves more of the time to
    training.

    Args:
        path: The PNG file (its directory is created on fit start).
        every_n_epochs: Redraw after every this many epochs; the graph is drawn once more
            when ``fit`` ends (however it ends) unless its last epoch is already on it.

    Raises:
        ImportError: matplotlib is not installed; install it with ``pip install "pygan[plot]"``.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "losses.png")
        >>> LossPlot(path).draw([{"epoch": 1, "d_loss": 1.3, "g_loss": 0.8},
        ...                      {"epoch": 2, "d_loss": 1.2, "g_loss": 0.9}])
        >>> open(path, "rb").read(4)
        b'\\x89PNG'
    """

    def __init__(self, path: str | os.PathLike[str] = "losses.png", every_n_epochs: int = 1) -> None:
        try:
            import matplotlib  # noqa: F401
        except ImportError as error:
            raise ImportError(
                f'LossPlot needs matplotlib ({error}). Install it with: pip install "pygan[plot]"'
            ) from error
        self.path = check_path("path", path)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        self._drawn_epoch: int | None = None

    def draw(self, history: Any) -> None:
        """Draw the losses of ``history`` (a sequence of per-epoch dicts) to :attr:`path`."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        figure = Figure(figsize=(8, 5))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        epochs = [record["epoch"] for record in history]
        for key, label in (("d_loss", "Discriminator"), ("g_loss", "Generator")):
            axes.plot(epochs, [record.get(key, float("nan")) for record in history], marker=".", label=label)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("Epoch")
        axes.set_ylabel("Loss")
        axes.set_title("Losses during training")
        axes.legend()
        axes.grid(alpha=0.3)
        figure.savefig(self.path, dpi=100)

    def on_fit_start(self, trainer: Trainer) -> None:
        """Create the directory (on rank 0)."""
        if trainer.is_global_zero:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Redraw the graph on every ``every_n_epochs``-th epoch (on rank 0)."""
        if trainer.completed_epochs % self.every_n_epochs == 0:
            self._redraw(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Draw the epochs not yet on the graph (on rank 0)."""
        if trainer.history and self._drawn_epoch != trainer.history[-1]["epoch"]:
            self._redraw(trainer)

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Draw the epochs not yet on the graph, as :meth:`on_fit_end` does; a drawing that
        fails is reported as a warning, not in place of ``error``."""
        try:
            self.on_fit_end(trainer)
        except Exception as draw_error:  # noqa: BLE001 - ``error`` is the one to raise
            warnings.warn(f"{draw_error} (while handling {type(error).__name__})", RuntimeWarning, stacklevel=2)

    def _redraw(self, trainer: Trainer) -> None:
        if trainer.is_global_zero:
            self.draw(trainer.history)
            self._drawn_epoch = trainer.history[-1]["epoch"]
