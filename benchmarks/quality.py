"""Quality benchmark: train recipes on the same data and time budget, judge them the same way.

Each recipe is a pygan TOML config (the example's and the classic tutorials'). Every one trains
on the 5,000 offline MNIST digits (``mnist_5k``) for at most ``--budget`` seconds of wall time
(the config's epoch count is the other limit), and is then judged by ``pygan.metrics``, in
the features of an ensemble of judges (``--judges``: by default two CNNs and an MLP, trained
on ``mnist_5k`` with their own seeds and cached), each figure the mean over the judges with
their spread (min-max):

- modes, KL to uniform and classifier score on 10,000 generated digits;
- the Fréchet distance of 5,000 generated digits to the official MNIST test set, averaged
  over six draws of latent vectors (seeds 0 to 5) with the lowest and highest draw as its
  interval, next to the same figure for the 5,000 real training digits (the yardstick: both
  sets the same size). One draw moves it by up to ±10% by the CNN judges and ±25% by
  ``mlp-1``; ``--draws 1`` measures one draw, with a 95% bootstrap interval (200 resamples);
- the Parzen-window log-likelihood of the MNIST test set under 10,000 generated digits
  (Goodfellow et al. 2014: sigma chosen on 1,000 test digits, scored on the other 9,000);
  it needs no judge.

Choose recipes (and their settings) on some judges and report them on another one: a recipe
tuned against a judge's features can learn that judge's blind spots, and the ensemble's own
figures then flatter it. ``--holdout-judge NAME`` names a judge kept out of the ensemble (and
out of the recipes' ``evaluation`` callbacks, which choose ``best.ckpt``): its figures are
reported in a column of their own.

Usage::

    python benchmarks/quality.py                                  # all recipes, 600 s each
    python benchmarks/quality.py --budget 120 --recipes examples/mnist_mlp.toml
    python benchmarks/quality.py --jobs 2 --threads 1             # two recipes at a time
    python benchmarks/quality.py --recipes examples/mnist_mlp.toml --name mnist_mlp_infogan \
        --set 'discriminator.heads={code = 10}' --set terms.info.weight=0.1  # a variant's row
    python benchmarks/quality.py --judges cnn-0 mlp-1 --holdout-judge cnn-2  # report on cnn-2
    python benchmarks/quality.py --draws 1     # the distance of one draw of latent vectors (the protocol before 2026-12-06)

A recipe is judged from its ``best.ckpt`` when its checkpoint callback keeps one (``monitor``:
chosen by a figure measured on the training digits, never the test set), else from its last
checkpoint; a recipe whose loss turns NaN from its last good one, marked as diverged.
It prints Markdown tables (the summary, then each judged figure with a column per judge, the
mean, the spread and the held-out judge) and writes ``results.json``, each run's directory (samples,
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
from pygan.config import RunConfig, load_config
from pygan.metrics import DEFAULT_JUDGES, evaluate_generator, get_judges
from pygan.metrics.classifier import check_judge_names

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECIPES = [
    "examples/mnist_mlp.toml",
    "examples/mnist_cgan.toml",
    "examples/fashion_mnist.toml",
    "examples/mnist_dcgan.toml",
    "examples/classic/relu_bce.toml",
    "examples/classic/leaky_relu_label_smoothing.toml",
    "examples/classic/minimax.toml",
    "examples/classic/zeros_two_learning_rates.toml",
]
DEFAULT_TEST = ROOT.parent / "shared" / "data" / "mnist"
JUDGED = ("modes", "kl_uniform", "classifier_score", "frechet_distance")
"""The figures measured by each judge (the others need no judge)."""
CONDITIONAL = ("conditional_accuracy", "intra_class_frechet_distance")
"""The figures each judge adds for a conditional generator."""


def real_data(name: str, args: argparse.Namespace) -> tuple[Any, Any]:
    """The test split a recipe on dataset ``name`` is judged against, and 5,000 of its training
    images (the yardstick: real images measured like the generated ones)."""
    if name == "fashion_mnist":
        train = pygan.DATASETS.create("fashion_mnist")
        return pygan.DATASETS.create("fashion_mnist", train=False), pygan.ImageDataset(train.images[:5000], train.labels[:5000])
    return pygan.DATASETS.create("mnist", root=args.test, train=False), pygan.DATASETS.create("mnist_5k")


def recipe_name(path: str, args: argparse.Namespace) -> str:
    """The recipe's row and run-directory name: ``--name``, else the config's file name."""
    return args.name or Path(path).stem


def ensemble(args: argparse.Namespace) -> list[str]:
    """The judges whose mean and spread are reported: ``--judges`` without the held-out one."""
    return [name for name in args.judges if name != args.holdout_judge]


def all_judges(args: argparse.Namespace) -> list[str]:
    """The ensemble's judges and the held-out one."""
    return [*ensemble(args), *([args.holdout_judge] if args.holdout_judge else [])]


