"""A PNG grid of generated images every few epochs, always from the same noise."""

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

__all__ = ["SampleGrid"]


@CALLBACKS.register("sample_grid")
class SampleGrid(Callback):
    """Save a grid of ``n`` generated images as ``dirpath/epoch-0003.png`` every
    ``every_n_epochs`` epochs (and after the last), always from the same latent noise.

    The noise is drawn once from a private ``torch.Generator`` seeded with ``seed`` (the
    global random state is never touched, so training is the same with or without this
    callback) and kept in the callback's state, so a resumed run draws the same pictures.
    Images are generated in eval mode (the generator's mode is restored after), with the
    averaged weights when the trainer has an :class:`~pygan.callbacks.EMA` callback and
    ``use_ema`` is true, and mapped from [-1, 1] to pixels.

    Args:
        dirpath: Directory for the PNG files (created on fit start).
        every_n_epochs: Save after every this many epochs (and always after the last).
        n: Number of images in each grid.
        nrow: Images per row of the grid.
        seed: Seed of the fixed noise.
        use_ema: Sample from the EMA callback's averaged generator when there is one.

    Example:
        >>> import tempfile
        >>> from pygan import MLPGenerator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> cb = SampleGrid(tempfile.mkdtemp(), n=6, nrow=3)
        >>> cb.render(g).shape  # 2 rows x 3 columns of 4x4 images, 2-pixel padding
        torch.Size([3, 14, 20])
    """

    def __init__(
        self,
        dirpath: str | os.PathLike[str] = "samples",
        every_n_epochs: int = 1,
        n: int = 64,
        nrow: int = 8,
        seed: int = 0,
        use_ema: bool = True,
    ) -> None:
        self.dirpath = check_path("dirpath", dirpath)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        self.n = check_int("n", n)
        self.nrow = check_int("nrow", nrow)
        self.seed = check_int("seed", seed, minimum=0)
        self.use_ema = check_bool("use_ema", use_ema)
        self.noise: torch.Tensor | None = None

    def path_for(self, epoch: int) -> Path:
        """The file the grid of ``epoch`` goes to."""
        return self.dirpath / f"epoch-{epoch:04d}.png"

    def render(self, generator: Generator) -> torch.Tensor:
        """Generate the grid from the fixed noise: a ``(3, H, W)`` tensor in [0, 1]."""
        images = generator.sample(self.n, z=self._noise_for(generator).to(generator.device))
        from torchvision.utils import make_grid  # torchvision takes a second to import: not at `import pygan`

        return make_grid(images.float().cpu(), nrow=self.nrow, normalize=True, value_range=(-1, 1))

    def _noise_for(self, generator: Generator) -> torch.Tensor:
        """The fixed noise, drawn now if there is none yet (or ``n`` or the latent size changed)."""
        if self.noise is None or tuple(self.noise.shape) != (self.n, generator.latent_dim):
            rng = torch.Generator().manual_seed(self.seed)
            self.noise = generator.sample_latent(self.n, generator=rng).cpu()
        return self.noise

    def on_fit_start(self, trainer: Trainer) -> None:
        """Draw the noise (so checkpoints hold it from the start); create the directory."""
        self._noise_for(trainer.generator)
        if trainer.is_global_zero:
            self.dirpath.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Save the grid on every ``every_n_epochs``-th epoch and after the last one."""
        epoch = trainer.completed_epochs
        if not trainer.is_global_zero or (epoch % self.every_n_epochs and epoch != trainer.max_epochs):
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
