"""Run configurations: a TOML file -> typed dataclasses -> a ready Trainer, data and callbacks.

Each part is a table with ``name = "..."`` (a registry name) plus its constructor arguments::

    [generator]
    name = "mlp"
    latent_dim = 64
    hidden = [256, 512, 1024]

    [discriminator]
    name = "mlp"
    dropout = 0.3

    [loss]                      # optional: non_saturating by default
    name = "non_saturating"

    [data]
    name = "mnist_5k"
    limit = 1000                # optional: a fixed random subset of at most 1000 images

    [optimizers.g]              # optional: Adam, lr 2e-4, betas (0.5, 0.999) by default
    name = "adam"               # any torch.optim class, lower case
    lr = 2e-4
    betas = [0.5, 0.999]

    [trainer]
    epochs = 30
    batch_size = 64
    seed = 0

    [[callbacks]]
    name = "label_smoothing"
    real = 0.9

Everything is checked when the config is read, before anything is built: an unknown section,
key or name, a missing argument or a value of the wrong type raises :class:`ConfigError`
naming the key path (``trainer.batch_size``), the value and what is allowed. Constructor
arguments are checked against the signature (and type hints) of the registered part, so
plugins are checked the same way. ``--set section.key=value`` overrides
(:func:`apply_overrides`) go through the same checks.

:meth:`RunConfig.build` then creates the parts. The generator's ``output_shape`` and the
discriminator's ``input_shape`` default to the shape of the data's images. Callback arguments
that are paths (annotated ``os.PathLike``) are resolved inside the run directory, and the
callbacks a run directory needs (:data:`STANDARD_CALLBACKS`) are added unless listed.
"""

from __future__ import annotations

import collections.abc
import copy
import inspect
import json
import math
import os
import re
import sys
import types
import typing
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePath
from typing import Any

import torch
from torch.utils.data import Dataset, Subset

from pygan._validation import check_int, check_nonnegative_float
from pygan.callbacks.base import Callback
from pygan.callbacks.checkpoint import ModelCheckpoint
from pygan.data.loader import ImageDataset
from pygan.models._layers import check_choice
from pygan.registry import (
    CALLBACKS,
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    LOSSES,
    Registry,
    UnknownNameError,
)
from pygan.trainer import PRECISIONS, History, Trainer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "OPTIMIZERS",
    "STANDARD_CALLBACKS",
    "ConfigError",
    "DataConfig",
    "OptimizerConfig",
    "OptimizersConfig",
    "PartConfig",
    "Run",
    "RunConfig",
    "TrainerConfig",
    "apply_overrides",
    "default_optimizer",
    "load_config",
    "parse_override",
    "parse_value",
    "read_toml",
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

STANDARD_CALLBACKS: tuple[str, ...] = (
    "sample_grid",
    "checkpoint",
    "csv_logger",
    "loss_plot",
    "progress_bar",
)
"""Callbacks :meth:`RunConfig.build` adds with their default arguments unless the config
lists them: the run directory's ``samples/``, ``checkpoints/``, ``metrics.csv``,
``losses.png`` and the progress bar. One that needs an optional package that is missing
(``loss_plot`` needs matplotlib) is left out with a warning."""

_FIT = inspect.signature(Trainer.fit).parameters
_TRAINER = inspect.signature(Trainer.__init__).parameters
_SECTIONS = ("generator", "discriminator", "loss", "data", "optimizers", "trainer", "callbacks")


class ConfigError(ValueError):
    """A config is invalid. The message names the key path, the value and what is allowed.

    Attributes:
        key: The key path at fault (``"trainer.batch_size"``), or ``None`` for the whole file.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        self.key = key
        super().__init__(message)


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class PartConfig:
    """One registered part: its registry ``name`` and constructor ``kwargs``."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The TOML table: ``{"name": ..., **kwargs}``."""
        return {"name": self.name, **self.kwargs}


