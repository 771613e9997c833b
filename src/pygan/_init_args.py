"""Remember the arguments a part was built with, so a checkpoint can rebuild it by name."""

from __future__ import annotations

import abc
import inspect
from typing import Any

__all__ = ["RecordsInitArgs", "init_args", "plain_value_problem"]

_ATTR = "_pygan_init_args"


class RecordsInitArgs(abc.ABCMeta):
    """Metaclass that stores the keyword arguments of the outermost constructor call.

    ``MLPGenerator(64, hidden=(128,))`` records ``{"latent_dim": 64, "hidden": (128,)}``:
    positional arguments are bound to their parameter names, defaults are left out, and
    ``**kwargs`` are flattened. :func:`init_args` reads them back.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        obj = super().__call__(*args, **kwargs)
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
        except TypeError:  # a signature inspect cannot bind; construction already succeeded
            return obj
        arguments = dict(bound.arguments)
        arguments.pop(next(iter(arguments)))  # self
        recorded: dict[str, Any] = {}
        params = inspect.signature(cls.__init__).parameters
        for name, value in arguments.items():
            kind = params[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                recorded.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                recorded[name] = list(value)
            else:
                recorded[name] = value
        object.__setattr__(obj, _ATTR, recorded)
        return obj


def init_args(obj: Any) -> dict[str, Any]:
    """Return the keyword arguments ``obj`` was constructed with (empty if unknown)."""
    return dict(getattr(obj, _ATTR, {}))


def plain_value_problem(value: Any, where: str = "value") -> str | None:
    """Say why ``value`` cannot be stored in a safe checkpoint, or return ``None`` if it can.

    Plain values are ``None``, bools, numbers, strings, and lists, tuples and string-keyed
    dicts of plain values: what ``torch.load(weights_only=True)`` reads back.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            problem = plain_value_problem(item, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has a non-string key {key!r}"
            problem = plain_value_problem(item, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    return f"{where} is a {type(value).__name__} ({value!r:.60}), not a plain value"
