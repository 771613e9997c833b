"""Registered parts in a config: ``{name = "...", arguments}`` tables, and the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import Subset

from pygan._validation import check_int
from pygan.config._checking import ConfigError, Signature, check_kwargs, check_table, check_value, construct
from pygan.data.loader import ImageDataset
from pygan.registry import DATASETS, Registry, UnknownNameError

__all__ = ["DataConfig", "PartConfig", "create", "parse_part", "parse_parts", "split_name"]


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
        table = dict(check_table(key, value, 'a table like {name = "mnist_5k"}'))
        limit = table.pop("limit", None)
        if limit is not None:
            limit = check_value(f"{key}.limit", check_int, limit)
        part = parse_part(key, table, DATASETS)
        return cls(part.name, part.kwargs, limit=limit)

    def build(self, key: str = "data") -> Any:
        """Create the dataset; with ``limit``, a random subset (the same one every time).

        Raises:
            ConfigError: The dataset refused its arguments or could not be loaded (the
                message starts with ``key``).
        """
        data = construct(key, lambda: DATASETS.create(self.name, **self.kwargs))
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


def parse_part(section: str, raw: Any, registry: Registry[Any], *, provided: Sequence[str] = ()) -> PartConfig:
    """Check a ``{name = "...", arguments}`` table against ``registry`` and the part's signature.

    Args:
        section: The table's key path.
        raw: The table.
        registry: Where ``name`` is looked up.
        provided: Arguments that building fills in (see :func:`check_kwargs`).

    Raises:
        ConfigError: An unknown name or argument, a missing argument or a wrong type.
    """
    table = check_table(section, raw, f'a table like {{name = "..."}} naming a {registry.kind}')
    name, kwargs = split_name(section, table)
    try:
        factory = registry.get(name)
    except UnknownNameError as error:
        raise ConfigError(f"{section}.name: {error}", f"{section}.name") from None
    check_kwargs(section, f"{name} {registry.kind}", Signature.of(factory), kwargs, provided=provided)
    return PartConfig(name, kwargs)


def parse_parts(section: str, raw: Any, registry: Registry[Any]) -> tuple[PartConfig, ...]:
    """Check an array of part tables (``[[callbacks]]``), each with :func:`parse_part`."""
    if not isinstance(raw, list):
        raise ConfigError(
            f"{section} = {raw!r}: expected an array of tables ([[{section}]] with "
            f'name = "..."), got {type(raw).__name__}.',
            section,
        )
    return tuple(parse_part(f"{section}[{i}]", table, registry) for i, table in enumerate(raw))


def split_name(section: str, table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Split a part table into its ``name`` and its arguments."""
    if "name" not in table:
        raise ConfigError(f'{section}.name is missing: each part is a table with name = "...".', f"{section}.name")
    kwargs = dict(table)
    name = kwargs.pop("name")
    if not isinstance(name, str):
        raise ConfigError(f"{section}.name = {name!r}: expected a string.", f"{section}.name")
    return name, kwargs


def create(section: str, registry: Registry[Any], spec: PartConfig, **defaults: Any) -> Any:
    """Build the part ``spec`` names, with ``defaults`` for the arguments it takes and leaves out.

    Raises:
        ConfigError: The part refused its arguments (the message starts with ``section``).
    """
    signature = Signature.of(registry.get(spec.name))
    kwargs = {
        k: v for k, v in defaults.items() if (k in signature.parameters or signature.takes_any) and k not in spec.kwargs
    }
    kwargs.update(spec.kwargs)
    return construct(section, lambda: registry.create(spec.name, **kwargs))
