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
    from pygan.metrics.classifier import DEFAULT_JUDGES

    formatter = argparse.RawDescriptionHelpFormatter
    evaluate = commands.add_parser(
        "evaluate",
        parents=parents,
        formatter_class=formatter,
        help="quality figures of a checkpoint's generator",
        description=fill(
            "Compute the quality figures of pygan.metrics for the generator in a "
            "checkpoint, in the features of an ensemble of judges (classifiers trained on "
            "the reference data, then cached); print them as a table, with the mean over "
            "the judges, their spread and each judge's value, and write them as JSON. A "
            "conditional generator is asked for every class in turn and gets its "
            "conditional accuracy and intra-class Fréchet distance too."
        ),
        epilog="DATA is a dataset as in a config's [data] table: a name, or a TOML inline table.\n"
        "A judge's name is its architecture (cnn, mlp) and its seed: cnn-0, mlp-1, ...\n\n"
        "examples:\n"
        "  pygan evaluate runs/mnist_mlp/checkpoints/last.ckpt --n 10000 --json eval.json\n"
        "  pygan evaluate last.ckpt --reference mnist_5k \\\n"
        "      --parzen-test '{name = \"mnist\", root = \"data\", train = false}'\n"
        "  pygan evaluate last.ckpt --judges cnn-3       # a judge held out of choosing\n"
        "  pygan evaluate last.ckpt --n 5000 --draws 6   # the distance over six draws of noise\n"
        "  pygan evaluate fashion.ckpt --reference-data fashion_mnist",
    )
    add_checkpoint_arguments(evaluate)
    evaluate.add_argument("--n", type=positive_int, default=10000, help="generated images to judge (default: 10000)")
    evaluate.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise (default: 0)")
    evaluate.add_argument(
        "--draws",
        type=positive_int,
        default=1,
        help="draws of latent vectors (seeds SEED to SEED+N-1) to average the Fréchet distance over; "
        "its interval is then the lowest and highest draw (default: 1; one draw moves it by up to ±25%%)",
    )
    evaluate.add_argument(
        "--real", metavar="DATA", help="the real images to compare against (default: the reference data)"
    )
    evaluate.add_argument(
        "--reference", metavar="DATA", help="real images to measure the same way, as a yardstick"
    )
    evaluate.add_argument(
        "--reference-data",
        metavar="DATA",
        help="the labelled dataset the judges are trained on (its training split; default: mnist_5k)",
    )
    evaluate.add_argument(
        "--judges",
        nargs="+",
        type=_judge_name,
        metavar="NAME",
        help=f"the judges (default: {' '.join(DEFAULT_JUDGES)})",
    )
    evaluate.add_argument(
        "--bootstrap",
        type=non_negative_int,
        default=200,
        help="resamples for the Fréchet distance's 95%% interval; 0 skips it (default: 200)",
    )
    evaluate.add_argument(
        "--parzen-test", metavar="DATA", help="held-out images for the Parzen log-likelihood (skipped without)"
    )
    evaluate.add_argument(
        "--batch-size", type=positive_int, default=1000, help="images per pass (default: 1000)"
    )
    evaluate.add_argument("--json", metavar="FILE", help="where to write the JSON (default: CHECKPOINT.metrics.json)")
    evaluate.set_defaults(handler=_evaluate)


def _judge_name(text: str) -> str:
    from pygan.metrics.classifier import parse_judge_name

    try:
        parse_judge_name(text)
    except (KeyError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error).strip('"')) from None
    return text


def _evaluate(args: argparse.Namespace) -> int:
    try:
        from pygan.metrics import evaluate_generator
    except ImportError as error:
        raise RuntimeError(f"pygan evaluate is not available: {error}") from None
    datasets = {
        key: DataConfig.from_value(parse_value(text), f"--{key.replace('_', '-')}")
        for key in ("real", "reference", "parzen_test", "reference_data")
        if (text := getattr(args, key)) is not None
    }
    generator = load_checkpoint_generator(args)
    judge_data = datasets.pop("reference_data", None)
    data = {key: spec.build(f"--{key.replace('_', '-')}") for key, spec in datasets.items()}
    results: dict[str, Any] = evaluate_generator(
        generator,
        n=args.n,
        seed=args.seed,
        draws=args.draws,
        batch_size=args.batch_size,
        judges=args.judges,
        data=None if judge_data is None else judge_data.to_dict(),
        bootstrap=args.bootstrap,
        **data,
    )
    print(_table(results))
    out = Path(args.json) if args.json else Path(args.checkpoint).with_suffix(".metrics.json")
    record = {"checkpoint": str(args.checkpoint), **results}
    out.write_text(json.dumps(record, indent=2, default=lambda v: v.tolist()) + "\n")
    print(f"Wrote {out}.")
    return EXIT_OK


_SPREAD = ("_min", "_max")
_INTERVAL = ("_low", "_high")


def _table(results: dict[str, Any]) -> str:
    """The figures as a table, one row each: the generated images' value (the mean over the
    judges), the judges' spread (min-max) and the Fréchet distance's 95% interval when
    measured (over several draws: the lowest and highest draw), each judge's value when there
    are several, and the reference images' value."""
    prefix = "reference_"
    judges = results.get("judges", [])
    judges = judges if len(judges) > 1 else []
    suffixes = _SPREAD + _INTERVAL
    rows_of = [
        key
        for key in results
        if key != "judges" and not key.startswith(prefix) and "/" not in key
        and not any(key.endswith(end) and key[: -len(end)] in results for end in suffixes)
    ]
    columns = [("generated", lambda key: _value(results, key))]
    if any(key + "_min" in results for key in rows_of):
        columns.append(("judges min-max", lambda key: _pair(results, key, _SPREAD)))
    if any(key + "_low" in results for key in rows_of):
        title = "lowest-highest draw" if results.get("draws", 1) > 1 else "95% interval"
        columns.append((title, lambda key: _pair(results, key, _INTERVAL)))
    for judge in judges:
        columns.append((judge, lambda key, judge=judge: _value(results, f"{key}/{judge}", lists=False)))
    if any(prefix + key in results for key in rows_of):
        columns.append(("reference", lambda key: _value(results, prefix + key)))
    rows = [["figure", *(title for title, _ in columns)]]
    rows += [[key, *(cell(key) for _, cell in columns)] for key in rows_of]
    scalar_rows = [row for row, key in zip(rows, ["", *rows_of]) if not isinstance(results.get(key), (list, tuple))]
    widths = [max(len(row[i]) for row in scalar_rows) for i in range(len(rows[0]))]  # lists overflow
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def _value(results: dict[str, Any], key: str, *, lists: bool = True) -> str:
    value = results.get(key)
    if value is None or (not lists and isinstance(value, (list, tuple))):
        return ""
    return _cell(value)


def _pair(results: dict[str, Any], key: str, ends: tuple[str, str]) -> str:
    low, high = (results.get(key + end) for end in ends)
    return "" if low is None or high is None else f"{_cell(low)}-{_cell(high)}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        return " ".join(_cell(v) for v in value)
    return str(value)