@dataclass(frozen=True)
class DataConfig(PartConfig):
    """The dataset: a ``DATASETS`` name and its arguments, plus ``limit``.

    Attributes:
        limit: Train on a fixed random subset of at most this many images (the same subset
            every run); ``None`` uses them all.
    """

    limit: int | None = None

    @classmethod
    def from_value(cls, value: Any, key: str = "data") -> DataConfig:
        """Check a data table, or a bare dataset name, with the same rules as ``[data]``.

        Args:
            value: ``{"name": "mnist", "train": False, "limit": 1000}`` or ``"mnist_5k"``.
            key: The key path errors name.

        Raises:
            ConfigError: An unknown dataset or argument, or a value of the wrong type.

        Example:
            >>> DataConfig.from_value({"name": "mnist", "train": False, "limit": 100})
            DataConfig(name='mnist', kwargs={'train': False}, limit=100)
        """
        value = {"name": value} if isinstance(value, str) else value
        table = dict(_check_table(key, value, 'a table like {name = "mnist_5k"}'))
        limit = table.pop("limit", None)
        if limit is not None:
            limit = _wrap(f"{key}.limit", check_int, limit)
        part = _parse_part(key, table, DATASETS)
        return cls(part.name, part.kwargs, limit=limit)

    def build(self, key: str = "data") -> Any:
        """Create the dataset; with ``limit``, a random subset (the same one every time).

        Raises:
            ConfigError: The dataset refused its arguments or could not be loaded (the
                message starts with ``key``).
        """
        data = _build(key, lambda: DATASETS.create(self.name, **self.kwargs))
        if self.limit is None or self.limit >= len(data):
            return data
        keep = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[: self.limit]
        if isinstance(data, ImageDataset):
            labels = data.labels[keep] if data.labels is not None else None
            return ImageDataset(data.images[keep], labels)
        if isinstance(data, torch.Tensor):
            return data[keep]
        return Subset(data, keep.tolist())

    def to_dict(self) -> dict[str, Any]:
        """The TOML table, with ``limit`` when set."""
        table = super().to_dict()
        if self.limit is not None:
            table["limit"] = self.limit
        return table


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
    and ``betas`` (lr 2e-4, betas (0.5, 0.999))."""
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


@dataclass(frozen=True)
class TrainerConfig:
    """Arguments of :class:`~pygan.Trainer` and of ``fit`` (``epochs``, ``batch_size``).

    The defaults are the Trainer's own. ``seed=None`` leaves the random state alone (``pygan
    train`` then picks a seed and records it in the run's config).
    """

    epochs: int
    batch_size: int = _FIT["batch_size"].default
    d_steps: int = _TRAINER["d_steps"].default
    seed: int | None = _TRAINER["seed"].default
    device: str = _TRAINER["device"].default
    precision: str = _TRAINER["precision"].default
    compile: bool = _TRAINER["compile"].default
    skip_nonfinite_steps: int = _TRAINER["skip_nonfinite_steps"].default
    log_every_n_steps: int = _TRAINER["log_every_n_steps"].default


def _check_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"Expected {name} to be a string, got {value!r}.")
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"Expected {name} to be true or false, got {value!r}.")
    return value


_TRAINER_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "epochs": check_int,
    "batch_size": check_int,
    "d_steps": check_int,
    "seed": lambda key, value: check_int(key, value, minimum=0),
    "device": _check_str,
    "precision": lambda key, value: check_choice(key, value, PRECISIONS),
    "compile": _check_bool,
    "skip_nonfinite_steps": lambda key, value: check_int(key, value, minimum=0),
    "log_every_n_steps": check_int,
}


@dataclass(frozen=True)
class RunConfig:
    """A whole run: the parts, the optimizers, the trainer settings and the callbacks.

    Example:
        >>> raw = {
        ...     "generator": {"name": "mlp", "hidden": [16]},
        ...     "discriminator": {"name": "mlp", "hidden": [16]},
        ...     "data": {"name": "mnist_5k", "limit": 100},
        ...     "trainer": {"epochs": 2, "seed": 0},
        ... }
        >>> config = RunConfig.from_dict(raw)
        >>> config.generator, config.loss.name, config.trainer.batch_size
        (PartConfig(name='mlp', kwargs={'hidden': [16]}), 'non_saturating', 64)
        >>> RunConfig.from_dict({**raw, "generator": {"name": "mlp", "hiden": [16]}})
        Traceback (most recent call last):
        ...
        pygan.config.ConfigError: generator.hiden: Unknown mlp generator argument 'hiden'. Did you mean 'hidden'? Available: activation, code_categories, dropout, hidden, latent_dim, norm, output_shape.
    """

    generator: PartConfig
    discriminator: PartConfig
    data: DataConfig
    trainer: TrainerConfig
    loss: PartConfig = PartConfig(_TRAINER["loss"].default)
    optimizers: OptimizersConfig = field(default_factory=OptimizersConfig)
    callbacks: tuple[PartConfig, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunConfig:
        """Check a config read from TOML and return it typed.

        Raises:
            ConfigError: An unknown section, key or name, a missing value, or a wrong type.
        """
        _check_table("config", raw, "a table of sections")
        _check_keys("", raw, _SECTIONS, "config section")
        for section in ("generator", "discriminator", "data", "trainer"):
            if section not in raw:
                raise ConfigError(f"The config has no [{section}] section; add one.", section)
        callbacks = raw.get("callbacks", [])
        if not isinstance(callbacks, list):
            raise ConfigError(
                f"callbacks = {callbacks!r}: expected an array of tables ([[callbacks]] with "
                f'name = "..."), got {type(callbacks).__name__}.',
                "callbacks",
            )
        return cls(
            generator=_parse_part("generator", raw["generator"], GENERATORS, provided=("output_shape",)),
            discriminator=_parse_part(
                "discriminator", raw["discriminator"], DISCRIMINATORS, provided=("input_shape",)
            ),
            data=DataConfig.from_value(raw["data"]),
            trainer=_parse_trainer(raw["trainer"]),
            loss=_parse_part("loss", raw["loss"], LOSSES) if "loss" in raw else cls.loss,
            optimizers=_parse_optimizers(raw.get("optimizers", {})),
            callbacks=tuple(
                _parse_part(f"callbacks[{i}]", table, CALLBACKS) for i, table in enumerate(callbacks)
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The config as plain TOML data (what :meth:`from_dict` reads back)."""
        raw: dict[str, Any] = {
            "trainer": {f.name: getattr(self.trainer, f.name) for f in fields(self.trainer)},
            "generator": self.generator.to_dict(),
            "discriminator": self.discriminator.to_dict(),
            "loss": self.loss.to_dict(),
            "data": self.data.to_dict(),
        }
        raw["trainer"] = {k: v for k, v in raw["trainer"].items() if v is not None}
        raw["optimizers"] = {"g": self.optimizers.g.to_dict(), "d": self.optimizers.d.to_dict()}
        if self.callbacks:
            raw["callbacks"] = [c.to_dict() for c in self.callbacks]
        return raw

    def to_toml(self) -> str:
        """The config as TOML text; ``RunConfig.from_dict(tomllib.loads(text))`` equals it."""
        return _dump_toml(self.to_dict())

    def with_seed(self, seed: int) -> RunConfig:
        """A copy with ``trainer.seed`` set."""
        return replace(self, trainer=replace(self.trainer, seed=check_int("trainer.seed", seed, minimum=0)))

    def build(self, run_dir: str | os.PathLike[str], *, standard_callbacks: bool = True) -> Run:
        """Create the data, the parts, the callbacks and the Trainer (nothing trains yet).

        With ``trainer.seed`` set, torch is seeded first, so the networks start from the same
        weights every time.

        Args:
            run_dir: The run directory; callback output paths are resolved inside it.
            standard_callbacks: Add the :data:`STANDARD_CALLBACKS` the config does not list.

        Raises:
            ConfigError: A part refused its arguments (the message names the section), a
                callback path leaves the run directory, or the data cannot be loaded.
        """
        run_dir = Path(run_dir)
        data = self.data.build()
        shape = _image_shape(data)
        if self.trainer.seed is not None:
            torch.manual_seed(self.trainer.seed)
        generator = _create("generator", GENERATORS, self.generator, output_shape=shape)
        discriminator = _create("discriminator", DISCRIMINATORS, self.discriminator, input_shape=shape)
        loss = _create("loss", LOSSES, self.loss)
        callbacks = self._build_callbacks(run_dir, standard_callbacks)
        t = self.trainer
        trainer = _build(
            "trainer",
            lambda: Trainer(
                generator,
                discriminator,
                loss,
                **_optimizer_arguments(self.optimizers),
                d_steps=t.d_steps,
                callbacks=callbacks,
                device=t.device,
                seed=t.seed,
                precision=t.precision,
                compile=t.compile,
                skip_nonfinite_steps=t.skip_nonfinite_steps,
                log_every_n_steps=t.log_every_n_steps,
            ),
        )
        return Run(config=self, trainer=trainer, data=data, run_dir=run_dir)

    def _build_callbacks(self, run_dir: Path, standard: bool) -> list[Callback]:
        specs: list[tuple[int | None, PartConfig]] = list(enumerate(self.callbacks))
        if standard:
            listed = {c.name for c in self.callbacks}
            specs += [(None, PartConfig(n)) for n in STANDARD_CALLBACKS if n not in listed]
        callbacks = []
        for index, spec in specs:
            section = f"callbacks[{index}]" if index is not None else f"the standard callback {spec.name!r}"
            kwargs = _inside_run_dir(section, spec, run_dir)
            try:
                callbacks.append(_create(section, CALLBACKS, PartConfig(spec.name, kwargs)))
            except ConfigError as error:
                if index is not None or not isinstance(error.__cause__, ImportError):
                    raise
                warnings.warn(f"Left out {error} (an optional dependency is missing).", stacklevel=2)
        return callbacks


