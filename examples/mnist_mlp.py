"""The MNIST MLP GAN, with pygan's Python API: the classic network, and the changes that stop
it collapsing (batch norm in a wider generator that learns faster, more dropout in the
discriminator, the least-squares loss, an average of the generator's weights, and a
categorical latent code that lets the generator jump between digit classes).

    python examples/mnist_mlp.py                     # the 5,000 offline digits, a fixed run
    python examples/mnist_mlp.py --epochs 5 --out runs/quick
    python examples/mnist_mlp.py --data mnist        # full MNIST, the same number of steps
    python examples/mnist_mlp.py --minutes 3         # stop after 3 minutes, whatever the epoch
    python examples/mnist_mlp.py --infogan           # sharper digits, less like real ones

The recipe trains a fixed number of epochs, so every machine trains the same run for a seed
(and thread count) and gets the same digits; its figures (docs/results.md) were measured on
mnist_5k, the default data. Writes into --out: samples/ (a grid every few epochs, same noise
each time) and progress.gif (the grids in turn), checkpoints/ (last.ckpt and the last
epochs), metrics.csv (with the quality figures every 20 epochs) and losses.png. Then sample
from it without this script:

    pygan sample runs/mnist_mlp_py/checkpoints/last.ckpt -n 64 -o grid.png

The same run from the command line: ``pygan train examples/mnist_mlp.toml``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from pygan import DATASETS, ImageDataset, InfoTerm, MLPDiscriminator, MLPGenerator, Trainer
from pygan.callbacks import (
    EMA,
    CSVLogger,
    Evaluation,
    LabelSmoothing,
    LossPlot,
    ModelCheckpoint,
    ProgressBar,
    SampleGrid,
    TimeLimit,
)


@dataclass(frozen=True)
class Recipe:
    """The recipe, in one place. examples/mnist_mlp.toml is the same run for `pygan train`:
    change both (tests/test_examples.py checks that they agree)."""

    latent_dim: int = 64
    g_hidden: tuple[int, ...] = (512, 1024, 1024)  # wider than the classic 256-512-1024
    g_norm: str = "batch"  # batch norm in the generator: the classic recipe collapses without
    d_hidden: tuple[int, ...] = (1024, 512, 256)
    activation: str = "leaky_relu"
    d_dropout: float = 0.5  # a discriminator that memorizes 5,000 digits less readily
    loss: str = "least_squares"  # sharper digits than the non-saturating loss in our runs
    g_lr: float = 4e-4  # the generator learns twice as fast as the discriminator
    d_lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 64
    real_label: float = 0.9  # one-sided label smoothing
    ema_decay: float = 0.9995  # samples come from an average of the last ~2,000 steps' weights
    code_categories: int = 10  # a one-hot code of 10 categories in the first latent entries
    info_weight: float = 0.0  # InfoGAN's information term on that code: see INFOGAN below
    precision: str = "bf16"  # 1.5x the steps of float32 on a CPU with bfloat16 instructions
    eval_every: int = 20  # epochs between quality figures in metrics.csv (~1 s each)...
    eval_n: int = 5000  # ...each on this many generated digits
    plot_every: int = 10  # epochs between redraws of losses.png (~50 ms each), and at the end
    grid_every: int = 10  # epochs between sample grids (and the last epoch's)
    epochs: int = 300  # fixed: every machine trains the same run (docs/results.md: how long)
    seed: int = 0


RECIPE = Recipe()
# --infogan: the discriminator gets a code head, and the generator learns to make each code
# category recognizable to it: its digits score higher and have a higher Parzen log-likelihood,
# but a Fréchet distance further from real digits (docs/experiment-log.md).
INFOGAN = replace(RECIPE, info_weight=0.1)


def load_data(choice: str, limit: int | None = None) -> ImageDataset:
    """The 5,000 offline digits of mnist_5k (``"mnist_5k"``, shuffled: their rows are sorted by
    label), or full MNIST from ./data (``"mnist"``, downloaded there if it can be)."""
    if choice == "mnist":
        try:
            data = DATASETS.create("mnist", root="data", download=True)
        except (FileNotFoundError, RuntimeError) as error:
            raise SystemExit(f"error: {' '.join(str(error).split())}") from None
    else:
        data = DATASETS.create("mnist_5k", shuffle_seed=0)
    if limit is not None:
        data = ImageDataset(data.images[:limit], data.labels[:limit])
    return data


def same_steps(epochs: int, data: ImageDataset, batch_size: int) -> int:
    """The epochs over ``data`` that make at least the steps of ``epochs`` over mnist_5k's
    5,000 digits (``--data mnist`` trains the recipe's steps, not its epochs).

    Example:
        >>> same_steps(300, ImageDataset(torch.zeros(60000, 1, 2, 2, dtype=torch.uint8)), 64)
        25
    """
    return math.ceil(epochs * (5000 // batch_size) / (len(data) // batch_size))


def build_trainer(out: Path, r: Recipe = RECIPE) -> Trainer:
    """The generator, discriminator, loss, optimizers and callbacks of the recipe ``r``."""
    torch.manual_seed(r.seed)  # the same starting weights every run
    generator = MLPGenerator(
        latent_dim=r.latent_dim,
        hidden=r.g_hidden,
        activation=r.activation,
        norm=r.g_norm,
        code_categories=r.code_categories,
    )
    discriminator = MLPDiscriminator(  # a code head only for the information term
        hidden=r.d_hidden,
        activation=r.activation,
        dropout=r.d_dropout,
        heads={"code": r.code_categories} if r.info_weight else None,
    )
    callbacks = [
        LabelSmoothing(real=r.real_label),
        EMA(decay=r.ema_decay),  # warmed up: a short average early on
        Evaluation(every_n_epochs=r.eval_every, n=r.eval_n, judges=("cnn-0",), bootstrap=0),  # one judge, ~1 s  # before the checkpoint, which saves its figures
        ModelCheckpoint(out / "checkpoints"),  # the recipe's samples come from last.ckpt
        LossPlot(out / "losses.png", every_n_epochs=r.plot_every),
        SampleGrid(out / "samples", every_n_epochs=r.grid_every, gif=out / "progress.gif"),  # as `pygan train`
        CSVLogger(out / "metrics.csv"),
        ProgressBar(),
    ]
    return Trainer(
        generator,
        discriminator,
        loss=r.loss,
        g_lr=r.g_lr,  # both networks: Adam with these learning rates and betas
        d_lr=r.d_lr,
        betas=r.betas,
        terms=[InfoTerm(weight=r.info_weight)] if r.info_weight else [],
        callbacks=callbacks,
        seed=r.seed,
        precision=r.precision,
    )


def run_example(
    recipe: Any,
    build: Callable[[Path, Any], Trainer],
    *,
    doc: str | None,
    out: Path,
    argv: list[str] | None = None,
    variants: dict[str, tuple[Any, str]] | None = None,
) -> None:
    """The command line the examples share: train ``build(out, recipe)`` on the data asked for.

    Args:
        recipe: The recipe (its ``epochs``, ``batch_size``).
        build: Builds the Trainer of a recipe, writing into a run directory.
        doc: The script's docstring, for ``--help``.
        out: The default run directory.
        argv: The arguments (default: the command line's).
        variants: Flags that pick another recipe: ``{"--infogan": (INFOGAN, "help")}``.
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=recipe.epochs, help="epochs to train (default: %(default)s)")
    parser.add_argument(
        "--data",
        choices=("mnist_5k", "mnist"),
        default="mnist_5k",
        help="mnist_5k (default): the 5,000 offline digits the recipe's figures were measured on; "
        "mnist: all 60,000 from ./data (downloaded if need be), for the same number of steps",
    )
    parser.add_argument("--out", type=Path, default=out, help="run directory (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="train on the first N images only, for a quick try")
    parser.add_argument("--minutes", type=float, help="also stop after this many minutes (a TimeLimit)")
    for flag, (_, help_text) in (variants or {}).items():
        parser.add_argument(flag, action="store_true", help=help_text)
    args = parser.parse_args(argv)

    chosen = next((variant for flag, (variant, _) in (variants or {}).items() if getattr(args, flag[2:])), recipe)
    data = load_data(args.data, args.limit)
    epochs = same_steps(args.epochs, data, chosen.batch_size) if args.data == "mnist" else args.epochs
    trainer = build(args.out, chosen)
    if args.minutes is not None:
        trainer.callbacks.insert(0, TimeLimit(minutes=args.minutes))
    history = trainer.fit(data, epochs=epochs, batch_size=chosen.batch_size)
    last = history[-1]
    print(f"{len(history)} epochs: d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f}, "
          f"D(x) {last['d_real']:.2f}, D(G(z)) {last['d_fake']:.2f}. Wrote {args.out}/")
    labels = " --labels all" if trainer.generator.num_classes else ""
    print(f"Sample from it: pygan sample {args.out / 'checkpoints' / 'last.ckpt'}{labels} -n 64 -o grid.png")


def main(argv: list[str] | None = None) -> None:
    """Train the recipe (``--infogan``: the InfoGAN variant) from the command line."""
    variants = {"--infogan": (INFOGAN, "add InfoGAN's information term (see INFOGAN)")}
    run_example(RECIPE, build_trainer, doc=__doc__, out=Path("runs/mnist_mlp_py"), argv=argv, variants=variants)


if __name__ == "__main__":
    main()
