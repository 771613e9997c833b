"""The ``[optimizers.g]`` and ``[optimizers.d]`` sections."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from pygan.config._checking import ConfigError, Signature, check_keys, check_kwargs, check_table, construct
from pygan.config._parts import PartConfig, split_name
from pygan.registry import UnknownNameError
from pygan.trainer import Trainer

__all__ = [
    "OPTIMIZERS",
    "OptimizerConfig",
    "OptimizersConfig",
    "default_optimizer",
    "optimizer_arguments",
    "parse_optimizers",
]

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    cls.__name__.lower(): cls
    for cls in vars(torch.optim).values()
    if isinstance(cls, type)
    and issubclass(cls, torch.optim.Optimizer)
    and cls not in (torch.optim.Optimizer, torch.optim.LBFGS, torch.optim.SparseAdam)
}
"""Optimizer names a config may use: the ``torch.optim`` classes, lower case (``adam``,
``adamw``, ``sgd``, ``rmsprop``, ...); LBFGS and SparseAdam do not fit a GAN step."""

_TRAINER = inspect.signature(Trainer.__init__).parameters


@dataclass(frozen=True)
class OptimizerConfig(PartConfig):
    """An optimizer: a name from :data:`OPTIMIZERS` and its arguments (``lr``, ``betas``...)."""

    def factory(self) -> Callable[[Iterable[torch.nn.Parameter]], torch.optim.Optimizer]:
        """A function of the parameters that builds the optimizer (what the Trainer takes)."""
        cls, kwargs = OPTIMIZERS[self.name], dict(self.kwargs)
        return lambda params: cls(params, **kwargs)

    def adam_settings(self) -> tuple[float, tuple[float, float]] | None:
        """``(lr, betas)`` if this is Adam set by nothing but those (then the Trainer builds
        it, with its fastest kernel), else ``None``."""
        if self.name != "adam" or not set(self.kwargs) <= {"lr", "betas"}:
            return None
        defaults = inspect.signature(torch.optim.Adam).parameters
        lr, betas = self.kwargs.get("lr", defaults["lr"].default), self.kwargs.get("betas", defaults["betas"].default)
        return float(lr), (float(betas[0]), float(betas[1]))


def default_optimizer(which: str) -> OptimizerConfig:
    """The Trainer's default optimizer for ``"g"`` or ``"d"``: Adam with its ``g_lr``/``d_lr``
    and ``betas`` (lr 2e-4, betas (0.5, 0.999)).

    Example:
        >>> default_optimizer("g")
        OptimizerConfig(name='adam', kwargs={'lr': 0.0002, 'betas': [0.5, 0.999]})
    """
    lr, betas = _TRAINER[f"{which}_lr"].default, _TRAINER["betas"].default
    return OptimizerConfig("adam", {"lr": lr, "betas": list(betas)})


@dataclass(frozen=True)
class OptimizersConfig:
    """The generator's (``g``) and discriminator's (``d``) optimizers.

    A table without ``name`` changes the default (:func:`default_optimizer`): ``lr = 1e-3``
    alone keeps Adam with betas (0.5, 0.999). A table with ``name`` starts from that
    optimizer's own defaults.
    """

    g: OptimizerConfig = field(default_factory=lambda: default_optimizer("g"))
    d: OptimizerConfig = field(default_factory=lambda: default_optimizer("d"))

    def to_dict(self) -> dict[str, Any]:
        """The TOML table: ``{"g": {...}, "d": {...}}``."""
        return {"g": self.g.to_dict(), "d": self.d.to_dict()}


def parse_optimizers(raw: Any) -> OptimizersConfig:
    """Check the ``[optimizers]`` section.

    Raises:
        ConfigError: An unknown key or optimizer, or arguments the optimizer refuses.
    """
    table = check_table("optimizers", raw, 'a table with g and d, like {g = {name = "adam", lr = 2e-4}}')
    check_keys("optimizers", table, ("d", "g"), "optimizers key")
    return OptimizersConfig(**{key: _parse_optimizer(f"optimizers.{key}", value) for key, value in table.items()})


def _parse_optimizer(section: str, raw: Any) -> OptimizerConfig:
    table = check_table(section, raw, 'a table like {name = "adam", lr = 2e-4}')
    if "name" not in table:
        table = {**default_optimizer(section[-1]).to_dict(), **table}
    name, kwargs = split_name(section, table)
    if name not in OPTIMIZERS:
        raise ConfigError(f"{section}.name: {UnknownNameError('optimizer', name, sorted(OPTIMIZERS))}", f"{section}.name")
    elsewhere = {"params": "the Trainer (the network's parameters)"}
    check_kwargs(section, f"{name} optimizer", Signature.of(OPTIMIZERS[name]), kwargs, elsewhere=elsewhere)
    probe = [torch.nn.Parameter(torch.zeros(1))]
    construct(section, lambda: OPTIMIZERS[name](probe, **kwargs))  # the optimizer's own checks, now
    return OptimizerConfig(name, kwargs)


def optimizer_arguments(optimizers: OptimizersConfig) -> dict[str, Any]:
    """The Trainer's optimizer arguments: its own Adam (``g_lr``, ``d_lr``, ``betas``) where
    the config asks for plain Adam, a factory otherwise (the Trainer's Adams share betas)."""
    arguments: dict[str, Any] = {}
    for which in ("g", "d"):
        spec: OptimizerConfig = getattr(optimizers, which)
        settings = spec.adam_settings()
        if settings is None or arguments.get("betas", settings[1]) != settings[1]:
            arguments[f"{which}_optimizer"] = spec.factory()
        else:
            arguments[f"{which}_lr"], arguments["betas"] = settings
    return arguments
