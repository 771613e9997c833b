"""The MNIST MLP GAN, with pygan's Python API: the classic network, and the changes that stop
it collapsing (batch norm in a wider generator that learns faster, more dropout in the
discriminator, the least-squares loss, an average of the generator's weights, and a
categorical latent code that lets the generator jump between digit classes).

    python examples/mnist_mlp.py                     # full MNIST when it can be had
    python examples/mnist_mlp.py --epochs 5 --data mnist_5k --out runs/quick
    python examples/mnist_mlp.py --infogan           # sharper digits, less like real ones

Writes into --out: samples/ (one grid per epoch, same noise each time) and progress.gif
(the grids in turn), checkpoints/ (last.ckpt and the last epochs), metrics.csv (with the
quality figures every 20 epochs) and losses.png. Then sample from it without this script:

    pygan sample runs/mnist_mlp_py/checkpoints/last.ckpt -n 64 -o grid.png

The same run from the command line: ``pygan train examples/mnist_mlp.toml``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

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
    ema_decay: float = 0.9999  # samples come from an average of the generator's recent weights
    ema_start_step: int = 8000  # ...that starts after the first ~100 epochs of 5,000 digits
    code_categories: int = 10  # a one-hot code of 10 categories in the first latent entries
    info_weight: float = 0.0  # InfoGAN's information term on that code: see INFOGAN below
    precision: str = "bf16"  # 1.5x the steps of float32 on a CPU with bfloat16 instructions
    eval_every: int = 20  # epochs between quality figures in metrics.csv (~1 s each)...
    eval_n: int = 5000  # ...each on this many generated digits
    plot_every: int = 10  # epochs between redraws of losses.png (~50 ms each), and at the end
    epochs: int = 1000
    minutes: float = 9.5  # ...or as many epochs as fit in this wall time
    seed: int = 0


RECIPE = Recipe()
# --infogan: the discriminator gets a code head, and the generator learns to make each code
# category recognizable to it. On mnist_5k in 9.5 minutes its digits score higher and have a
# higher Parzen log-likelihood, but a Fréchet distance further from real digits (docs/results.md).
INFOGAN = replace(RECIPE, info_weight=0.1)


def load_data(choice: str, limit: int | None = None) -> ImageDataset:
    """Full MNIST (from ./data, downloaded there if need be) or the offline 5k digits."""
    data = None
    if choice in ("auto", "mnist"):
        try:
            data = DATASETS.create("mnist", root="data", download=True)
        except (FileNotFoundError, RuntimeError) as error:
            if choice == "mnist":
                raise SystemExit(f"error: {' '.join(str(error).split())}") from None
            print("Full MNIST is not in ./data and cannot be downloaded: training on the "
                  "5,000 offline digits of mnist_5k instead.")
    if data is None:
        data = DATASETS.create("mnist_5k", shuffle_seed=0)  # its rows are sorted by label
    if limit is not None:
        data = ImageDataset(data.images[:limit], data.labels[:limit])
    return data


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
        TimeLimit(minutes=r.minutes),
        LabelSmoothing(real=r.real_label),
        EMA(decay=r.ema_decay, start_step=r.ema_start_step),
        Evaluation(every_n_epochs=r.eval_every, n=r.eval_n),  # before the checkpoint, which saves its figures
        ModelCheckpoint(out / "checkpoints"),  # the recipe's samples come from last.ckpt
        LossPlot(out / "losses.png", every_n_epochs=r.plot_every),
        SampleGrid(out / "samples", gif=out / "progress.gif"),  # the GIF as `pygan train` writes it
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=RECIPE.epochs, help="epochs to train (default: %(default)s)")
    parser.add_argument(
        "--data",
        choices=("auto", "mnist", "mnist_5k"),
        default="auto",
        help="auto: full MNIST when it is in ./data or can be downloaded, else mnist_5k",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/mnist_mlp_py"), help="run directory")
    parser.add_argument("--limit", type=int, help="train on the first N images only, for a quick try")
    parser.add_argument("--infogan", action="store_true", help="add InfoGAN's information term (see INFOGAN)")
    args = parser.parse_args(argv)

    data = load_data(args.data, args.limit)
    recipe = INFOGAN if args.infogan else RECIPE
    trainer = build_trainer(args.out, recipe)
    history = trainer.fit(data, epochs=args.epochs, batch_size=recipe.batch_size)
    last = history[-1]
    print(f"{len(history)} epochs: d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f}, "
          f"D(x) {last['d_real']:.2f}, D(G(z)) {last['d_fake']:.2f}. Wrote {args.out}/")
    print(f"Sample from it: pygan sample {args.out / 'checkpoints' / 'last.ckpt'} -n 64 -o grid.png")


if __name__ == "__main__":
    main()
