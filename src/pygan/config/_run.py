"""A whole run: :class:`RunConfig` (the checked config) and :class:`Run` (built from it)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from pygan._validation import check_int
from pygan.callbacks.base import Callback
from pygan.callbacks.checkpoint import ModelCheckpoint
from pygan.config._checking import SECTIONS, ConfigError, Signature, check_keys, check_table, construct, is_path_hint
from pygan.config._legacy import upgrade
from pygan.config._optimizers import OptimizersConfig, optimizer_arguments, parse_optimizers
from pygan.config._parts import DataConfig, PartConfig, create, parse_part, parse_parts
from pygan.config._toml import apply_overrides, dump_toml, read_toml
from pygan.config._trainer import TrainerConfig
from pygan.data.loader import ImageDataset
from pygan.registry import CALLBACKS, DISCRIMINATORS, GENERATORS, LOSSES, TERMS
from pygan.trainer import History, Trainer

__all__ = ["STANDARD_CALLBACKS", "Run", "RunConfig", "load_config"]

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

_DEFAULT_LOSS = Signature.of(Trainer).parameters["loss"].default


@dataclass(frozen=True)
class RunConfig:
    """A whole run: the parts, the loss terms, the optimizers, the trainer settings and the
    callbacks.

    Example:
        >>> raw = {
        ...     "generator": {"name": "mlp", "hidden": [16]},
        ...     "discriminator": {"name": "mlp", "hidden": [16]},
        ...     "data": {"name": "mnist_5k", "limit": 100},
        ...     "trainer": {"epochs": 2, "seed": 0},
        ...     "terms": [{"name": "gradient_penalty", "weight": 5.0}],
        ... }
        >>> config = RunConfig.from_dict(raw)
        >>> config.generator, config.loss.name, config.trainer.batch_size, config.terms
        (PartConfig(name='mlp', kwargs={'hidden': [16]}), 'non_saturating', 64, (PartConfig(name='gradient_penalty', kwargs={'weight': 5.0}),))
        >>> RunConfig.from_dict({**raw, "generator": {"name": "mlp", "hiden": [16]}})
        Traceback (most recent call last):
        ...
        pygan.config.ConfigError: generator.hiden: Unknown mlp generator argument 'hiden'. Did you mean 'hidden'? Available: activation, code_categories, conv_head, conv_head_upsampling, dropout, embedding_dim, hidden, latent_dim, norm, num_classes, output_shape.
    """

    generator: PartConfig
    discriminator: PartConfig
    data: DataConfig
    trainer: TrainerConfig
    loss: PartConfig = PartConfig(_DEFAULT_LOSS)
    optimizers: OptimizersConfig = field(default_factory=OptimizersConfig)
    callbacks: tuple[PartConfig, ...] = ()
    terms: tuple[PartConfig, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunConfig:
        """Check a config read from TOML and return it typed.

        A config written by pygan 0.1.0 is read too: its ``trainer.info_weight`` and
        ``discriminator.code_categories`` become an ``info`` term and a ``code`` head, with a
        ``FutureWarning``.

        Raises:
            ConfigError: An unknown section, key or name, a missing value, or a wrong type.
        """
        raw = upgrade(check_table("config", raw, "a table of sections"))
        check_keys("", raw, SECTIONS, "config section")
        for section in ("generator", "discriminator", "data", "trainer"):
            if section not in raw:
                raise ConfigError(f"The config has no [{section}] section; add one.", section)
        return cls(
            generator=parse_part("generator", raw["generator"], GENERATORS, provided=("output_shape",)),
            discriminator=parse_part("discriminator", raw["discriminator"], DISCRIMINATORS, provided=("input_shape",)),
            data=DataConfig.from_value(raw["data"]),
            trainer=TrainerConfig.from_table(raw["trainer"]),
            loss=parse_part("loss", raw["loss"], LOSSES) if "loss" in raw else cls.loss,
            optimizers=parse_optimizers(raw.get("optimizers", {})),
            callbacks=parse_parts("callbacks", raw.get("callbacks", []), CALLBACKS),
            terms=parse_parts("terms", raw.get("terms", []), TERMS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The config as plain TOML data (what :meth:`from_dict` reads back)."""
        raw: dict[str, Any] = {
            "trainer": self.trainer.to_dict(),
            "generator": self.generator.to_dict(),
            "discriminator": self.discriminator.to_dict(),
            "loss": self.loss.to_dict(),
            "data": self.data.to_dict(),
            "optimizers": self.optimizers.to_dict(),
        }
        for section in ("terms", "callbacks"):
            if getattr(self, section):
                raw[section] = [part.to_dict() for part in getattr(self, section)]
        return raw

    def to_toml(self) -> str:
        """The config as TOML text; ``RunConfig.from_dict(tomllib.loads(text))`` equals it.

        Raises:
            ConfigError: An argument TOML cannot hold (given from Python, not read from TOML).
        """
        return dump_toml(self.to_dict())

    def with_seed(self, seed: int) -> RunConfig:
        """A copy with ``trainer.seed`` set."""
        kwargs = {**self.trainer.kwargs, "seed": check_int("trainer.seed", seed, minimum=0)}
        return replace(self, trainer=TrainerConfig(kwargs))

    def build(self, run_dir: str | os.PathLike[str], *, standard_callbacks: bool = True) -> Run:
        """Create the data, the parts, the terms, the callbacks and the Trainer (nothing trains yet).

        With ``trainer.seed`` set, torch is seeded first, so the networks start from the same
        weights every time.

        Args:
            run_dir: The run directory; callback output paths are resolved inside it.
            standard_callbacks: Add the :data:`STANDARD_CALLBACKS` the config does not list.

        Raises:
            ConfigError: A part or the Trainer refused its arguments (the message names the
                section), a callback path leaves the run directory, or the data cannot be loaded.
        """
        run_dir = Path(run_dir)
        data = self.data.build()
        shape = _image_shape(data)
        if self.trainer.seed is not None:
            torch.manual_seed(self.trainer.seed)
        generator = create("generator", GENERATORS, self.generator, output_shape=shape)
        discriminator = create("discriminator", DISCRIMINATORS, self.discriminator, input_shape=shape)
        loss = create("loss", LOSSES, self.loss)
        terms = [create(f"terms[{i}]", TERMS, spec) for i, spec in enumerate(self.terms)]
        callbacks = self._build_callbacks(run_dir, standard_callbacks)
        arguments = {
            **optimizer_arguments(self.optimizers),
            **self.trainer.trainer_kwargs(),
            "terms": terms,
            "callbacks": callbacks,
        }
        trainer = construct("trainer", lambda: Trainer(generator, discriminator, loss, **arguments))
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
                callbacks.append(create(section, CALLBACKS, PartConfig(spec.name, kwargs)))
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
        resume = None if resume_from is None else str(resume_from)
        return self.trainer.fit(self.data, **self.config.trainer.fit_kwargs(), resume_from=resume)


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> RunConfig:
    """Read a TOML config, apply ``--set`` style overrides, and check it.

    Args:
        path: The TOML file.
        overrides: ``"section.key=value"`` strings (see :func:`apply_overrides`).

    Raises:
        ConfigError: The file, an override or the resulting config is invalid.
    """
    return RunConfig.from_dict(apply_overrides(read_toml(path), overrides))


def _inside_run_dir(section: str, spec: PartConfig, run_dir: Path) -> dict[str, Any]:
    """The callback's arguments with every path argument resolved inside ``run_dir``."""
    signature = Signature.of(CALLBACKS.get(spec.name))
    kwargs = dict(spec.kwargs)
    for name, param in signature.parameters.items():
        value = kwargs.get(name, param.default)
        if not is_path_hint(signature.hints.get(name)) or not isinstance(value, (str, os.PathLike)):
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
