"""Reading and writing TOML, and ``--set section.key=value`` overrides."""

from __future__ import annotations

import copy
import datetime
import os
import sys
from collections.abc import Sequence
from typing import Any

import tomli_w

from pygan.config._checking import ARRAY_SECTIONS, ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["apply_overrides", "dump_toml", "parse_override", "parse_value", "read_toml", "tomllib"]

_SCALARS = (bool, int, float, str, datetime.date, datetime.time)


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file.

    Raises:
        ConfigError: The file cannot be read or is not valid TOML (the message says where).
    """
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"Cannot read the config {os.fspath(path)}: {error.strerror}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{os.fspath(path)} is not valid TOML: {error}.") from None


def dump_toml(raw: dict[str, Any]) -> str:
    """Write config data as TOML text, leaving out keys whose value is ``None`` (TOML has no null).

    Raises:
        ConfigError: A value TOML cannot hold (the message names its key path).

    Example:
        >>> print(dump_toml({"trainer": {"epochs": 3, "seed": None}, "data": {"path": "runs/🚀"}}))
        [trainer]
        epochs = 3
        <BLANKLINE>
        [data]
        path = "runs/🚀"
        <BLANKLINE>
    """
    return tomli_w.dumps(_plain(raw, ""))


def _plain(value: Any, key: str) -> Any:
    """``value`` as TOML data: tables without their ``None`` values, tuples as arrays."""
    if isinstance(value, dict):
        return {k: _plain(v, f"{key}.{k}" if key else k) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, _SCALARS):
        raise ConfigError(f"{key} = {value!r}: TOML cannot hold a {type(value).__name__}.", key)
    return value


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``"section.key=value"`` into the key path and the value.

    The value is read as a TOML literal (``3``, ``2e-4``, ``true``, ``[16, 32]``,
    ``{decay = 0.99}``, ``"text"``); anything else is taken as a plain string.

    Raises:
        ConfigError: No ``=``, or an empty key.

    Example:
        >>> parse_override("optimizers.g.lr=1e-3"), parse_override("data.name=mnist")
        ((['optimizers', 'g', 'lr'], 0.001), (['data', 'name'], 'mnist'))
        >>> parse_override("generator.hidden=[16, 32]")
        (['generator', 'hidden'], [16, 32])
    """
    key, sep, value = text.partition("=")
    path = [part.strip() for part in key.split(".")]
    if not sep or not all(path):
        raise ConfigError(
            f"--set {text!r}: expected section.key=value, e.g. --set trainer.epochs=5 or "
            f"--set optimizers.g.lr=1e-3."
        )
    return path, parse_value(value)


def parse_value(text: str) -> Any:
    """Read a command-line value as a TOML literal, or else as a plain string.

    Example:
        >>> parse_value("2e-4"), parse_value("[16, 32]"), parse_value("cuda:0")
        (0.0002, [16, 32], 'cuda:0')
        >>> parse_value('{name = "mnist", train = false}')
        {'name': 'mnist', 'train': False}
    """
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a copy of ``raw`` with each ``"section.key=value"`` override applied.

    Keys may go deeper (``optimizers.g.lr``). An item of ``callbacks`` or ``terms`` is picked
    by its index or its name (``callbacks.0.real`` or ``callbacks.label_smoothing.real``,
    ``terms.info.weight``); a name not listed adds that part. Keys that do not exist are
    added, then the whole config is checked as usual, so a misspelt key is reported with the
    allowed ones.

    Raises:
        ConfigError: An override is malformed or goes through a value that is not a table.

    Example:
        >>> raw = {"trainer": {"epochs": 30}, "callbacks": [{"name": "ema"}]}
        >>> apply_overrides(raw, ["trainer.epochs=1", "callbacks.ema.decay=0.9", "terms.info.weight=0.1"])
        {'trainer': {'epochs': 1}, 'callbacks': [{'name': 'ema', 'decay': 0.9}], 'terms': [{'name': 'info', 'weight': 0.1}]}
    """
    raw = copy.deepcopy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node: Any = raw
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            where = ".".join(path[: depth + 1])
            if isinstance(node, list):
                index = _list_index(node, key, f"--set {text!r}")
                if last:
                    if isinstance(value, dict) and not key.isdigit():
                        value = {"name": key, **value}
                    node[index] = value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[key] = value
                else:
                    node = node.setdefault(key, [] if node is raw and key in ARRAY_SECTIONS else {})
            else:
                above = ".".join(path[:depth])
                raise ConfigError(
                    f"--set {text!r}: {above} is {node!r}, not a table, so it has no key {key!r}.",
                    where,
                )
    return raw


def _list_index(items: list[Any], key: str, context: str) -> int:
    if key.isdigit():
        if int(key) >= len(items):
            raise ConfigError(f"{context}: there are only {len(items)} items, so no item {key}.")
        return int(key)
    named = [i for i, item in enumerate(items) if isinstance(item, dict) and item.get("name") == key]
    if len(named) > 1:
        raise ConfigError(f"{context}: {len(named)} items are named {key!r}; pick one by index.")
    if named:
        return named[0]
    items.append({"name": key})
    return len(items) - 1
