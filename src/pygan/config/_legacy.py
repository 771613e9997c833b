"""Configs written by pygan 0.1.0: its InfoGAN settings, read in today's form.

0.1.0 set InfoGAN's information term with ``[trainer] info_weight`` (and wrote
``info_weight = 0.0`` into every run's ``config.toml``) and the discriminator's code head with
``[discriminator] code_categories`` (an ``mlp`` argument). Both are now other sections: a
``[[terms]]`` table ``{name = "info", weight = ...}`` and ``heads = {code = ...}``.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

__all__ = ["upgrade"]


def upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """Return ``raw`` with 0.1.0's InfoGAN settings rewritten, warning about each non-zero one.

    A value that is not a number is left where it is, for the usual checks to report.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     upgrade({"trainer": {"epochs": 5, "info_weight": 0.1}, "discriminator": {"name": "mlp", "code_categories": 10}})
        {'trainer': {'epochs': 5}, 'discriminator': {'name': 'mlp', 'heads': {'code': 10}}, 'terms': [{'name': 'info', 'weight': 0.1}]}
        >>> upgrade({"trainer": {"epochs": 5, "info_weight": 0.0}})  # what every 0.1.0 run wrote
        {'trainer': {'epochs': 5}}
    """
    trainer = raw.get("trainer") if isinstance(raw.get("trainer"), dict) else {}
    discriminator = raw.get("discriminator") if isinstance(raw.get("discriminator"), dict) else {}
    weight, categories = trainer.get("info_weight"), discriminator.get("code_categories")
    legacy_weight = _is_number(weight)
    legacy_head = _is_number(categories) and discriminator.get("name") == "mlp"
    if not (legacy_weight or legacy_head):
        return raw
    raw = copy.deepcopy(raw)
    if legacy_weight:
        del raw["trainer"]["info_weight"]
        if weight:
            _warn("trainer.info_weight", weight, f'a [[terms]] table {{name = "info", weight = {weight}}}')
            terms = raw.setdefault("terms", [])
            if isinstance(terms, list) and not any(isinstance(t, dict) and t.get("name") == "info" for t in terms):
                terms.append({"name": "info", "weight": weight})
    if legacy_head:
        del raw["discriminator"]["code_categories"]
        if categories:
            _warn("discriminator.code_categories", categories, f"discriminator.heads = {{code = {categories}}}")
            heads = raw["discriminator"].setdefault("heads", {})
            if isinstance(heads, dict):
                heads.setdefault("code", categories)
    return raw


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _warn(key: str, value: Any, now: str) -> None:
    warnings.warn(
        f"{key} = {value} is pygan 0.1.0's form; read as {now}. Write that instead.",
        FutureWarning,
        stacklevel=4,
    )
