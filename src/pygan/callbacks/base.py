"""The :class:`Callback` base class, the :class:`Targets` a discriminator step uses, and the
keys callback states are saved under in a checkpoint."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from pygan._init_args import RecordsInitArgs, init_args

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["Callback", "HOOKS", "Targets", "callback_keys", "callback_states", "load_callback_states"]

HOOKS = (
    "on_fit_start",
    "on_epoch_start",
    "on_discriminator_step",
    "on_batch_end",
    "on_epoch_end",
    "on_fit_end",
    "on_exception",
)
"""Every hook the Trainer calls, in the order a run first reaches them."""


@dataclass
class Targets:
    """The real and fake targets of one discriminator step; callbacks may change them.

    Attributes:
        real: Target for real images: a float or a tensor of shape ``(batch_size,)``.
        fake: Target for generated images: a float or a tensor of shape ``(batch_size,)``.
        batch_size: Number of real (and of generated) images in the step.
        device: Device of the step's tensors, for callbacks that build per-sample targets.

    Example:
        >>> t = Targets(real=1.0, fake=0.0, batch_size=4, device=torch.device("cpu"))
        >>> t.real = 0.9
        >>> t
        Targets(real=0.9, fake=0.0, batch_size=4, device=device(type='cpu'))
    """

    real: float | torch.Tensor
    fake: float | torch.Tensor
    batch_size: int
    device: torch.device


class Callback(metaclass=RecordsInitArgs):
    """Base class for callbacks: every hook is a no-op, override the ones you need.

    The Trainer calls each hook on every callback in list order, through one dispatch loop.
    A callback keeps what it must carry across a resumed run in :meth:`state_dict`; the
    Trainer calls :meth:`load_state_dict` after :meth:`on_fit_start` when it resumes.

    Example:
        >>> class CountSteps(Callback):
        ...     def __init__(self):
        ...         self.steps = 0
        ...     def on_batch_end(self, trainer, logs):
        ...         self.steps += 1
        ...     def state_dict(self):
        ...         return {"steps": self.steps}
        ...     def load_state_dict(self, state):
        ...         self.steps = state["steps"]
        >>> CountSteps().state_dict()
        {'steps': 0}
    """

    @property
    def state_key(self) -> str:
        """The name of this kind of callback in a checkpoint (the class name by default); the
        state is stored under it plus a digest of the constructor arguments (see
        :func:`callback_keys`). Override it to keep reading states saved under another name."""
        return type(self).__qualname__

    def on_fit_start(self, trainer: Trainer) -> None:
        """Called when fit begins, before the first epoch (and after a checkpoint is loaded)."""

    def on_epoch_start(self, trainer: Trainer) -> None:
        """Called when an epoch begins."""

    def on_discriminator_step(self, trainer: Trainer, targets: Targets) -> None:
        """Called before each discriminator loss; may change ``targets.real``/``targets.fake``."""

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Called after each training step with its logs (losses as 0-d tensors on the device)."""

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Called when an epoch ends, with the epoch's mean figures as floats; may add keys."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """Called when fit finishes normally."""

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Called when fit stops on an error or interrupt, before the error propagates."""

    def state_dict(self) -> dict[str, Any]:
        """Return this callback's state: tensors and plain containers only."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`."""


def callback_keys(callbacks: Sequence[Callback]) -> list[str]:
    """The key each callback's state is saved under in a checkpoint.

    A key is the callback's :attr:`~Callback.state_key`, ``@`` and a short digest of the
    arguments it was built with, so that two callbacks of one class built differently (two
    :class:`~pygan.callbacks.SampleGrid` s writing to different directories) keep their own
    states however the list is reordered. Identical callbacks get ``#2``, ``#3`` ... in list
    order. Arguments that are not plain values count by their ``repr``.

    Example:
        >>> from pygan.callbacks import LabelSmoothing
        >>> callback_keys([LabelSmoothing(real=0.9), LabelSmoothing(real=0.8), LabelSmoothing(real=0.9)])
        ['LabelSmoothing@08e1926f', 'LabelSmoothing@a54fb9f5', 'LabelSmoothing@08e1926f#2']
    """
    return _numbered(f"{callback.state_key}@{_digest(init_args(callback))}" for callback in callbacks)