@dataclass
class Run:
    """A configured run, built by :meth:`RunConfig.build`: call :meth:`fit` to train."""

    config: RunConfig
    trainer: Trainer
    data: Any
    run_dir: Path

    @property
    def last_checkpoint(self) -> Path | None:
        """The file the checkpoint callback keeps the newest state in (``None`` without one)."""
        checkpoint = self.checkpoint_callback
        return None if checkpoint is None else checkpoint.last_path

    @property
    def best_checkpoint(self) -> Path | None:
        """The file holding the state with the best monitored figure: the checkpoint
        callback's ``best.ckpt`` once it has saved one (``None`` without ``monitor``, or
        before the first evaluation)."""
        checkpoint = self.checkpoint_callback
        return None if checkpoint is None or checkpoint.best_epoch is None else checkpoint.best_path

    @property
    def checkpoint_callback(self) -> ModelCheckpoint | None:
        """The trainer's (first) :class:`~pygan.callbacks.ModelCheckpoint`, if it has one."""
        return next((cb for cb in self.trainer.callbacks if isinstance(cb, ModelCheckpoint)), None)

    def fit(self, *, resume_from: str | os.PathLike[str] | None = None) -> History:
        """Train for ``trainer.epochs`` epochs (in total, when resuming) and return the history."""
        t = self.config.trainer
        resume = None if resume_from is None else str(resume_from)
        return self.trainer.fit(self.data, epochs=t.epochs, batch_size=t.batch_size, resume_from=resume)


