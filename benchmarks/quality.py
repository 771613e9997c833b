"""Quality benchmark: train recipes on the same data and time budget, judge them the same way.

Each recipe is a pygan TOML config (the example's and the classic tutorials'). Every one trains
on the 5,000 offline MNIST digits (``mnist_5k``) for at most ``--budget`` seconds of wall time
(the config's epoch count is the other limit), and is then judged by ``pygan.metrics``:

- modes, KL to uniform and classifier score on 10,000 generated digits;
- the Fréchet distance of 5,000 generated digits to the official MNIST test set, next to the
  same figure for the 5,000 real training digits (the yardstick: both sets the same size);
- the Parzen-window log-likelihood of the MNIST test set under 10,000 generated digits
  (Goodfellow et al. 2014: sigma chosen on 1,000 test digits, scored on the other 9,000).

Usage::

    python benchmarks/quality.py                                  # all recipes, 600 s each
    python benchmarks/quality.py --budget 120 --recipes examples/mnist_mlp.toml
    python benchmarks/quality.py --jobs 2 --threads 1             # two recipes at a time
    python benchmarks/quality.py --recipes examples/mnist_mlp.toml --name mnist_mlp_infogan \
        --set 'discriminator.heads={code = 10}' --set terms.info.weight=0.1  # a variant's row

A recipe is judged from its ``best.ckpt`` when its checkpoint callback keeps one (``monitor``:
chosen by a figure measured on the training digits, never the test set), else from its last
checkpoint; a recipe whose loss turns NaN from its last good one, marked as diverged.
It prints one Markdown table and writes ``results.json``, each run's directory (samples,
losses.png, checkpoints) under ``--out``, and with ``--docs DIR`` copies each recipe's sample
grid of the judged epoch and its loss plot to ``DIR/images/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

import pygan
from pygan.config import load_config
from pygan.metrics import default_classifier, evaluate_generator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECIPES = [
    "examples/mnist_mlp.toml",
    "examples/mnist_dcgan.toml",
    "examples/classic/relu_bce.toml",
    "examples/classic/leaky_relu_label_smoothing.toml",
    "examples/classic/minimax.toml",
    "examples/classic/zeros_two_learning_rates.toml",
]
DEFAULT_TEST = ROOT.parent / "shared" / "data" / "mnist"


def recipe_name(path: str, args: argparse.Namespace) -> str:
    """The recipe's row and run-directory name: ``--name``, else the config's file name."""
    return args.name or Path(path).stem


def train_and_judge(recipe: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train one recipe within the budget and return its figures."""
    name = recipe_name(recipe, args)
    run_dir = Path(args.out) / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    config = load_config(ROOT / recipe, overrides=[*args.set, "callbacks.progress_bar.refresh_every_n_steps=50"])
    run = config.build(run_dir)
    run.trainer.callbacks.insert(0, pygan.TimeLimit(minutes=args.budget / 60))
    started = time.perf_counter()
    stopped = None
    try:
        run.fit()
    except pygan.NonFiniteLossError as error:  # a recipe that diverges is a result too
        stopped = f"diverged at epoch {error.epoch}, step {error.step}"
    train_time = time.perf_counter() - started
    history = run.trainer.history

    judged = run.best_checkpoint or run.last_checkpoint  # best.ckpt: chosen on training digits
    generator = pygan.load_generator(judged)  # EMA weights when the recipe has EMA
    test = pygan.DATASETS.create("mnist", root=args.test, train=False)
    train_digits = pygan.DATASETS.create("mnist_5k")
    classifier = default_classifier()
    same_size = evaluate_generator(generator, n=5000, real=test, reference=train_digits, classifier=classifier)
    full = evaluate_generator(generator, n=10000, real=test, parzen_test=test, classifier=classifier)
    return {
        "recipe": name,
        "config": recipe,
        "overrides": args.set,
        "epochs": len(history),
        "judged_epoch": pygan.load_checkpoint(judged)["epoch"],
        "stopped": stopped,
        "train_time": train_time,
        "modes": full["modes"],
        "kl_uniform": full["kl_uniform"],
        "classifier_score": full["classifier_score"],
        "frechet_distance": same_size["frechet_distance"],
        "real_frechet_distance": same_size["reference_frechet_distance"],
        "parzen": full["parzen_log_likelihood"],
        "parzen_se": full["parzen_se"],
        "parzen_sigma": full["parzen_sigma"],
        "class_histogram": full["class_histogram"],
        "classifier_accuracy": full["classifier_accuracy"],
        "real_accuracy": full.get("real_accuracy"),
        "run_dir": str(run_dir),
    }


