"""The ``pygan`` command: train from a TOML config, sample and evaluate checkpoints, list parts.

::

    pygan train CONFIG.toml [--set section.key=value ...] [--out DIR] [--resume]
    pygan sample CHECKPOINT [-n 64] [-o grid.png] [--seed S] [--format png|pt|npy]
    pygan evaluate CHECKPOINT [--n 10000] [--json FILE]
    pygan list [generators|discriminators|losses|terms|callbacks|datasets|optimizers]

Exit codes: 0 on success, 1 when something fails while running, 2 for a usage or config
error, 130 when Ctrl-C stopped training (after saving a checkpoint to resume from). Errors are
one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import random
import re
import shlex
import sys
import textwrap
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from pygan import __version__
from pygan.checkpoint import CheckpointError, load_checkpoint, load_generator
from pygan import _distributed as dist
from pygan.callbacks import SampleGrid
from pygan.config import OPTIMIZERS, ConfigError, DataConfig, Run, RunConfig, load_config, parse_value, read_toml
from pygan.registry import CALLBACKS, DATASETS, DISCRIMINATORS, GENERATORS, LOSSES, TERMS
from pygan.trainer import resolve_device

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "KINDS",
    "UsageError",
    "build_parser",
    "main",
]

EXIT_OK = 0
"""Exit code of a command that succeeded."""
EXIT_FAILURE = 1
"""Exit code of a run that failed while working (a NaN loss, an unwritable disk, ...)."""
EXIT_USAGE = 2
"""Exit code of a usage or config error, found before any work."""
EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT); the run's last checkpoint can be resumed."""

KINDS: dict[str, Any] = {
    "generators": GENERATORS,
    "discriminators": DISCRIMINATORS,
    "losses": LOSSES,
    "terms": TERMS,
    "callbacks": CALLBACKS,
    "datasets": DATASETS,
    "optimizers": OPTIMIZERS,
}
"""What ``pygan list`` shows: the registries, and the optimizer names configs accept."""

FORMATS = ("png", "pt", "npy")


class UsageError(Exception):
    """The command was used wrongly (exit code 2); the message says how to use it."""