def load_recipe(recipe: str, args: argparse.Namespace) -> RunConfig:
    """The recipe's config with ``--set``; its ``evaluation`` callbacks judge with the ensemble
    (never with the held-out judge, which must play no part in choosing ``best.ckpt``)."""
    overrides = [*args.set, "callbacks.progress_bar.refresh_every_n_steps=50"]
    config = load_config(ROOT / recipe, overrides=overrides)
    if any(part.name == "evaluation" for part in config.callbacks):
        config = load_config(ROOT / recipe, overrides=[*overrides, f"callbacks.evaluation.judges={json.dumps(ensemble(args))}"])
    return config


def judge(
    generator: pygan.Generator, args: argparse.Namespace, judges: list[str], *, parzen: bool, data: str = "mnist_5k"
) -> dict[str, Any]:
    """The figures of ``generator`` by ``judges`` trained on ``data`` (Fashion-MNIST's judges
    for a Fashion-MNIST recipe, the digits' otherwise): at 10,000 images (modes, KL, score,
    for a conditional generator its conditional accuracy and intra-class Fréchet distance
    and, with ``parzen``, the Parzen estimate), and the Fréchet distance at 5,000 against the
    test set."""
    test, train_images = real_data(data, args)
    judge_data = "fashion_mnist" if data == "fashion_mnist" else "mnist_5k"
    same_size = evaluate_generator(
        generator, n=5000, real=test, reference=train_images, judges=judges, data=judge_data, draws=args.draws
    )
    full = evaluate_generator(
        generator, n=10000, real=test, parzen_test=test if parzen else None, judges=judges, bootstrap=0, data=judge_data
    )
    kept = ("modes", "kl_uniform", "classifier_score", "class_histogram", "classifier_accuracy", "real_accuracy")
    judged = JUDGED + (CONDITIONAL if generator.num_classes else ())
    figures = {key: full[key] for key in kept + judged[len(JUDGED):]}
    figures.update(
        frechet_distance=same_size["frechet_distance"],
        frechet_interval=[same_size["frechet_distance_low"], same_size["frechet_distance_high"]],
        real_frechet_distance=same_size["reference_frechet_distance"],
    )
    if args.draws > 1:
        key = "frechet_distance_draws/{}" if len(judges) > 1 else "frechet_distance_draws"
        figures.update(draws=args.draws, frechet_draws={name: same_size[key.format(name)] for name in judges})
    if parzen:
        figures.update(parzen=full["parzen_log_likelihood"], parzen_se=full["parzen_se"], parzen_sigma=full["parzen_sigma"])
    if len(judges) > 1:
        figures["spread"] = {
            key: [(same_size if key == "frechet_distance" else full)[f"{key}_{end}"] for end in ("min", "max")] for key in judged
        }
        figures["per_judge"] = {
            name: {key: (same_size if key == "frechet_distance" else full)[f"{key}/{name}"] for key in judged} for name in judges
        }
    else:
        figures["per_judge"] = {judges[0]: {key: figures[key] for key in judged}}
    return figures