def judged_epoch(result: dict[str, Any]) -> int:
    """The epoch whose checkpoint was judged (results written before it was recorded: the last)."""
    return result.get("judged_epoch", result["epochs"])


def epochs(result: dict[str, Any]) -> str:
    """``"359"``, or ``"359 (190)"`` when epoch 190's checkpoint was judged."""
    judged = judged_epoch(result)
    return str(judged) if judged == result["epochs"] else f"{result['epochs']} ({judged})"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| recipe | epochs (judged) | wall time | modes | KL to uniform | classifier score | Fréchet distance (real: yardstick) | Parzen ± se (nats) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['recipe']}{' (' + r['stopped'] + ')' if r.get('stopped') else ''} | {epochs(r)} | "
            f"{r['train_time']:.0f} s | {r['modes']}/10 | "
            f"{r['kl_uniform']:.3f} | {r['classifier_score']:.2f} | {r['frechet_distance']:.2f} "
            f"({r['real_frechet_distance']:.2f}) | {r['parzen']:.1f} ± {r['parzen_se']:.1f} |"
        )
    return "\n".join(lines)


def copy_images(results: list[dict[str, Any]], docs: Path) -> None:
    images = docs / "images"
    images.mkdir(parents=True, exist_ok=True)
    for r in results:
        run_dir = Path(r["run_dir"])
        judged = run_dir / "samples" / f"epoch-{judged_epoch(r):04d}.png"
        grids = [judged] if judged.exists() else sorted((run_dir / "samples").glob("epoch-*.png"))
        if grids:  # the grid of the judged epoch
            shutil.copyfile(grids[-1], images / f"{r['recipe']}-samples.png")
        if (run_dir / "losses.png").exists():
            shutil.copyfile(run_dir / "losses.png", images / f"{r['recipe']}-losses.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", default=DEFAULT_RECIPES, help="TOML configs, relative to the repository")
    parser.add_argument("--budget", type=float, default=600.0, help="wall-time seconds of training per recipe")
    parser.add_argument("--test", default=str(DEFAULT_TEST), help="directory with the MNIST test set IDX files")
    parser.add_argument("--out", default="runs/quality", help="where the runs and results.json go")
    parser.add_argument("--docs", default=None, help="copy sample grids and loss plots to DOCS/images/")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per recipe")
    parser.add_argument("--jobs", type=int, default=1, help="recipes trained at the same time (one process each)")
    parser.add_argument("--reuse", action="store_true", help="keep recipes already judged in --out; train the rest")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value in every recipe, as `pygan train --set` does")
    parser.add_argument("--name", help="the row's name (one recipe only); default: the config's file name")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.name and len(args.recipes) != 1:
        parser.error("--name needs exactly one recipe")
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    if args.single:
        (result,) = [train_and_judge(r, args) for r in args.recipes]
        (out / f"{result['recipe']}.json").write_text(json.dumps(result, indent=2))
        return 0

    default_classifier()  # train and cache the judge once, before recipes race for it
    pending = [r for r in args.recipes if not (args.reuse and (out / f"{recipe_name(r, args)}.json").exists())]
    running: list[subprocess.Popen[bytes]] = []
    while pending or running:
        while pending and len(running) < args.jobs:
            recipe = pending.pop(0)
            (out / f"{recipe_name(recipe, args)}.json").unlink(missing_ok=True)
            command = [sys.executable, __file__, "--single", "--recipes", recipe, "--budget",
                       str(args.budget), "--test", args.test, "--out", args.out]
            command += [f"--set={o}" for o in args.set] + ([f"--name={args.name}"] if args.name else [])
            if args.threads:
                command += ["--threads", str(args.threads)]
            print(f"training {recipe} (budget {args.budget:.0f} s)", file=sys.stderr, flush=True)
            running.append(subprocess.Popen(command))
        time.sleep(1)
        for process in [p for p in running if p.poll() is not None]:
            running.remove(process)
            if process.returncode:
                print(f"a recipe failed with exit code {process.returncode}", file=sys.stderr)
    results = []
    for recipe in args.recipes:
        path = out / f"{recipe_name(recipe, args)}.json"
        if path.exists():
            results.append(json.loads(path.read_text()))
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if args.docs:
        copy_images(results, Path(args.docs))
    print(table(results))
    return 0 if len(results) == len(args.recipes) else 1


if __name__ == "__main__":
    sys.exit(main())
