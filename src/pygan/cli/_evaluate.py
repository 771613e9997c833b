"""The ``pygan evaluate`` command: the quality figures of a checkpoint's generator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pygan.cli._common import (
    EXIT_OK,
    add_checkpoint_arguments,
    fill,
    load_checkpoint_generator,
    non_negative_int,
    positive_int,
)
from pygan.config import DataConfig, parse_value


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``evaluate`` command to the ``pygan`` parser's subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    evaluate = commands.add_parser(
        "evaluate",
        parents=parents,
        formatter_class=formatter,
        help="quality figures of a checkpoint's generator",
        description=fill(
            "Compute the quality figures of pygan.metrics for the generator in a "
            "checkpoint; print them as a table and write them as JSON."
        ),
        epilog="DATA is a dataset as in a config's [data] table: a name, or a TOML inline table.\n\n"
        "examples:\n"
        "  pygan evaluate runs/mnist_mlp/checkpoints/last.ckpt --n 10000 --json eval.json\n"
        "  pygan evaluate last.ckpt --reference mnist_5k \\\n"
        "      --parzen-test '{name = \"mnist\", root = \"data\", train = false}'",
    )
    add_checkpoint_arguments(evaluate)
    evaluate.add_argument("--n", type=positive_int, default=10000, help="generated images to judge (default: 10000)")
    evaluate.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise (default: 0)")
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
        "--batch-size", type=positive_int, default=1000, help="images per pass (default: 1000)"
    )
    evaluate.add_argument("--json", metavar="FILE", help="where to write the JSON (default: CHECKPOINT.metrics.json)")
    evaluate.set_defaults(handler=_evaluate)


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
    generator = load_checkpoint_generator(args)
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
