"""Activation and normalization layers chosen by name, shared by the built-in models."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

__all__ = ["ACTIVATIONS", "NORMS", "make_activation", "check_choice"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
    "elu": lambda: nn.ELU(inplace=True),
    "gelu": nn.GELU,
    "silu": lambda: nn.SiLU(inplace=True),
    "tanh": nn.Tanh,
}
"""Activation names the built-in models accept (LeakyReLU uses slope 0.2, as DCGAN does)."""

NORMS = ("none", "batch", "layer", "spectral")
"""Normalization names the built-in models accept."""


def check_choice(name: str, value: object, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"Expected {name} to be one of {', '.join(repr(c) for c in choices)}, got {value!r}."
        )
    return value


def make_activation(name: str) -> nn.Module:
    """Build the activation layer called ``name`` (see :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[check_choice("activation", name, list(ACTIVATIONS))]()
