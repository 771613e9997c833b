"""The ``pygan list`` command: the parts configs can name, plugins included."""

from __future__ import annotations

import argparse
import inspect
import re
from typing import Any

from pygan.cli._common import EXIT_OK, fill
from pygan.config import OPTIMIZERS
from pygan.registry import CALLBACKS, DATASETS, DISCRIMINATORS, GENERATORS, LOSSES, TERMS

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


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``list`` command to the ``pygan`` parser's subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    listing = commands.add_parser(
        "list",
        parents=parents,
        help="list the parts configs can name, plugins included",
        description=fill(
            "List the registered names configs can use, with the first line of each "
            "docstring; parts from plugins show the entry point they came from."
        ),
    )
    listing.add_argument("kind", nargs="?", choices=list(KINDS), help="one kind only (default: all)")
    listing.set_defaults(handler=_list)


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
