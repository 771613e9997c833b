"""A PNG grid of generated images every few epochs, always from the same noise, and an
animated GIF of the grids when training ends."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from pygan._validation import check_bool, check_int, check_path
from pygan.callbacks.base import Callback
from pygan.callbacks.ema import EMA
from pygan.models.base import Generator
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["SampleGrid", "write_gif"]


@CALLBACKS.register("sample_grid")
class SampleGrid(Callback):
    """Save a grid of generated images as ``dirpath/epoch-0003.png`` every ``every_n_epochs``
    epochs and after the run's last epoch, always from the same latent noise.

    An unconditional generator draws ``n`` images, ``nrow`` a row. A conditional one
    (``num_classes > 0``) draws one row per class, ``nrow`` images each, with the same noise
    down each column: a row shows a class, a column a style.

    The noise is drawn once from a private ``torch.Generator`` seeded with ``seed`` (the
    global random state is never touched, so training is the same with or without this
    callback) and kept in the callback's state, so a resumed run draws the same pictures.
    Images are generated in eval mode (the generator's mode is restored after), with the
    averaged weights when the trainer has an :class:`~pygan.callbacks.EMA` callback and
    ``use_ema`` is true, and mapped from [-1, 1] to pixels.

    The last epoch's grid is saved when ``fit`` ends, so a run that ends early (a
    :class:`~pygan.callbacks.TimeLimit`, or any callback lowering ``trainer.max_epochs``)
    has it too, wherever those callbacks are in the list. Then, with ``gif`` set, every grid
    in ``dirpath`` (a resumed run's earlier ones too) is joined in epoch order into an
    animated GIF (see :func:`write_gif`). Only rank 0 writes.

    Args:
        dirpath: Directory for the PNG files (created on fit start).
        every_n_epochs: Save after every this many epochs (and always after the last).
        n: Number of images in the grid of an unconditional generator.
        nrow: Images per row of the grid.
        seed: Seed of the fixed noise.
        use_ema: Sample from the EMA callback's averaged generator when there is one.
        gif: Where to write the GIF of the grids when ``fit`` ends, e.g. ``"progress.gif"``
            (``pygan train`` writes one into the run directory); ``None`` for none.

    Example:
        >>> import tempfile
        >>> from pygan import MLPGenerator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> cb = SampleGrid(tempfile.mkdtemp(), n=6, nrow=3)
        >>> cb.render(g).shape  # 2 rows x 3 columns of 4x4 images, 2-pixel padding
        torch.Size([3, 14, 20])
        >>> conditional = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,), num_classes=10)
        >>> cb.render(conditional).shape  # 10 rows (one a class) x 3 columns
        torch.Size([3, 62, 20])
    """

    def __init__(
        self,
        dirpath: str | os.PathLike[str] = "samples",
        every_n_epochs: int = 1,
        n: int = 64,
        nrow: int = 8,
        seed: int = 0,
        use_ema: bool = True,
        gif: str | os.PathLike[str] | None = None,
    ) -> None:
        self.dirpath = check_path("dirpath", dirpath)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        self.n = check_int("n", n)
        self.nrow = check_int("nrow", nrow)
        self.seed = check_int("seed", seed, minimum=0)
        self.use_ema = check_bool("use_ema", use_ema)
        self.gif = None if gif is None else check_path("gif", gif)
        self.noise: torch.Tensor | None = None
        self._unsaved_epoch: int | None = None

    def path_for(self, epoch: int) -> Path:
        """The file the grid of ``epoch`` goes to."""
        return self.dirpath / f"epoch-{epoch:04d}.png"

    def render(self, generator: Generator) -> torch.Tensor:
        """Generate the grid from the fixed noise: a ``(3, H, W)`` tensor in [0, 1]."""
        z = self._noise_for(generator).to(generator.device)
        if generator.num_classes:  # every class (a row) on the same noise (the columns)
            labels = torch.arange(generator.num_classes).repeat_interleave(len(z))
            images = generator.sample(len(labels), z=z.repeat(generator.num_classes, 1), labels=labels)
        else:
            images = generator.sample(len(z), z=z)
        # torchvision takes a second to import: not at `import pygan`
        from torchvision.utils import make_grid

        return make_grid(images.float().cpu(), nrow=self.nrow, normalize=True, value_range=(-1, 1))

    def _noise_for(self, generator: Generator) -> torch.Tensor:
        """The fixed noise, drawn now if there is none yet (or its size no longer fits): ``n``
        vectors, or ``nrow`` (one a column) for a conditional generator."""
        count = self.nrow if generator.num_classes else self.n
        if self.noise is None or tuple(self.noise.shape) != (count, generator.latent_dim):
            rng = torch.Generator().manual_seed(self.seed)
            self.noise = generator.sample_latent(count, generator=rng).cpu()
        return self.noise

    def on_fit_start(self, trainer: Trainer) -> None:
        """Draw the noise (so checkpoints hold it from the start); create the directory."""
        self._noise_for(trainer.generator)
        self._unsaved_epoch = None
        if trainer.is_global_zero:
            self.dirpath.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Save the grid on every ``every_n_epochs``-th epoch; remember an epoch left unsaved."""
        epoch = trainer.completed_epochs
        if epoch % self.every_n_epochs:
            self._unsaved_epoch = epoch
        else:
            self._save(trainer, epoch)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Save the last epoch's grid if it is not saved yet; then write the GIF, if asked."""
        if self._unsaved_epoch == trainer.completed_epochs:
            self._save(trainer, self._unsaved_epoch)
        if self.gif is not None and trainer.is_global_zero:
            write_gif(sorted(self.dirpath.glob("epoch-*.png")), self.gif)

    def _save(self, trainer: Trainer, epoch: int) -> None:
        self._unsaved_epoch = None
        if not trainer.is_global_zero:
            return
        generator: Generator = trainer.generator
        if self.use_ema:
            ema = next((cb for cb in trainer.callbacks if isinstance(cb, EMA)), None)
            generator = ema.averaged_generator() if ema is not None else generator
        from torchvision.utils import save_image

        save_image(self.render(generator), self.path_for(epoch))

    def state_dict(self) -> dict[str, Any]:
        """The fixed noise (drawn when fit starts), so a resumed run draws the same images."""
        return {} if self.noise is None else {"noise": self.noise.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the fixed noise."""
        if "noise" in state:
            self.noise = state["noise"].clone()


def write_gif(
    frames: list[Path], path: str | os.PathLike[str], *, frame_ms: int = 400, last_frame_ms: int = 2000
) -> Path | None:
    """Join PNG images, in the order given, into an animated GIF that loops.

    Args:
        frames: The images, e.g. a :class:`SampleGrid`'s files in epoch order.
        path: The GIF to write (its directory is created).
        frame_ms: How long each image shows, in milliseconds...
        last_frame_ms: ...and the last one, so the result lingers.

    Returns:
        ``path``, or ``None`` when there are no frames (nothing is written).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> directory = Path(tempfile.mkdtemp())
        >>> for shade in (0, 255):
        ...     Image.new("RGB", (4, 4), (shade,) * 3).save(directory / f"epoch-{shade:04d}.png")
        >>> gif = write_gif(sorted(directory.glob("epoch-*.png")), directory / "progress.gif")
        >>> Image.open(gif).n_frames
        2
    """
    if not frames:
        return None
    from PIL import Image

    images = []
    for frame in frames:
        with Image.open(frame) as image:
            images.append(image.convert("RGB"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [frame_ms] * (len(images) - 1) + [last_frame_ms]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path
