"""A conditional GAN on MNIST: ask for the digit you want. The MLP recipe of
``examples/mnist_mlp.py`` with a label for each image: the generator joins a learned embedding
of the label to its noise (Mirza & Osindero 2014) and the discriminator reads it by projection
(Miyato & Koyama 2018).

    python examples/mnist_cgan.py                     # the 5,000 offline digits
    python examples/mnist_cgan.py --epochs 5 --out runs/quick

Writes into --out what examples/mnist_mlp.py writes; then ask for digits without this script:

    pygan sample runs/mnist_cgan_py/checkpoints/last.ckpt --labels all -o digits.png

The same run from the command line: ``pygan train examples/mnist_cgan.toml``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the examples share their command line

from mnist_mlp import run_example  # noqa: E402

from pygan import MLPDiscriminator, MLPGenerator, Trainer  # noqa: E402
from pygan.callbacks import (  # noqa: E402
    EMA,
    CSVLogger,
    LabelSmoothing,
    LossPlot,
    ModelCheckpoint,
    ProgressBar,
    SampleGrid,
)


@dataclass(frozen=True)
class Recipe:
    """The recipe, in one place. examples/mnist_cgan.toml is the same run for `pygan train`:
    change both (tests/test_examples.py checks that they agree)."""

    num_classes: int = 10
    latent_dim: int = 64
    g_hidden: tuple[int, ...] = (512, 1024, 1024)
    g_norm: str = "batch"
    d_hidden: tuple[int, ...] = (1024, 512, 256)
    activation: str = "leaky_relu"
    d_dropout: float = 0.5
    conditioning: str = "projection"
    loss: str = "least_squares"
    g_lr: float = 4e-4
    d_lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 64
    real_label: float = 0.9
    ema_decay: float = 0.9995  # samples come from an average of the last ~2,000 steps' weights
    precision: str = "bf16"
    grid_every: int = 25
    plot_every: int = 10
    epochs: int = 300
    seed: int = 0


RECIPE = Recipe()


def build_trainer(out: Path, r: Recipe = RECIPE) -> Trainer:
    """The generator, discriminator, loss, optimizers and callbacks of the recipe ``r``."""
    torch.manual_seed(r.seed)  # the same starting weights every run
    generator = MLPGenerator(
        latent_dim=r.latent_dim, hidden=r.g_hidden, activation=r.activation, norm=r.g_norm, num_classes=r.num_classes
    )
    discriminator = MLPDiscriminator(
        hidden=r.d_hidden,
        activation=r.activation,
        dropout=r.d_dropout,
        num_classes=r.num_classes,
        conditioning=r.conditioning,
    )
    callbacks = [
        LabelSmoothing(real=r.real_label),
        EMA(decay=r.ema_decay),
        ModelCheckpoint(out / "checkpoints"),
        SampleGrid(out / "samples", every_n_epochs=r.grid_every, gif=out / "progress.gif"),  # a row per class
        LossPlot(out / "losses.png", every_n_epochs=r.plot_every),
        CSVLogger(out / "metrics.csv"),
        ProgressBar(),
    ]
    return Trainer(
        generator,
        discriminator,
        loss=r.loss,
        g_lr=r.g_lr,
        d_lr=r.d_lr,
        betas=r.betas,
        callbacks=callbacks,
        seed=r.seed,
        precision=r.precision,
    )


def main(argv: list[str] | None = None) -> None:
    """Train the recipe from the command line (the flags of examples/mnist_mlp.py)."""
    run_example(RECIPE, build_trainer, doc=__doc__, out=Path("runs/mnist_cgan_py"), argv=argv)


if __name__ == "__main__":
    main()
