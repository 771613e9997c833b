"""The MNIST MLP GAN, with pygan's Python API: the classic network, and the changes that stop
it collapsing (batch norm in a wider generator that learns faster, more dropout in the
discriminator, the least-squares loss, an average of the generator's weights, and the
checkpoint with the best Fréchet distance to the training digits kept as best.ckpt).

    python examples/mnist_mlp.py                     # full MNIST when it can be had
    python examples/mnist_mlp.py --epochs 5 --data mnist_5k --out runs/quick
    python examples/mnist_mlp.py --infogan           # sharper digits, less like real ones

Writes into --out: samples/ (one grid per epoch, same noise each time), checkpoints/
(best.ckpt, last.ckpt and the last epochs), metrics.csv (with the quality figures every 10
epochs) and losses.png. Then sample from it without this script:

    pygan sample runs/mnist_mlp_py/checkpoints/best.ckpt -n 64 -o grid.png

The same run from the command line: ``pygan train examples/mnist_mlp.toml``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from pygan import DATASETS, ImageDataset, MLPDiscriminator, MLPGenerator, Trainer
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
    code_categories: int = 0  # a categorical latent code of this many categories (InfoGAN)...
    info_weight: float = 0.0  # ...and the weight of its information term: see INFOGAN below
    precision: str = "bf16"  # 1.5x the steps of float32 on a CPU with bfloat16 instructions
    eval_every: int = 10  # epochs between Fréchet distances to the training digits...
    eval_n: int = 5000  # ...each on this many generated digits; best.ckpt has the lowest
    plot_every: int = 10  # epochs between redraws of losses.png (~50 ms each), and at the end
    epochs: int = 1000
    minutes: float = 9.5  # ...or as many epochs as fit in this wall time
    seed: int = 0


RECIPE = Recipe()
# --infogan: the generator makes each of 10 code categories recognizable to the
# discriminator's code head. On mnist_5k in 9.5 minutes its digits score higher and have a
# higher Parzen log-likelihood, but a Fréchet distance further from real digits (docs/results.md).
INFOGAN = replace(RECIPE, code_categories=10, info_weight=0.1)


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
    discriminator = MLPDiscriminator(
        hidden=r.d_hidden, activation=r.activation, dropout=r.d_dropout, code_categories=r.code_categories
    )
    callbacks = [
        TimeLimit(minutes=r.minutes),
        LabelSmoothing(real=r.real_label),
        EMA(decay=r.ema_decay, start_step=r.ema_start_step),
        Evaluation(every_n_epochs=r.eval_every, n=r.eval_n),  # before the checkpoint: it logs
        ModelCheckpoint(out / "checkpoints", monitor="frechet_distance", mode="min"),
        LossPlot(out / "losses.png", every_n_epochs=r.plot_every),
        SampleGrid(out / "samples"),
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
        info_weight=r.info_weight,
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
    best = next(cb for cb in trainer.callbacks if isinstance(cb, ModelCheckpoint))
    print(f"Lowest Fréchet distance to the training digits: {best.best_score:.2f} at epoch "
          f"{best.best_epoch}, in {best.best_path}")


if __name__ == "__main__":
    main()
