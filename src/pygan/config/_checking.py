"""Checking config values against what takes them: signatures, type hints, allowed keys.

Every section is checked by the same rule: its keys are the keyword parameters of what it
builds (a registered part's constructor, an optimizer, the Trainer and its ``fit``), and each
value must fit the parameter's type hint.
"""

from __future__ import annotations

import collections.abc
import inspect
import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from pygan.registry import UnknownNameError

__all__ = [
    "ARRAY_SECTIONS",
    "SECTIONS",
    "ConfigError",
    "Signature",
    "check_keys",
    "check_kwargs",
    "check_table",
    "check_value",
    "construct",
    "describe_hint",
    "is_path_hint",
    "matches",
]

SECTIONS = ("generator", "discriminator", "loss", "terms", "data", "optimizers", "trainer", "callbacks")
"""The sections a config may have."""
ARRAY_SECTIONS = ("terms", "callbacks")
"""The sections that are arrays of tables (``[[callbacks]]``), one table a part."""


class ConfigError(ValueError):
    """A config is invalid. The message names the key path, the value and what is allowed.

    Attributes:
        key: The key path at fault (``"trainer.batch_size"``), or ``None`` for the whole file.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        self.key = key
        super().__init__(message)


def check_table(key: str, value: Any, what: str) -> dict[str, Any]:
    """Return ``value`` if it is a table, else raise a :class:`ConfigError` expecting ``what``."""
    if not isinstance(value, dict):
        raise ConfigError(f"{key} = {value!r}: expected {what}.", key)
    return value


def check_keys(section: str, table: Mapping[str, Any], allowed: Iterable[str], kind: str) -> None:
    """Raise a :class:`ConfigError` for the first key of ``table`` not in ``allowed``."""
    allowed = sorted(allowed)
    for key in table:
        if key not in allowed:
            path = f"{section}.{key}" if section else key
            raise ConfigError(f"{path}: {UnknownNameError(kind, key, allowed)}", path)


def check_value(key: str, check: Callable[[str, Any], Any], value: Any) -> Any:
    """Run a ``pygan._validation`` style ``check(key, value)``; its error becomes a :class:`ConfigError`."""
    try:
        return check(key, value)
    except (TypeError, ValueError) as error:
        raise ConfigError(str(error), key) from None


def construct(key: str, make: Callable[[], Any]) -> Any:
    """Call ``make``; report what a constructor refused as a :class:`ConfigError` on ``key``."""
    try:
        return make()
    except ConfigError:
        raise
    except (TypeError, ValueError, KeyError, OSError, ImportError, RuntimeError) as error:
        raise ConfigError(f"{key}: {error}", key) from error


# --------------------------------------------------------------------------- signatures
_KEYWORD = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@dataclass(frozen=True)
class Signature:
    """What one or more factories take by keyword.

    Attributes:
        parameters: The keyword parameters, by name.
        hints: The type hints of the parameters whose hints can be resolved. A hint naming
            what only type checkers import (under ``TYPE_CHECKING``) is left out: that
            parameter's values are left to the constructor, and the others are still checked.
        takes_any: Whether a factory takes ``**kwargs``.
    """

    parameters: dict[str, inspect.Parameter]
    hints: dict[str, Any]
    takes_any: bool

    @classmethod
    def of(cls, *factories: Any) -> Signature:
        """The keyword parameters of classes' constructors or of functions, merged in order.

        A function whose first parameter is ``self`` (a method, given as ``Class.method``) is
        read without it.

        Example:
            >>> def make(width: int, *, label: "NotImported" = "x", **rest: float) -> None: ...
            >>> signature = Signature.of(make)
            >>> sorted(signature.parameters), signature.hints, signature.takes_any
            (['label', 'width'], {'width': <class 'int'>}, True)
        """
        parameters: dict[str, inspect.Parameter] = {}
        hints: dict[str, Any] = {}
        takes_any = False
        for factory in factories:
            target = factory.__init__ if isinstance(factory, type) else factory
            if target is object.__init__:
                continue
            params = list(inspect.signature(target).parameters.values())
            if params and (isinstance(factory, type) or params[0].name == "self"):
                params = params[1:]
            namespace = getattr(inspect.unwrap(target), "__globals__", {})
            for param in params:
                takes_any = takes_any or param.kind is inspect.Parameter.VAR_KEYWORD
                if param.kind not in _KEYWORD:
                    continue
                parameters[param.name] = param
                hint = _resolve(param.annotation, namespace)
                if hint is not None:
                    hints[param.name] = hint
        return cls(parameters, hints, takes_any)


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    """The type an annotation names (in the module ``namespace``), or ``None`` if it names
    something that cannot be imported at run time."""
    if annotation is inspect.Parameter.empty:
        return None
    holder = types.SimpleNamespace(__annotations__={"hint": annotation})
    try:
        return typing.get_type_hints(holder, globalns=namespace)["hint"]
    except (NameError, AttributeError, TypeError, SyntaxError):
        return None


def check_kwargs(
    section: str,
    what: str,
    signature: Signature,
    kwargs: Mapping[str, Any],
    *,
    provided: Sequence[str] = (),
    elsewhere: Mapping[str, str] | None = None,
) -> None:
    """Check a table of arguments against a :class:`Signature`.

    Args:
        section: The table's key path (``"generator"``, ``"callbacks[0]"``).
        what: What takes the arguments, for messages (``"mlp generator"``).
        signature: What it takes.
        kwargs: The arguments.
        provided: Parameters that building fills in: they may be given, and need not be.
        elsewhere: Parameters that another part of the config sets, with where (``{"g_lr":
            "[optimizers.g] lr"}``): naming one here is an error that says where it belongs.

    Raises:
        ConfigError: An unknown key, a value that does not fit its type hint, or a missing
            argument; the message names the key path and what is allowed.

    Example:
        >>> def make(width: int, depth: int = 2) -> None: ...
        >>> check_kwargs("model", "toy model", Signature.of(make), {"width": 8, "dept": 3})
        Traceback (most recent call last):
        ...
        pygan.config.ConfigError: model.dept: Unknown toy model argument 'dept'. Did you mean 'depth'? Available: depth, width.
    """
    elsewhere = elsewhere or {}
    for key, value in kwargs.items():
        path = f"{section}.{key}"
        if key in elsewhere:
            raise ConfigError(f"{path}: {key} is set by {elsewhere[key]}, not in [{section}].", path)
        if key not in signature.parameters:
            if signature.takes_any:
                continue
            allowed = sorted(set(signature.parameters) - set(elsewhere))
            raise ConfigError(f"{path}: {UnknownNameError(f'{what} argument', key, allowed)}", path)
        hint = signature.hints.get(key)
        if hint is not None and not matches(value, hint):
            raise ConfigError(f"{path} = {value!r}: expected {describe_hint(hint)}.", path)
    for name, param in signature.parameters.items():
        if param.default is inspect.Parameter.empty and name not in (*kwargs, *provided, *elsewhere):
            hint = signature.hints.get(name)
            kind = f" ({describe_hint(hint)})" if hint is not None else ""
            raise ConfigError(f"{section}.{name} is missing: the {what} needs it{kind}.", f"{section}.{name}")


# --------------------------------------------------------------------------- type hints
_SEQUENCES = (list, tuple, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection)


def matches(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits a type hint.

    A class other than the TOML types only matches its instances; hints that are not classes
    are left to the constructor.

    Example:
        >>> matches([16, 32], collections.abc.Sequence[int]), matches({"code": "ten"}, dict[str, int])
        (True, False)
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int or hint is float:
        allowed = int if hint is int else (int, float)
        return isinstance(value, allowed) and not isinstance(value, bool)
    if hint is str or is_path_hint(hint):
        return isinstance(value, str)
    if (origin or hint) in _SEQUENCES:
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(matches(v, a) for v, a in zip(value, args))
        return all(matches(v, args[0]) for v in value) if args else True
    if (origin or hint) in (dict, collections.abc.Mapping):
        if not isinstance(value, dict):
            return False
        return all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items()) if args else True
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def is_path_hint(hint: Any) -> bool:
    """Whether a type hint names a path (``os.PathLike``, ``pathlib.Path``, or a union with one)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(is_path_hint(arg) for arg in typing.get_args(hint))
    return (typing.get_origin(hint) or hint) is os.PathLike or (isinstance(hint, type) and issubclass(hint, PurePath))


def describe_hint(hint: Any) -> str:
    """A type hint as a message shows it: ``Sequence[int]``, ``Tensor | str | None``,
    ``one of '32', 'bf16'``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " | ".join(describe_hint(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    text = getattr(hint, "__name__", None) if typing.get_origin(hint) is None else None
    text = text or str(hint)
    return re.sub(r"\b(typing|collections\.abc|os|pathlib)\.", "", text).replace("NoneType", "None")
