"""Argument checks shared by the public constructors: each names the argument, rule and value."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "check_bool",
    "check_fraction",
    "check_int",
    "check_path",
    "check_positive_float",
    "check_shape",
    "check_widths",
]


def check_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected {name} to be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"Expected {name} to be an integer >= {minimum}, got {value}.")
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is ``True`` or ``False``, else raise (``"no"`` is not false)."""
    if not isinstance(value, bool):
        raise TypeError(f"Expected {name} to be True or False, got {value!r}.")
    return value


def check_path(name: str, value: Any) -> Path:
    """Return ``value`` as a :class:`~pathlib.Path` if it is a non-empty str or path, else raise."""
    if not isinstance(value, (str, os.PathLike)) or value == "":
        raise TypeError(f"Expected {name} to be a file or directory path (a non-empty str or Path), got {value!r}.")
    return Path(value)


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected {name} to be a positive number, got {value!r}.")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"Expected {name} to be a positive finite number, got {value}.")
    return float(value)


def check_nonnegative_float(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected {name} to be a number >= 0, got {value!r}.")
    if not 0 <= value < float("inf"):
        raise ValueError(f"Expected {name} to be a finite number >= 0, got {value}.")
    return float(value)


def check_fraction(name: str, value: Any, *, high_inclusive: bool = False) -> float:
    """Return ``value`` as a float in [0, 1) (or [0, 1] with ``high_inclusive``), else raise."""
    interval = "[0, 1]" if high_inclusive else "[0, 1)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected {name} to be a number in {interval}, got {value!r}.")
    ok = 0 <= value <= 1 if high_inclusive else 0 <= value < 1
    if not ok:
        raise ValueError(f"Expected {name} to be a number in {interval}, got {value}.")
    return float(value)


def check_shape(name: str, value: Any) -> tuple[int, ...]:
    """Return ``value`` as a tuple of positive ints (an image shape such as (1, 28, 28))."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) == 0:
        raise TypeError(
            f"Expected {name} to be a non-empty sequence of positive integers such as "
            f"(1, 28, 28), got {value!r}."
        )
    return tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(value))


def check_widths(name: str, value: Any) -> tuple[int, ...]:
    """Return hidden-layer widths as a tuple of positive ints (may be empty)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"Expected {name} to be a sequence of positive integers such as (256, 512), "
            f"got {value!r}."
        )
    return tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(value))