def train_and_judge(recipe: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train one recipe within the budget and return its figures."""
    name = recipe_name(recipe, args)
    run_dir = Path(args.out) / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    config = load_recipe(recipe, args)
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
    result = {
        "recipe": name,
        "config": recipe,
        "overrides": args.set,
        "epochs": len(history),
        "judged_epoch": pygan.load_checkpoint(judged)["epoch"],
        "stopped": stopped,
        "train_time": train_time,
        "judges": ensemble(args),
        "holdout_judge": args.holdout_judge,
        "data": config.data.name,
        **judge(generator, args, ensemble(args), parzen=True, data=config.data.name),
        "run_dir": str(run_dir),
    }
    if args.holdout_judge:
        result["holdout"] = judge(generator, args, [args.holdout_judge], parzen=False, data=config.data.name)
    return result


def judged_epoch(result: dict[str, Any]) -> int:
    """The epoch whose checkpoint was judged (results written before it was recorded: the last)."""
    return result.get("judged_epoch", result["epochs"])


def epochs(result: dict[str, Any]) -> str:
    """``"359"``, or ``"359 (190)"`` when epoch 190's checkpoint was judged."""
    judged = judged_epoch(result)
    return str(judged) if judged == result["epochs"] else f"{result['epochs']} ({judged})"


def number(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals; a whole number of modes without any."""
    return f"{value:.0f}" if digits == 0 and float(value).is_integer() else f"{value:.{max(digits, 1)}f}"


def spread(result: dict[str, Any], key: str, digits: int) -> str:
    """`` (min-max)`` of a figure over the judges, or nothing (one judge, or an older result)."""
    low_high = result.get("spread", {}).get(key)
    return f" ({number(low_high[0], digits)}-{number(low_high[1], digits)})" if low_high else ""


def percent_spread(result: dict[str, Any], key: str) -> str:
    """`` (min-max)`` of a share over the judges, in percent, or nothing."""
    low_high = result.get("spread", {}).get(key)
    return f" ({low_high[0]:.2%}-{low_high[1]:.2%})" if low_high else ""


def table(results: list[dict[str, Any]]) -> str:
    """The summary: one row a recipe; judged figures are the ensemble's mean (min-max)."""
    lines = [
        "| recipe | epochs (judged) | wall time | modes | KL to uniform | classifier score | Fréchet distance [interval] | real digits' Fréchet distance | Parzen ± se (nats) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        interval = r.get("frechet_interval")
        lines.append(
            f"| {r['recipe']}{' (' + r['stopped'] + ')' if r.get('stopped') else ''} | {epochs(r)} | "
            f"{r['train_time']:.0f} s | {number(r['modes'], 0)}/10{spread(r, 'modes', 0)} | "
            f"{r['kl_uniform']:.3f}{spread(r, 'kl_uniform', 3)} | "
            f"{r['classifier_score']:.2f}{spread(r, 'classifier_score', 2)} | {r['frechet_distance']:.2f}"
            f"{f' [{interval[0]:.2f}, {interval[1]:.2f}]' if interval else ''}{spread(r, 'frechet_distance', 2)} | "
            f"{r['real_frechet_distance']:.2f} | {r['parzen']:.1f} ± {r['parzen_se']:.1f} |"
        )
    conditional = [r for r in results if "conditional_accuracy" in r]
    if conditional:
        lines += ["", "| conditional recipe | accuracy (asked class) | intra-class Fréchet distance |", "|---|---:|---:|"]
        lines += [
            f"| {r['recipe']} | {r['conditional_accuracy']:.2%}{percent_spread(r, 'conditional_accuracy')} | "
            f"{r['intra_class_frechet_distance']:.2f}{spread(r, 'intra_class_frechet_distance', 2)} |"
            for r in conditional
        ]
    judges = list(dict.fromkeys(name for r in results for name in r.get("judges", [])))
    if judges:
        lines += ["", f"Judged figures: the mean over the judges {', '.join(judges)}, their min-max in brackets."]
    draws = sorted({r.get("draws", 1) for r in results})
    kinds = [
        f"the mean over {n} draws of latent vectors, the lowest and highest draw as its interval"
        if n > 1 else "one draw of latent vectors, with its 95% bootstrap interval (200 resamples)"
        for n in draws
    ]
    lines += ["", f"Fréchet distance: of 5,000 generated images, {'; or '.join(kinds)}."]
    return "\n".join(lines)


def judge_table(results: list[dict[str, Any]], key: str, title: str) -> str:
    """One judged figure: a column per judge, the mean and spread, and the held-out judge."""
    judged = [r for r in results if "per_judge" in r]  # results written before judges had names lack them
    names = list(dict.fromkeys(name for r in judged for name in r["judges"]))
    holdouts = list(dict.fromkeys(r["holdout_judge"] for r in judged if r.get("holdout_judge")))
    header = ["recipe", *names, "mean", "min-max", *(f"held out: {name}" for name in holdouts)]
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for r in judged:
        cells = [f"{r['per_judge'][name][key]:.3f}" if name in r["per_judge"] else "" for name in names]
        low_high = r.get("spread", {}).get(key)
        cells += [f"{r[key]:.3f}", f"{low_high[0]:.3f}-{low_high[1]:.3f}" if low_high else ""]
        cells += [f"{r['holdout'][key]:.3f}" if r.get("holdout_judge") == name else "" for name in holdouts]
        lines.append(f"| {r['recipe']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tables(results: list[dict[str, Any]]) -> str:
    """The summary table, then one table per judged figure."""
    titles = {"modes": "modes", "kl_uniform": "KL to uniform", "classifier_score": "classifier score",
              "frechet_distance": "Fréchet distance (5,000 generated images against the test split of the recipe's dataset)"}
    return "\n\n".join([table(results), *(judge_table(results, key, f"By judge: {title}") for key, title in titles.items())])


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
    parser.add_argument("--judges", nargs="+", default=list(DEFAULT_JUDGES), metavar="NAME",
                        help=f"the judges whose mean and spread are reported (default: {' '.join(DEFAULT_JUDGES)})")
    parser.add_argument("--holdout-judge", metavar="NAME",
                        help="a judge kept out of the ensemble and of the recipes' evaluation; reported on its own")
    parser.add_argument("--draws", type=int, default=6, metavar="N",
                        help="average the Fréchet distance over N draws of latent vectors (seeds 0 to N-1), "
                        "its interval the lowest and highest draw (default: 6; 1: one draw, with a bootstrap interval)")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.name and len(args.recipes) != 1:
        parser.error("--name needs exactly one recipe")
    try:
        check_judge_names(all_judges(args))
    except (KeyError, ValueError) as error:
        parser.error(str(error).strip('"'))
    if not ensemble(args):
        parser.error("--judges needs a judge besides the held-out one")
    if args.draws < 1:
        parser.error(f"--draws must be at least 1, got {args.draws}")
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    if args.single:
        (result,) = [train_and_judge(r, args) for r in args.recipes]
        (out / f"{result['recipe']}.json").write_text(json.dumps(result, indent=2))
        return 0

    get_judges(all_judges(args))  # train and cache them once, before recipes race for them
    pending = [r for r in args.recipes if not (args.reuse and (out / f"{recipe_name(r, args)}.json").exists())]
    running: list[subprocess.Popen[bytes]] = []
    while pending or running:
        while pending and len(running) < args.jobs:
            recipe = pending.pop(0)
            (out / f"{recipe_name(recipe, args)}.json").unlink(missing_ok=True)
            command = [sys.executable, __file__, "--single", "--recipes", recipe, "--budget",
                       str(args.budget), "--test", args.test, "--out", args.out]
            command += [f"--set={o}" for o in args.set] + ([f"--name={args.name}"] if args.name else [])
            command += ["--draws", str(args.draws), "--judges", *args.judges] + ([f"--holdout-judge={args.holdout_judge}"] if args.holdout_judge else [])
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
    print(tables(results))
    return 0 if len(results) == len(args.recipes) else 1


if __name__ == "__main__":
    sys.exit(main())
