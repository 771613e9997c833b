"""The ``pygan`` command: train from a TOML config, sample and evaluate checkpoints, list parts.

::

    pygan train CONFIG.toml [--set section.key=value ...] [--out DIR] [--resume]
    pygan sample CHECKPOINT [-n 64] [-o grid.png] [--seed S] [--format png|pt|npy] [--labels 7|0,3,5|all]
    pygan evaluate CHECKPOINT [--n 10000] [--json FILE]
    pygan list [generators|discriminators|losses|terms|callbacks|datasets|optimizers]

Exit codes: 0 on success, 1 when something fails while running, 2 for a usage or config
error, 130 when Ctrl-C stopped training (after saving a checkpoint to resume from). Errors are
one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from pygan._version import __version__
from pygan.cli import _evaluate, _list, _sample, _train
from pygan.cli._common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    fill,
    one_line,
)
from pygan.cli._list import KINDS
from pygan.config import ConfigError

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pygan`` command."""
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error"
    )
    parser = argparse.ArgumentParser(
        prog="pygan",
        description=fill("Train GANs from TOML configs, sample and evaluate checkpoints, list the parts."),
        epilog="Exit codes: 0 success, 1 failure while running, 2 usage or config error, 130 Ctrl-C.\n"
        "Run 'pygan COMMAND --help' for the options of a command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[debug],
    )
    parser.add_argument("--version", action="version", version=f"pygan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (_train, _sample, _evaluate, _list):
        command.add_parser(commands, [debug])
    return parser


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
        print(f"pygan: error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (run with --debug for the traceback)"
        print(f"pygan: error: {type(error).__name__}: {one_line(error)}{hint}", file=sys.stderr)
        return EXIT_FAILURE