def callback_states(callbacks: Sequence[Callback]) -> dict[str, dict[str, Any]]:
    """Each callback's :meth:`~Callback.state_dict` under its key from :func:`callback_keys`:
    what a checkpoint stores under ``"callbacks"``.

    Example:
        >>> class Count(Callback):
        ...     def __init__(self, name):
        ...         self.name, self.count = name, 0
        ...     def state_dict(self):
        ...         return {"count": self.count}
        >>> callback_states([Count("a"), Count("b")])
        {'Count@278ce8df': {'count': 0}, 'Count@f3b245a8': {'count': 0}}
    """
    return {key: callback.state_dict() for key, callback in zip(callback_keys(callbacks), callbacks)}


def load_callback_states(callbacks: Sequence[Callback], states: Mapping[str, Any]) -> None:
    """Give each callback the state saved under its key (see :func:`callback_keys`), through
    :meth:`~Callback.load_state_dict`, in list order; a callback without one keeps its own.

    A callback whose key is not in ``states`` gets, in this order:

    - the state under its pygan 0.1.0 key, for checkpoints of that version: the
      :attr:`~Callback.state_key`, then ``#2``, ``#3`` ... in list order;
    - the one state of its :attr:`~Callback.state_key` that no other callback took, when it is
      the only callback of that kind without a state: so a callback built with other
      arguments than the saved run's (``ModelCheckpoint(keep_last=5)`` instead of 3) keeps
      its state, while two of a kind are never mixed up.

    Example:
        >>> class Count(Callback):
        ...     def __init__(self, name):
        ...         self.name, self.count = name, 0
        ...     def state_dict(self):
        ...         return {"count": self.count}
        ...     def load_state_dict(self, state):
        ...         self.count = state["count"]
        >>> a, b = Count("a"), Count("b")
        >>> a.count, b.count = 1, 2
        >>> saved = callback_states([a, b])
        >>> a2, b2 = Count("a"), Count("b")
        >>> load_callback_states([b2, a2], saved)  # reordered: each still gets its own state
        >>> a2.count, b2.count
        (1, 2)
    """
    unclaimed = dict(states)
    found: dict[int, Any] = {}
    for index, key in enumerate(callback_keys(callbacks)):
        if key in unclaimed:
            found[index] = unclaimed.pop(key)
    for index, key in enumerate(_numbered(callback.state_key for callback in callbacks)):
        if index not in found and key in unclaimed:
            found[index] = unclaimed.pop(key)
    waiting: dict[str, list[int]] = {}
    for index, callback in enumerate(callbacks):
        if index not in found:
            waiting.setdefault(callback.state_key, []).append(index)
    left: dict[str, list[str]] = {}
    for key in unclaimed:
        kind, separator, _ = key.rpartition("@")
        if separator:
            left.setdefault(kind, []).append(key)
    for kind, indices in waiting.items():
        if len(indices) == 1 and len(left.get(kind, [])) == 1:
            found[indices[0]] = unclaimed[left[kind][0]]
    for index, callback in enumerate(callbacks):
        if index in found:
            callback.load_state_dict(found[index])


def _numbered(keys: Iterable[str]) -> list[str]:
    """``keys`` with ``#2``, ``#3`` ... appended to the second, third ... of each repeat."""
    seen: dict[str, int] = {}
    numbered = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        numbered.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return numbered


def _digest(arguments: dict[str, Any]) -> str:
    """Eight hex digits that stay the same for the same arguments in every run: paths count
    as their text, tuples as lists, anything else that is not a plain value by its ``repr``."""
    text = json.dumps(_plain(arguments), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return repr(value)
