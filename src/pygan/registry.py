"""Registries: find generators, discriminators, losses, callbacks and datasets by name.

Each kind of part has one :class:`Registry`. Parts register where they are defined::

    @LOSSES.register("hinge")
    class HingeLoss(GANLoss): ...

Other packages add parts without touching pygan through entry points in the groups
``pygan.generators``, ``pygan.discriminators``, ``pygan.losses``, ``pygan.terms``,
``pygan.callbacks`` and ``pygan.datasets``. Plugins load lazily, the first time a registry is asked for a name;
``import pygan`` never imports them (so that first lookup pays their import time, once). A plugin that fails to load gives a warning naming it
and the rest keeps working; ``PYGAN_DISABLE_PLUGIN_AUTOLOAD=1`` turns plugin loading off.
"""

from __future__ import annotations

import difflib
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

__all__ = [
    "CALLBACKS",
    "DATASETS",
    "DISCRIMINATORS",
    "GENERATORS",
    "LOSSES",
    "PLUGIN_AUTOLOAD_ENV",
    "Registry",
    "TERMS",
    "UnknownNameError",
]

T = TypeVar("T")

PLUGIN_AUTOLOAD_ENV = "PYGAN_DISABLE_PLUGIN_AUTOLOAD"
"""Set this environment variable to ``1`` to stop pygan loading entry-point plugins."""

_log = logging.getLogger(__name__)


class UnknownNameError(KeyError):
    """A registry was asked for a name it does not hold.

    The message names the registry, the bad name, the closest matches and every name there is.
    It subclasses :class:`KeyError`, so ``except KeyError`` still catches it.
    """

    def __init__(self, kind: str, name: str, available: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.available = available
        close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        names = ", ".join(available) if available else "(none registered)"
        self.message = f"Unknown {kind} {name!r}.{hint} Available: {names}."
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class Registry(Generic[T]):
    """A name -> part mapping for one kind of part, extensible through entry points.

    Args:
        kind: What the registry holds, singular (``"loss"``); used in error messages.
        group: The entry-point group plugins use (``"pygan.losses"``).

    Example:
        >>> reg = Registry("widget", group="pygan.test_widgets")
        >>> @reg.register("round")
        ... class Round:
        ...     def __init__(self, size=1):
        ...         self.size = size
        >>> reg.names()
        ['round']
        >>> reg.create("round", size=3).size
        3
        >>> "square" in reg
        False
        >>> reg.get("ruond")
        Traceback (most recent call last):
        ...
        pygan.registry.UnknownNameError: Unknown widget 'ruond'. Did you mean 'round'? Available: round.
    """

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, T] = {}
        self._plugins: dict[str, str] = {}
        self._plugins_loaded = False

    def __repr__(self) -> str:
        return f"Registry(kind={self.kind!r}, group={self.group!r}, names={self.names()})"

    def register(self, name: str, *, override: bool = False) -> Callable[[T], T]:
        """Return a decorator that registers its argument under ``name``.

        Args:
            name: The name configs and ``create`` use. Must be a non-empty string.
            override: Replace an existing entry of that name instead of refusing it.

        Raises:
            ValueError: ``name`` is empty, or already registered and ``override`` is false.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"A {self.kind} name must be a non-empty string, got {name!r}.")

        def decorator(obj: T) -> T:
            self.add(name, obj, override=override)
            return obj

        return decorator

    def add(self, name: str, obj: T, *, override: bool = False) -> None:
        """Register ``obj`` under ``name`` (the non-decorator form of :meth:`register`)."""
        existing = self._entries.get(name)
        if existing is not None and existing is not obj and not override:
            raise ValueError(
                f"A {self.kind} named {name!r} is already registered ({_describe(existing)}). "
                f"Choose another name, or pass override=True to replace it."
            )
        self._entries[name] = obj

    def get(self, name: str) -> T:
        """Return the part registered under ``name``.

        Raises:
            UnknownNameError: No part of that name (a ``KeyError``); the message lists the
                closest matches and all names.
        """
        self._load_plugins()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, str(name), self.names()) from None

    def create(self, name: str, **kwargs: Any) -> Any:
        """Build the part registered under ``name``, passing ``kwargs`` to it unchanged."""
        factory = self.get(name)
        if not callable(factory):
            raise TypeError(f"The {self.kind} {name!r} is not callable: {factory!r}.")
        return factory(**kwargs)

    def names(self) -> list[str]:
        """Return the registered names, sorted, plugins included."""
        self._load_plugins()
        return sorted(self._entries)

    def name_of(self, obj: Any) -> str | None:
        """Return the name ``obj`` is registered under, or ``None`` if it is not registered."""
        self._load_plugins()
        for name, entry in self._entries.items():
            if entry is obj:
                return name
        return None

    def plugin_source(self, name: str) -> str | None:
        """Return the entry point (``module:object``) a name came from, or ``None`` if built in."""
        self._load_plugins()
        return self._plugins.get(name)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load_plugins()
        return len(self._entries)

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True  # set first: a plugin may query this registry on import
        if os.environ.get(PLUGIN_AUTOLOAD_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
            return
        for ep in entry_points(group=self.group):
            self._load_entry_point(ep.name, ep.value, ep.load)

    def _load_entry_point(self, name: str, value: str, load: Callable[[], Any]) -> None:
        before = self._entries.get(name)
        try:
            obj = load()
        except Exception as error:  # a broken plugin must not break pygan
            warnings.warn(
                f"pygan: skipped the {self.kind} plugin {name!r} ({value}, entry-point group "
                f"{self.group!r}): importing it raised {type(error).__name__}: {error}",
                RuntimeWarning,
                stacklevel=4,
            )
            return
        current = self._entries.get(name)
        if current is obj:  # the plugin registered itself with the decorator on import
            self._plugins[name] = value
            return
        if before is not None or current is not None:
            warnings.warn(
                f"pygan: skipped the {self.kind} plugin {name!r} ({value}, entry-point group "
                f"{self.group!r}): the name is already taken by {_describe(current or before)}.",
                RuntimeWarning,
                stacklevel=4,
            )
            return
        self._entries[name] = obj
        self._plugins[name] = value
        _log.debug("pygan: loaded %s plugin %r from %s", self.kind, name, value)


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}.{qualname}" if module else qualname


GENERATORS: Registry[Any] = Registry("generator", group="pygan.generators")
"""Generator classes by name (built in: ``mlp``, ``dcgan``)."""

DISCRIMINATORS: Registry[Any] = Registry("discriminator", group="pygan.discriminators")
"""Discriminator classes by name (built in: ``mlp``, ``dcgan``)."""

LOSSES: Registry[Any] = Registry("loss", group="pygan.losses")
"""GAN loss classes by name (built in: ``minimax``, ``non_saturating``, ``least_squares``,
``hinge``, ``wasserstein``, ``relativistic``, ``relativistic_average``)."""

CALLBACKS: Registry[Any] = Registry("callback", group="pygan.callbacks")
"""Callback classes by name (``label_smoothing``, ``checkpoint``, ``sample_grid``, ...)."""

DATASETS: Registry[Any] = Registry("dataset", group="pygan.datasets")
"""Dataset factories by name (``mnist``, ``mnist_5k``, ``fashion_mnist``, ``csv``,
``image_folder``)."""

TERMS: Registry[Any] = Registry("loss term", group="pygan.terms")
"""Loss-term classes by name: GAN variants added to a step's updates (``info``,
``gradient_penalty``, ``r1``, ...)."""