# --------------------------------------------------------------------------- train
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
        _note(f"the config is valid; {len(run.data)} images; the run would write into {run_dir}")
        return EXIT_OK
    if saved.exists() and not args.resume and writes:
        raise UsageError(
            f"{run_dir} already holds a run ({saved}). Continue it with --resume, or train into "
            f"another directory with --out DIR."
        )
    resume_from = _checkpoint_to_resume(run) if args.resume else None
    if resume_from is not None and _completed_epochs(resume_from) >= config.trainer.epochs:
        _note(
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
        _note(
            f"training {config.generator.name} vs {config.discriminator.name} "
            f"({config.loss.name} loss) on {len(run.data)} images of {config.data.name} for "
            f"{config.trainer.epochs} epochs on {run.trainer.device}, seed {config.trainer.seed}; "
            f"run directory {run_dir}" + (f", resuming from {resume_from}" if resume_from else "")
        )
    started = time.perf_counter()
    try:
        history = run.fit(resume_from=resume_from)
    except KeyboardInterrupt:
        if writes:
            _report_interrupt(run, saved)
        return EXIT_INTERRUPTED
    if writes:
        _write_progress_gif(run)
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


def _write_progress_gif(run: Run) -> Path | None:
    """Join the sample grids, in epoch order, into ``progress.gif`` in the run directory."""
    grids = [cb for cb in run.trainer.callbacks if isinstance(cb, SampleGrid)]
    frames = sorted(grids[0].dirpath.glob("*.png")) if grids else []
    if not frames:
        return None
    from PIL import Image

    images = [Image.open(path).convert("RGB") for path in frames]
    path = run.run_dir / "progress.gif"
    durations = [400] * (len(images) - 1) + [2000]  # linger on the last grid
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


# --------------------------------------------------------------------------- export
def _export(args: argparse.Namespace) -> int:
    from pygan.export import export_generator

    try:
        weights = export_generator(args.checkpoint, args.output, ema=not args.no_ema)
    except (CheckpointError, ValueError, ImportError) as error:
        raise UsageError(str(error)) from error
    print(f"Wrote the generator's weights to {weights} and its config to {weights.with_suffix('.json')}.")
    return EXIT_OK


# --------------------------------------------------------------------------- sample
def _sample(args: argparse.Namespace) -> int:
    output, fmt = _output_and_format(args.output, args.format)
    generator = _load_generator(args)
    rng = torch.Generator()
    if args.seed is not None:
        rng.manual_seed(args.seed)
    else:
        rng.seed()
    z = generator.sample_latent(args.n, generator=rng)
    images = torch.cat([generator.sample(len(chunk), z=chunk).float().cpu() for chunk in z.split(1024)])
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "png":
        from torchvision.utils import save_image

        nrow = args.nrow or math.ceil(math.sqrt(args.n))
        save_image(images, output, nrow=nrow, normalize=True, value_range=(-1, 1))
    elif fmt == "pt":
        torch.save(images, output)
    else:
        import numpy as np

        np.save(output, images.numpy())
    shape = "x".join(map(str, images.shape[1:]))
    print(f"Wrote {args.n} images ({shape}, {'a grid' if fmt == 'png' else 'values in [-1, 1]'}) to {output}.")
    return EXIT_OK


def _load_generator(args: argparse.Namespace) -> Any:
    """The checkpoint's generator; an unreadable checkpoint is a usage error."""
    try:
        device = resolve_device(args.device)
        return load_generator(args.checkpoint, ema=not args.no_ema, device=device)
    except (CheckpointError, ValueError) as error:
        raise UsageError(str(error)) from error


def _output_and_format(output: str | None, fmt: str | None) -> tuple[Path, str]:
    if output is None:
        fmt = fmt or "png"
        return Path(f"samples.{fmt}"), fmt
    suffix = Path(output).suffix.lstrip(".").lower()
    if fmt is None:
        if suffix not in FORMATS:
            raise UsageError(
                f"-o {output}: cannot tell the format from the suffix {suffix!r}; name the file "
                f".png, .pt or .npy, or pass --format."
            )
        fmt = suffix
    elif suffix in FORMATS and suffix != fmt:
        raise UsageError(f"-o {output} has the suffix .{suffix} but --format is {fmt}; make them agree.")
    return Path(output), fmt


# --------------------------------------------------------------------------- evaluate
def _evaluate(args: argparse.Namespace) -> int:
    try:
        from pygan.metrics import evaluate_generator
    except ImportError as error:
        raise RuntimeError(f"pygan evaluate is not available: {error}") from None
    datasets = {
        key: DataConfig.from_value(parse_value(text), f"--{key.replace('_', '-')}")
        for key in ("real", "reference", "parzen_test")
        if (text := getattr(args, key)) is not None
    }
    generator = _load_generator(args)
    data = {key: spec.build(f"--{key.replace('_', '-')}") for key, spec in datasets.items()}
    results: dict[str, Any] = evaluate_generator(
        generator, n=args.n, seed=args.seed, batch_size=args.batch_size, **data
    )
    print(_table(results))
    out = Path(args.json) if args.json else Path(args.checkpoint).with_suffix(".metrics.json")
    record = {"checkpoint": str(args.checkpoint), **results}
    out.write_text(json.dumps(record, indent=2, default=lambda v: v.tolist()) + "\n")
    print(f"Wrote {out}.")
    return EXIT_OK


def _table(results: dict[str, Any]) -> str:
    """The figures as a table: one row each; a column for the reference digits if measured."""
    prefix = "reference_"
    keys = [k for k in results if not k.startswith(prefix)]
    rows = [["figure", "generated"] + (["reference"] if any(prefix + k in results for k in keys) else [])]
    for key in keys:
        row = [key, _cell(results[key])]
        if len(rows[0]) == 3:
            row.append(_cell(results[prefix + key]) if prefix + key in results else "")
        rows.append(row)
    scalar_rows = [row for row, key in zip(rows, ["", *keys]) if not isinstance(results.get(key), (list, tuple))]
    widths = [max(len(row[i]) for row in scalar_rows) for i in range(len(rows[0]))]  # lists overflow
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        return " ".join(_cell(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- list
def _list(args: argparse.Namespace) -> int:
    kinds = [args.kind] if args.kind else list(KINDS)
    for kind in kinds:
        names = sorted(KINDS[kind])
        if len(kinds) > 1:
            print(f"{kind}:")
        width = max(map(len, names), default=0)
        for name in names:
            registry = KINDS[kind]
            part = registry[name] if kind == "optimizers" else registry.get(name)
            source = None if kind == "optimizers" else registry.plugin_source(name)
            line = f"{'  ' if len(kinds) > 1 else ''}{name:<{width}}  {_summary(part)}"
            print(line + (f"  [plugin {source}]" if source else ""))
    return EXIT_OK


def _summary(obj: Any) -> str:
    """The first sentence of an object's docstring, on one line, without markup."""
    paragraph = " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split())
    return re.split(r"(?<=\.) (?=[A-Z])", paragraph)[0].replace("``", "")


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pygan`` command."""
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error"
    )
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="pygan",
        description=_fill(
            "Train GANs from TOML configs, sample and evaluate checkpoints, list the parts."
        ),
        epilog="Exit codes: 0 success, 1 failure while running, 2 usage or config error, 130 Ctrl-C.\n"
        "Run 'pygan COMMAND --help' for the options of a command.",
        formatter_class=formatter,
        parents=[debug],
    )
    parser.add_argument("--version", action="version", version=f"pygan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train",
        parents=[debug],
        formatter_class=formatter,
        help="train from a TOML config",
        description=_fill(
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

    sample = commands.add_parser(
        "sample",
        parents=[debug],
        formatter_class=formatter,
        help="generate images from a checkpoint",
        description=_fill(
            "Generate images with the generator saved in a checkpoint (the EMA weights "
            "when it has them), without the training code: a PNG grid, or the raw values in "
            "[-1, 1] as a torch tensor (.pt) or a NumPy array (.npy) of shape (n, C, H, W)."
        ),
        epilog="examples:\n"
        "  pygan sample runs/mnist_mlp/checkpoints/last.ckpt -n 64 -o grid.png --seed 0\n"
        "  pygan sample runs/mnist_mlp/checkpoints/last.ckpt -n 10000 -o fakes.npy",
    )
    _add_checkpoint_arguments(sample)
    sample.add_argument("-n", type=_positive_int, default=64, help="how many images (default: 64)")
    sample.add_argument("-o", "--output", metavar="FILE", help="where to write (default: samples.<format>)")
    sample.add_argument("--seed", type=_non_negative_int, help="seed of the noise, for the same images every time")
    sample.add_argument("--format", choices=FORMATS, help="png, pt or npy (default: from the suffix of -o)")
    sample.add_argument("--nrow", type=_positive_int, help="images per row of a PNG grid (default: square)")
    sample.set_defaults(handler=_sample)

    evaluate = commands.add_parser(
        "evaluate",
        parents=[debug],
        formatter_class=formatter,
        help="quality figures of a checkpoint's generator",
        description=_fill(
            "Compute the quality figures of pygan.metrics for the generator in a "
            "checkpoint; print them as a table and write them as JSON."
        ),
        epilog="DATA is a dataset as in a config's [data] table: a name, or a TOML inline table.\n\n"
        "examples:\n"
        "  pygan evaluate runs/mnist_mlp/checkpoints/last.ckpt --n 10000 --json eval.json\n"
        "  pygan evaluate last.ckpt --reference mnist_5k \\\n"
        "      --parzen-test '{name = \"mnist\", root = \"data\", train = false}'",
    )
    _add_checkpoint_arguments(evaluate)
    evaluate.add_argument("--n", type=_positive_int, default=10000, help="generated images to judge (default: 10000)")
    evaluate.add_argument("--seed", type=_non_negative_int, default=0, help="seed of the noise (default: 0)")
    evaluate.add_argument(
        "--real", metavar="DATA", help="the real digits to compare against (default: mnist_5k)"
    )
    evaluate.add_argument(
        "--reference", metavar="DATA", help="real digits to measure the same way, as a yardstick"
    )
    evaluate.add_argument(
        "--parzen-test", metavar="DATA", help="held-out digits for the Parzen log-likelihood (skipped without)"
    )
    evaluate.add_argument(
        "--batch-size", type=_positive_int, default=1000, help="images per pass (default: 1000)"
    )
    evaluate.add_argument("--json", metavar="FILE", help="where to write the JSON (default: CHECKPOINT.metrics.json)")
    evaluate.set_defaults(handler=_evaluate)

    export = commands.add_parser(
        "export",
        parents=[debug],
        formatter_class=formatter,
        help="write a checkpoint's generator as safetensors plus a JSON config",
        description=_fill(
            "Write the generator of a checkpoint (the EMA weights when it has them) as a "
            ".safetensors file, the format people share weights in, and its registry name and "
            "constructor arguments as a .json file beside it; "
            "pygan.export.load_exported_generator reads them back. Needs pip install 'pygan[export]'."
        ),
        epilog="example:\n  pygan export runs/mnist_mlp/checkpoints/last.ckpt -o generator.safetensors",
    )
    _add_checkpoint_arguments(export, device=False)
    export.add_argument("-o", "--output", metavar="FILE", required=True, help="the .safetensors file to write")
    export.set_defaults(handler=_export)

    listing = commands.add_parser(
        "list",
        parents=[debug],
        help="list the parts configs can name, plugins included",
        description=_fill(
            "List the registered names configs can use, with the first line of each "
            "docstring; parts from plugins show the entry point they came from."
        ),
    )
    listing.add_argument("kind", nargs="?", choices=list(KINDS), help="one kind only (default: all)")
    listing.set_defaults(handler=_list)
    return parser


def _add_checkpoint_arguments(parser: argparse.ArgumentParser, *, device: bool = True) -> None:
    """The arguments of every command that reads a generator from a checkpoint."""
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint file written by pygan")
    parser.add_argument("--no-ema", action="store_true", help="use the trained weights, not the EMA average")
    if device:
        parser.add_argument("--device", default="auto", help="where to generate: auto, cpu, cuda, ... (default: auto)")


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def _non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
    return value


def _fill(text: str) -> str:
    return textwrap.fill(text, width=88)


def _note(message: str) -> None:
    print(f"pygan: {message}", file=sys.stderr)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pygan`` command and return its exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on a failure while running, 2 on a usage or config error, 130 when
        Ctrl-C stopped training.

    Example:
        >>> main(["list", "losses"])  # doctest: +ELLIPSIS
        hinge           Hinge loss (Lim & Ye 2017; used by SAGAN and BigGAN).
        ...
        0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, or a usage error argparse reported
        return int(exit.code or 0)
    debug = getattr(args, "debug", False)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ConfigError, UsageError) as error:
        if debug:
            traceback.print_exc()
        print(f"pygan: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (run with --debug for the traceback)"
        print(f"pygan: error: {type(error).__name__}: {_one_line(error)}{hint}", file=sys.stderr)
        return EXIT_FAILURE

