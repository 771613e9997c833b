"""What the ``pygan`` commands share: exit codes, the usage error, argument types and
messages."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from pygan._device import resolve_device
from pygan.checkpoint import CheckpointError, load_generator

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
]

EXIT_OK = 0
"""Exit code of a command that succeeded."""
EXIT_FAILURE = 1
"""Exit code of a run that failed while working (a NaN loss, an unwritable disk, ...)."""
EXIT_USAGE = 2
"""Exit code of a usage or config error, found before any work."""
EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT); the run's last checkpoint can be resumed."""


class UsageError(Exception):
    """The command was used wrongly (exit code 2); the message says how to use it."""


def load_checkpoint_generator(args: argparse.Namespace) -> Any:
    """The checkpoint's generator; an unreadable checkpoint is a usage error."""
    try:
        device = resolve_device(args.device)
        return load_generator(args.checkpoint, ema=not args.no_ema, device=device)
    except (CheckpointError, ValueError) as error:
        raise UsageError(str(error)) from error



def add_checkpoint_arguments(parser: argparse.ArgumentParser, *, device: bool = True) -> None:
    """The arguments of every command that reads a generator from a checkpoint."""
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint file written by pygan")
    parser.add_argument("--no-ema", action="store_true", help="use the trained weights, not the EMA average")
    if device:
        parser.add_argument("--device", default="auto", help="where to generate: auto, cpu, cuda, ... (default: auto)")


def positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
    return value


def fill(text: str) -> str:
    return textwrap.fill(text, width=88)


def note(message: str) -> None:
    print(f"pygan: {message}", file=sys.stderr)


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
