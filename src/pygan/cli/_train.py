"""The ``pygan train`` command: train from a TOML config into a run directory."""

from __future__ import annotations

import argparse
import random
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from pygan import _distributed as dist
from pygan._version import __version__
from pygan.callbacks import SampleGrid
from pygan.checkpoint import CheckpointError, load_checkpoint
from pygan.cli._common import EXIT_INTERRUPTED, EXIT_OK, UsageError, fill, note
from pygan.config import ConfigError, Run, RunConfig, load_config, read_toml
from pygan.registry import CALLBACKS


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``train`` command to the ``pygan`` parser's subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    train = commands.add_parser(
        "train",
        parents=parents,
        formatter_class=formatter,
        help="train from a TOML config",
        description=fill(
            "Train the GAN a TOML config describes, into a run directory holding "
            "config.toml (the config as run, overrides applied), checkpoints/, samples/ (one grid "
            "per saved epoch, same noise each time), metrics.csv, losses.png and progress.gif."
        ),
        epilog="examples:\n"
        "  pygan train examples/mnist_mlp.toml\n"
        "  pygan train examples/mnist_mlp.toml --set trainer.epochs=5 --set optimizers.g.lr=1e-3\n"
        "  pygan train runs/mnist_mlp/config.toml --out runs/mnist_mlp --resume\n\n"
        "Ctrl-C finishes the current step, saves checkpoints/last.ckpt and exits with code 130;\n"
        "--resume continues from there. A second Ctrl-C stops at once.",
    )
    train.add_argument("config", metavar="CONFIG.toml", help="the run's TOML config")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. trainer.epochs=5, generator.hidden=[128,256], "
        "callbacks.ema.decay=0.99 (values are TOML literals; bare words are strings); repeatable",
    )
    train.add_argument("--out", metavar="DIR", help="the run directory (default: runs/<config name>)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    train.add_argument(
        "--dry-run", action="store_true", help="check the config and build everything, print the config, do not train"
    )
    train.set_defaults(handler=_train)


def _callback_names(run: Run, config: RunConfig) -> str:
    """The run's callbacks by registry name, those the config does not list marked as added."""
    names = {CALLBACKS.get(name): name for name in CALLBACKS.names()}
    listed = {c.name for c in config.callbacks}
    shown = []
    for callback in run.trainer.callbacks:
        name = names.get(type(callback), type(callback).__name__)
        shown.append(name if name in listed else f"{name} (added)")
    return ", ".join(shown) or "none"


def _train(args: argparse.Namespace) -> int:
    config_path = Path(args.config)
    run_dir = Path(args.out) if args.out else Path("runs") / config_path.stem
    saved = run_dir / "config.toml"
    if args.resume and not saved.exists():
        raise UsageError(f"--resume: {run_dir} holds no run to resume (no {saved}).")
    config = _with_seed(load_config(config_path, args.set), saved if args.resume else None)
    run = config.build(run_dir)
    writes = run.trainer.is_global_zero  # under torchrun, one process writes the files
    if args.dry_run:
        print(config.to_toml(), end="")
        note(f"the config is valid; {len(run.data)} images; the run would write into {run_dir}")
        note(f"callbacks, in the order they would run: {_callback_names(run, config)}")
        return EXIT_OK
    if saved.exists() and not args.resume and writes:
        raise UsageError(
            f"{run_dir} already holds a run ({saved}). Continue it with --resume, or train into "
            f"another directory with --out DIR."
        )
    resume_from = _checkpoint_to_resume(run) if args.resume else None
    if resume_from is not None and _completed_epochs(resume_from) >= config.trainer.epochs:
        note(
            f"nothing to train: {resume_from} already has all {config.trainer.epochs} epochs. "
            f"Train further with --set trainer.epochs=N."
        )
        return EXIT_OK
    if writes:
        run_dir.mkdir(parents=True, exist_ok=True)
        saved.write_text(
            f"# The config pygan {__version__} ran, overrides applied. Repeat the run with:\n"
            f"#   pygan train {shlex.quote(str(saved))} --out NEW_DIR\n\n{config.to_toml()}"
        )
        note(
            f"training {config.generator.name} vs {config.discriminator.name} "
            f"({config.loss.name} loss) on {len(run.data)} images of {config.data.name} for "
            f"{config.trainer.epochs} epochs on {run.trainer.device}, seed {config.trainer.seed}; "
            f"run directory {run_dir}" + (f", resuming from {resume_from}" if resume_from else "")
        )
    grid = next((cb for cb in run.trainer.callbacks if isinstance(cb, SampleGrid)), None)
    if grid is not None and grid.gif is None:
        grid.gif = run_dir / "progress.gif"  # the grid writes it when training ends
    started = time.perf_counter()
    try:
        history = run.fit(resume_from=resume_from)
    except KeyboardInterrupt:
        if writes:
            _report_interrupt(run, saved)
        return EXIT_INTERRUPTED
    if writes:
        last = history[-1] if len(history) else {}
        figures = ", ".join(f"{k} {last[k]:.3f}" for k in ("d_loss", "g_loss", "d_real", "d_fake") if k in last)
        elapsed = f"{time.perf_counter() - started:.1f}s" + (" since resuming" if resume_from else "")
        written = sorted(p.name + ("/" if p.is_dir() else "") for p in run_dir.iterdir() if not p.name.startswith("."))
        epochs = run.trainer.completed_epochs  # fewer than configured when a time limit ended the run
        print(f"Trained {epochs} epoch{'s' if epochs != 1 else ''} ({elapsed}): {figures}.")
        print(f"Wrote {run_dir}: {', '.join(written)}")
        best = run.checkpoint_callback
        if best is not None and best.best_epoch is not None:
            print(f"Best {best.monitor} {best.best_score:.4g} at epoch {best.best_epoch}: {best.best_path}")
    return EXIT_OK


def _with_seed(config: RunConfig, previous_run: Path | None) -> RunConfig:
    """The config with a seed: its own, the resumed run's, or a random one recorded with the run."""
    if config.trainer.seed is not None:
        return config
    previous = read_toml(previous_run).get("trainer", {}).get("seed") if previous_run else None
    if isinstance(previous, int):
        return config.with_seed(previous)
    if dist.world_size() > 1:
        raise ConfigError(
            "trainer.seed is missing: under torchrun every process must draw the same data order, "
            "so give one (--set trainer.seed=0).",
            "trainer.seed",
        )
    return config.with_seed(random.randrange(2**31))


def _checkpoint_to_resume(run: Run) -> Path:
    last = run.last_checkpoint
    if last is None or not last.is_file():
        raise UsageError(f"--resume: no checkpoint to resume from in {run.run_dir} (looked for {last}).")
    return last


def _completed_epochs(checkpoint: Path) -> int:
    try:
        return int(load_checkpoint(checkpoint)["epoch"])
    except CheckpointError as error:
        raise UsageError(f"--resume: {error}") from None


def _report_interrupt(run: Run, saved: Path) -> None:
    trainer, last = run.trainer, run.last_checkpoint
    where = f"Interrupted in epoch {trainer.epoch} (step {trainer.global_step})"
    if last is None or not last.is_file():
        print(f"{where}; no checkpoint was saved, so there is nothing to resume.", file=sys.stderr)
        return
    command = f"pygan train {shlex.quote(str(saved))} --out {shlex.quote(str(run.run_dir))} --resume"
    print(f"{where}; saved {last}. Resume with: {command}", file=sys.stderr)