# --------------------------------------------------------------------------- reading
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


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> RunConfig:
    """Read a TOML config, apply ``--set`` style overrides, and check it.

    Args:
        path: The TOML file.
        overrides: ``"section.key=value"`` strings (see :func:`apply_overrides`).

    Raises:
        ConfigError: The file, an override or the resulting config is invalid.
    """
    return RunConfig.from_dict(apply_overrides(read_toml(path), overrides))


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

    Keys may go deeper (``optimizers.g.lr``). An item of ``callbacks`` is picked by its index
    or its name (``callbacks.0.real`` or ``callbacks.label_smoothing.real``); a name not
    listed adds that callback. Keys that do not exist are added, then the whole config is
    checked as usual, so a misspelt key is reported with the allowed ones.

    Raises:
        ConfigError: An override is malformed or goes through a value that is not a table.

    Example:
        >>> raw = {"trainer": {"epochs": 30}, "callbacks": [{"name": "ema"}]}
        >>> apply_overrides(raw, ["trainer.epochs=1", "callbacks.ema.decay=0.9"])
        {'trainer': {'epochs': 1}, 'callbacks': [{'name': 'ema', 'decay': 0.9}]}
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
                    node = node.setdefault(key, [] if key == "callbacks" else {})
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


# --------------------------------------------------------------------------- checking
def _check_table(key: str, value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key} = {value!r}: expected {what}.", key)
    return value


def _check_keys(section: str, table: dict[str, Any], allowed: Iterable[str], kind: str) -> None:
    allowed = sorted(allowed)
    for key in table:
        if key not in allowed:
            path = f"{section}.{key}" if section else key
            raise ConfigError(f"{path}: {UnknownNameError(kind, key, allowed)}", path)


def _wrap(key: str, check: Callable[[str, Any], Any], value: Any) -> Any:
    try:
        return check(key, value)
    except (TypeError, ValueError) as error:
        raise ConfigError(str(error), key) from None


