"""The steps that bring an older checkpoint up to the format this pygan writes.

``UPGRADES[v]`` turns a format ``v`` checkpoint into format ``v + 1`` (the caller then sets
``format_version``); :func:`pygan.checkpoint.load_checkpoint` applies them in turn. Whoever
raises :data:`pygan.checkpoint.FORMAT_VERSION` adds the step from the old one here.

A step must take any dict a pygan of that format wrote with ``save_checkpoint``: training
checkpoints, and other states such as the digit classifier's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["UPGRADES"]

_MLP_DISCRIMINATOR = "pygan.models.mlp.MLPDiscriminator"


def _code_head_to_heads(state: dict[str, Any]) -> dict[str, Any]:
    """Format 1 (pygan 0.1.0) to 2: ``MLPDiscriminator(code_categories=K)``, InfoGAN's code
    head with weights ``code_head.*``, became ``MLPDiscriminator(heads={"code": K})`` with
    weights ``heads.code.*`` (``code_categories=0``, no head, is just dropped).

    Example:
        >>> spec = {"class": "pygan.models.mlp.MLPDiscriminator", "kwargs": {"hidden": (16,),
        ...         "code_categories": 3}, "state_dict": {"net.1.bias": 0, "code_head.bias": 1}}
        >>> new = _code_head_to_heads({"discriminator": spec})["discriminator"]
        >>> new["kwargs"], new["state_dict"]
        ({'hidden': (16,), 'heads': {'code': 3}}, {'net.1.bias': 0, 'heads.code.bias': 1})
    """
    spec = state.get("discriminator")
    if not isinstance(spec, dict) or spec.get("class") != _MLP_DISCRIMINATOR:
        return state
    spec = dict(spec)
    kwargs = spec.get("kwargs")
    if isinstance(kwargs, dict) and "code_categories" in kwargs:
        kwargs = dict(kwargs)
        categories = kwargs.pop("code_categories")
        if categories:
            kwargs["heads"] = {"code": categories}
        spec["kwargs"] = kwargs
    if isinstance(spec.get("state_dict"), dict):
        old, new = "code_head.", "heads.code."
        spec["state_dict"] = {
            new + key[len(old) :] if key.startswith(old) else key: value for key, value in spec["state_dict"].items()
        }
    return {**state, "discriminator": spec}


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _code_head_to_heads}
"""``UPGRADES[v]`` turns a format ``v`` checkpoint into format ``v + 1``."""
