"""Remember the arguments a part was built with, so a checkpoint can rebuild it by name."""

from __future__ import annotations

import abc
import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["RecordsInitArgs", "init_args", "plain_value_problem"]

_ATTR = "_pygan_init_args"


class RecordsInitArgs(abc.ABCMeta):
    """Metaclass that stores the keyword arguments of the outermost constructor call.

    ``MLPGenerator(64, hidden=(128,))`` records ``{"latent_dim": 64, "hidden": (128,)}``:
    positional arguments are bound to their parameter names, defaults are left out, and
    ``**kwargs`` are flattened. :func:`init_args` reads them back. A subclass whose
    ``__init__`` calls ``super().__init__(...)`` records its own arguments, once.

    Each class's ``__init__`` is wrapped (with :func:`functools.wraps`), so ``help()``,
    :func:`inspect.signature` and editors show the real constructor signature.

    Example:
        >>> class Part(metaclass=RecordsInitArgs):
        ...     def __init__(self, width, depth=2):
        ...         self.width, self.depth = width, depth
        >>> class Wide(Part):
        ...     def __init__(self, depth=3):
        ...         super().__init__(width=512, depth=depth)
        >>> init_args(Wide(depth=4)), inspect.signature(Wide)
        ({'depth': 4}, <Signature (depth=3)>)
    """

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        init = cls.__init__
        if inspect.isfunction(init) and not hasattr(init, _ATTR):  # not object.__init__, not wrapped yet
            cls.__init__ = _recording(init)  # type: ignore[misc]


def _recording(init: Callable[..., None]) -> Callable[..., None]:
    """``init``, recording its arguments when it is the outermost constructor call."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if _ATTR not in vars(self):  # an inner super().__init__ finds the outer call's record
            object.__setattr__(self, _ATTR, _bound(signature, self, args, kwargs))
        init(self, *args, **kwargs)

    setattr(__init__, _ATTR, True)
    return __init__


def _bound(signature: inspect.Signature, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a constructor call by parameter name, without ``self``; empty when
    they do not fit the signature (the call itself then raises the error)."""
    try:
        arguments = dict(signature.bind(obj, *args, **kwargs).arguments)
    except TypeError:
        return {}
    arguments.pop(next(iter(arguments)))  # self
    recorded: dict[str, Any] = {}
    for name, value in arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            recorded.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            recorded[name] = list(value)
        else:
            recorded[name] = value
    return recorded


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