def _parse_trainer(raw: Any) -> TrainerConfig:
    table = _check_table("trainer", raw, "a table of Trainer settings")
    _check_keys("trainer", table, _TRAINER_CHECKS, "trainer key")
    if "epochs" not in table:
        raise ConfigError("trainer.epochs is missing: how many epochs to train (an integer >= 1).", "trainer.epochs")
    return TrainerConfig(**{k: _wrap(f"trainer.{k}", _TRAINER_CHECKS[k], v) for k, v in table.items()})


def _parse_optimizers(raw: Any) -> OptimizersConfig:
    table = _check_table("optimizers", raw, 'a table with g and d, like {g = {name = "adam", lr = 2e-4}}')
    _check_keys("optimizers", table, ("d", "g"), "optimizers key")
    parsed = {key: _parse_optimizer(f"optimizers.{key}", value) for key, value in table.items()}
    return OptimizersConfig(**parsed)


def _parse_optimizer(section: str, raw: Any) -> OptimizerConfig:
    table = _check_table(section, raw, 'a table like {name = "adam", lr = 2e-4}')
    if "name" not in table:
        table = {**default_optimizer(section[-1]).to_dict(), **table}
    name, kwargs = _split_name(section, table)
    if name not in OPTIMIZERS:
        raise ConfigError(f"{section}.name: {UnknownNameError('optimizer', name, sorted(OPTIMIZERS))}", f"{section}.name")
    _check_kwargs(section, f"{name} optimizer", OPTIMIZERS[name], kwargs, skip=("params",))
    probe = [torch.nn.Parameter(torch.zeros(1))]
    _build(section, lambda: OPTIMIZERS[name](probe, **kwargs))  # the optimizer's own checks, now
    return OptimizerConfig(name, kwargs)


def _parse_part(
    section: str, raw: Any, registry: Registry[Any], *, provided: Sequence[str] = ()
) -> PartConfig:
    table = _check_table(section, raw, f'a table like {{name = "..."}} naming a {registry.kind}')
    name, kwargs = _split_name(section, table)
    try:
        factory = registry.get(name)
    except UnknownNameError as error:
        raise ConfigError(f"{section}.name: {error}", f"{section}.name") from None
    _check_kwargs(section, f"{name} {registry.kind}", factory, kwargs, provided=provided)
    return PartConfig(name, kwargs)


