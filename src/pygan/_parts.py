"""Describe a generator, discriminator or loss by registry name, constructor arguments and
weights, and rebuild it from that description: what checkpoints and exports hold."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from pygan._errors import CheckpointError
from pygan._init_args import init_args, plain_value_problem
from pygan.registry import DISCRIMINATORS, GENERATORS, LOSSES, Registry

__all__ = ["build_part", "load_weights", "part_spec"]

_REGISTRIES: dict[str, Registry[Any]] = {
    "generator": GENERATORS,
    "discriminator": DISCRIMINATORS,
    "loss": LOSSES,
}
_REGISTER_HINT = {
    "generator": "GENERATORS",
    "discriminator": "DISCRIMINATORS",
    "loss": "LOSSES",
}


def part_spec(obj: Any, role: str) -> dict[str, Any]:
    """Describe a generator, discriminator or loss so a checkpoint can rebuild it.

    Args:
        obj: The part.
        role: ``"generator"``, ``"discriminator"`` or ``"loss"``.

    Returns:
        ``{"name": registry name or None, "class": "module.QualName", "kwargs": constructor
        arguments (None when one is not a plain value), "kwargs_problem": why not or None}``,
        plus ``"state_dict"`` for a module.

    Example:
        >>> from pygan import MLPGenerator
        >>> spec = part_spec(MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,)), "generator")
        >>> spec["name"], spec["kwargs"], sorted(spec["state_dict"])[:2]
        ('mlp', {'latent_dim': 8, 'output_shape': (1, 4, 4), 'hidden': (16,)}, ['net.0.bias', 'net.0.weight'])
    """
    kwargs = init_args(obj)
    problem = plain_value_problem(kwargs, "kwargs")
    spec: dict[str, Any] = {
        "name": _REGISTRIES[role].name_of(type(obj)),
        "class": f"{type(obj).__module__}.{type(obj).__qualname__}",
        "kwargs": None if problem else kwargs,
        "kwargs_problem": problem,
    }
    if isinstance(obj, nn.Module):
        spec["state_dict"] = obj.state_dict()
    return spec


def build_part(spec: dict[str, Any], role: str) -> Any:
    """Rebuild a generator, discriminator or loss from its :func:`part_spec` (without weights).

    Raises:
        CheckpointError: The part is not registered, its arguments were not stored, or no
            installed package registers its name; the message says what to do.

    Example:
        >>> build_part({"name": "hinge", "class": "pygan.losses.standard.HingeLoss", "kwargs": {}}, "loss")
        HingeLoss()
    """
    registry = _REGISTRIES[role]
    if spec.get("name") is None:
        raise CheckpointError(
            f"The checkpoint's {role} class {spec.get('class')} is not registered, so it cannot "
            f"be rebuilt by name. Register it (@pygan.{_REGISTER_HINT[role]}.register(\"name\")) "
            f"before training and save again, or build it yourself and load the weights with "
            f"load_checkpoint()."
        )
    if spec.get("kwargs") is None:
        raise CheckpointError(
            f"The checkpoint's {role} {spec['name']!r} cannot be rebuilt: {spec.get('kwargs_problem')}."
        )
    try:
        cls = registry.get(spec["name"])
    except KeyError as error:
        raise CheckpointError(
            f"{error} The checkpoint needs the {role} {spec['name']!r} ({spec.get('class')}); "
            f"install or import the package that registers it."
        ) from None
    return cls(**spec["kwargs"])


def load_weights(module: nn.Module, state_dict: dict[str, torch.Tensor], role: str) -> None:
    """Load ``state_dict`` into ``module``, naming every mismatched shape or key on failure.

    Raises:
        CheckpointError: The weights come from another architecture (up to six problems named).

    Example:
        >>> load_weights(nn.Linear(2, 3), nn.Linear(2, 4).state_dict(), "generator")
        Traceback (most recent call last):
        ...
        pygan.checkpoint.CheckpointError: The checkpoint's generator does not fit this generator (Linear); ...
    """
    own = module.state_dict()
    problems = [
        f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key].shape)}"
        for key, value in state_dict.items()
        if key in own and own[key].shape != value.shape
    ]
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    if missing:
        problems.append(f"missing in checkpoint: {', '.join(missing[:5])}")
    if unexpected:
        problems.append(f"not in model: {', '.join(unexpected[:5])}")
    if problems:
        raise CheckpointError(
            f"The checkpoint's {role} does not fit this {role} ({type(module).__name__}); "
            f"it was saved from another architecture. " + "; ".join(problems[:6])
        )
    module.load_state_dict(state_dict)
