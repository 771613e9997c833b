"""How much pygan's dropout layer speeds up the default recipe's training on the CPU.

``torch.nn.Dropout`` draws its masks with ``bernoulli_``, which on the CPU costs more than the
matrix products of the MLP discriminator of ``examples/mnist_mlp.toml`` (dropout after each
of its three hidden layers). pygan's built-in models use ``pygan.models._layers.Dropout``,
which draws four mask elements from each 64-bit random number. This trains one epoch of the
recipe (without its callbacks) with each layer in turn, alternating, and prints the median
seconds per epoch of each and their ratio.

Usage::

    python benchmarks/dropout.py [--reps 7] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

import pygan
from pygan.config import load_config
from pygan.models._layers import Dropout

RECIPE = Path(__file__).resolve().parent.parent / "examples" / "mnist_mlp.toml"


def use_torch_dropout(module: nn.Module) -> int:
    """Replace every pygan dropout layer under ``module`` by ``torch.nn.Dropout``; return how many."""
    swapped = 0
    for name, child in module.named_children():
        if isinstance(child, Dropout):
            setattr(module, name, nn.Dropout(child.p))
            swapped += 1
        else:
            swapped += use_torch_dropout(child)
    return swapped


def epoch_seconds(layer: str, out: str) -> float:
    """Train one epoch of the recipe with ``layer`` ("pygan" or "torch") dropout; return its seconds."""
    run = load_config(RECIPE, overrides=["trainer.epochs=1", "callbacks=[]"]).build(out, standard_callbacks=False)
    if layer == "torch" and not use_torch_dropout(run.trainer.discriminator):
        raise SystemExit(f"{RECIPE} has no dropout layer to swap")
    started = time.perf_counter()
    run.fit()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="timed epochs per layer (after one untimed each)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"pygan {pygan.__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"recipe {RECIPE.name} (precision and batch as the recipe sets), {args.reps} reps")
    times: dict[str, list[float]] = {"torch": [], "pygan": []}
    with tempfile.TemporaryDirectory() as out:
        for rep in range(args.reps + 1):
            for layer in (("torch", "pygan") if rep % 2 else ("pygan", "torch")):
                seconds = epoch_seconds(layer, out)
                if rep:
                    times[layer].append(seconds)
    medians = {layer: statistics.median(t) for layer, t in times.items()}
    for layer, t in times.items():
        print(f"{layer:>6} dropout: median {medians[layer]:.3f} s/epoch (min {min(t):.3f})")
    print(f"torch/pygan: {medians['torch'] / medians['pygan']:.2f}x")


if __name__ == "__main__":
    main()