def _split_name(section: str, table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if "name" not in table:
        raise ConfigError(f'{section}.name is missing: each part is a table with name = "...".', f"{section}.name")
    kwargs = dict(table)
    name = kwargs.pop("name")
    if not isinstance(name, str):
        raise ConfigError(f"{section}.name = {name!r}: expected a string.", f"{section}.name")
    return name, kwargs


def _parameters(factory: Any) -> tuple[dict[str, inspect.Parameter], dict[str, Any], bool]:
    """The keyword parameters of a class's constructor or a function, their type hints, and
    whether it takes ``**kwargs``."""
    is_class = isinstance(factory, type)
    target = factory.__init__ if is_class else factory
    if target is object.__init__:
        return {}, {}, False
    params = list(inspect.signature(target).parameters.values())[1 if is_class else 0 :]
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # hints naming what only type checkers import: check names only
        hints = {}
    named = {
        p.name: p for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return named, hints, any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _check_kwargs(
    section: str,
    what: str,
    factory: Any,
    kwargs: dict[str, Any],
    *,
    provided: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> None:
    params, hints, takes_any = _parameters(factory)
    for name in skip:
        params.pop(name, None)
    for key, value in kwargs.items():
        path = f"{section}.{key}"
        if key not in params:
            if takes_any:
                continue
            raise ConfigError(f"{path}: {UnknownNameError(f'{what} argument', key, sorted(params))}", path)
        hint = hints.get(key)
        if hint is not None and not _matches(value, hint):
            raise ConfigError(f"{path} = {value!r}: expected {_describe_hint(hint)}.", path)
    for name, param in params.items():
        if param.default is inspect.Parameter.empty and name not in kwargs and name not in provided:
            raise ConfigError(f"{section}.{name} is missing: the {what} needs it.", f"{section}.{name}")


_SEQUENCES = (list, tuple, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection)


def _matches(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits a type hint (a class other than the TOML types only matches
    its instances; hints that are not classes are left to the constructor)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int or hint is float:
        allowed = int if hint is int else (int, float)
        return isinstance(value, allowed) and not isinstance(value, bool)
    if hint is str or (origin or hint) is os.PathLike or (isinstance(hint, type) and issubclass(hint, PurePath)):
        return isinstance(value, str)
    if (origin or hint) in _SEQUENCES:
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args))
        return all(_matches(v, args[0]) for v in value) if args else True
    if (origin or hint) in (dict, collections.abc.Mapping):
        return isinstance(value, dict)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe_hint(hint: Any) -> str:
    text = getattr(hint, "__name__", None) if typing.get_origin(hint) is None else None
    text = text or str(hint)
    return re.sub(r"\b(typing|collections\.abc|os|pathlib)\.", "", text).replace("NoneType", "None")


# --------------------------------------------------------------------------- building
def _build(key: str, make: Callable[[], Any]) -> Any:
    """Call ``make``; report what a constructor refused as a :class:`ConfigError` on ``key``."""
    try:
        return make()
    except ConfigError:
        raise
    except (TypeError, ValueError, KeyError, OSError, ImportError, RuntimeError) as error:
        raise ConfigError(f"{key}: {error}", key) from error


def _optimizer_arguments(optimizers: OptimizersConfig) -> dict[str, Any]:
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


def _create(section: str, registry: Registry[Any], spec: PartConfig, **defaults: Any) -> Any:
    params, _, takes_any = _parameters(registry.get(spec.name))
    kwargs = {k: v for k, v in defaults.items() if (k in params or takes_any) and k not in spec.kwargs}
    kwargs.update(spec.kwargs)
    return _build(section, lambda: registry.create(spec.name, **kwargs))


def _inside_run_dir(section: str, spec: PartConfig, run_dir: Path) -> dict[str, Any]:
    """The callback's arguments with every path argument resolved inside ``run_dir``."""
    params, hints, _ = _parameters(CALLBACKS.get(spec.name))
    kwargs = dict(spec.kwargs)
    for name, param in params.items():
        value = kwargs.get(name, param.default)
        if not _is_path_hint(hints.get(name)) or not isinstance(value, (str, os.PathLike)):
            continue
        relative = Path(value)
        if relative.is_absolute() or ".." in relative.parts:
            raise ConfigError(
                f"{section}.{name} = {os.fspath(value)!r}: a callback writes inside the run "
                f"directory; give a relative path without '..', such as {relative.name!r}.",
                f"{section}.{name}",
            )
        kwargs[name] = str(run_dir / relative)
    return kwargs


def _is_path_hint(hint: Any) -> bool:
    if hint is None:
        return False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_is_path_hint(arg) for arg in typing.get_args(hint))
    return (typing.get_origin(hint) or hint) is os.PathLike or (
        isinstance(hint, type) and issubclass(hint, PurePath)
    )


def _image_shape(data: Any) -> tuple[int, ...]:
    """The shape of one image of the data, channels first."""
    if isinstance(data, ImageDataset):
        return tuple(data.images.shape[1:])
    if isinstance(data, torch.Tensor):
        shape = tuple(data.shape[1:])
    elif isinstance(data, Dataset) and len(data) > 0:  # type: ignore[arg-type]
        item = data[0]
        shape = tuple(torch.as_tensor(item[0] if isinstance(item, (tuple, list)) else item).shape)
    else:
        raise ConfigError(f"[data] the dataset is empty or not a Dataset: {type(data).__name__}.", "data")
    return (1, *shape) if len(shape) == 2 else shape


# --------------------------------------------------------------------------- writing
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _dump_toml(raw: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, table in raw.items():
        if isinstance(table, list):
            for item in table:
                lines += ["", f"[[{section}]]", *_dump_pairs(item)]
        elif section == "optimizers":
            for key, sub in table.items():
                lines += ["", f"[{section}.{_toml_key(key)}]", *_dump_pairs(sub)]
        else:
            lines += ["", f"[{section}]", *_dump_pairs(table)]
    return "\n".join(lines).lstrip("\n") + "\n"


def _dump_pairs(table: dict[str, Any]) -> list[str]:
    return [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None]


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (str, PurePath)):
        return json.dumps(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    raise ConfigError(f"Cannot write {value!r} ({type(value).__name__}) to TOML.")
