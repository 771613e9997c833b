"""The ``[trainer]`` section: the arguments of :class:`~pygan.Trainer` and of its ``fit``."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from pygan._validation import check_int
from pygan.config._checking import Signature, check_kwargs, check_table, check_value
from pygan.trainer import Trainer

__all__ = ["ELSEWHERE", "TrainerConfig"]

_SIGNATURE = Signature.of(Trainer, Trainer.fit)
_FIT = Signature.of(Trainer.fit)

ELSEWHERE: dict[str, str] = {
    "generator": "[generator]",
    "discriminator": "[discriminator]",
    "loss": "[loss]",
    "terms": "[[terms]]",
    "callbacks": "[[callbacks]]",
    "data": "[data]",
    "resume_from": "pygan train --resume (or Run.fit(resume_from=...))",
    "g_optimizer": "[optimizers.g]",
    "d_optimizer": "[optimizers.d]",
    "g_lr": "[optimizers.g] (lr)",
    "d_lr": "[optimizers.d] (lr)",
    "betas": "[optimizers.g] and [optimizers.d] (betas)",
}
"""The Trainer and ``fit`` arguments that other sections (or the command line) set, with
where; every other argument is a ``[trainer]`` key."""

# ``fit`` checks its arguments only when training starts; these are checked when the config
# is read, so a bad value is a config error before a run directory is written. The Trainer's
# own arguments are checked by the Trainer when the run is built.
_FIT_RULES = {"epochs": check_int, "batch_size": check_int}


@dataclass(frozen=True)
class TrainerConfig:
    """The ``[trainer]`` section: arguments of :class:`~pygan.Trainer` and of its ``fit``.

    Its keys are the parameters of ``Trainer.__init__`` and ``Trainer.fit``, checked against
    their type hints, except those other sections set: the parts (``[generator]``,
    ``[discriminator]``, ``[loss]``, ``[[terms]]``, ``[[callbacks]]``, ``[data]``), the
    optimizers (``g_optimizer``, ``g_lr``, ``d_optimizer``, ``d_lr``, ``betas``: from
    ``[optimizers]``) and ``resume_from``. ``epochs`` is required. A setting reads as an
    attribute, the Trainer's default when the config leaves it out. ``seed=None`` leaves the
    random state alone (``pygan train`` then picks a seed and records it in the run's config).

    Attributes:
        kwargs: The settings the config gives.

    Example:
        >>> trainer = TrainerConfig.from_table({"epochs": 30, "seed": 0})
        >>> trainer.epochs, trainer.batch_size, trainer.device
        (30, 64, 'auto')
        >>> TrainerConfig.from_table({"epochs": 30, "batchsize": 8})
        Traceback (most recent call last):
        ...
        pygan.config.ConfigError: trainer.batchsize: Unknown Trainer argument 'batchsize'. Did you mean 'batch_size'? Available: batch_size, compile, d_steps, device, epochs, handle_sigint, log_every_n_steps, precision, seed, skip_nonfinite_steps.
    """

    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_table(cls, raw: Any, key: str = "trainer") -> TrainerConfig:
        """Check a ``[trainer]`` table.

        Raises:
            ConfigError: An unknown key (or one another section sets), a missing ``epochs``,
                or a value that does not fit the argument's type hint.
        """
        table = check_table(key, raw, "a table of Trainer settings")
        check_kwargs(key, "Trainer", _SIGNATURE, table, elsewhere=ELSEWHERE)
        for name, check in _FIT_RULES.items():
            if name in table:
                check_value(f"{key}.{name}", check, table[name])
        return cls(dict(table))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "kwargs" or name not in _SIGNATURE.parameters or name in ELSEWHERE:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        if name in self.kwargs:
            return self.kwargs[name]
        default = _SIGNATURE.parameters[name].default
        if default is inspect.Parameter.empty:
            raise AttributeError(f"trainer.{name} is not set, and the Trainer has no default for it.")
        return default

    def trainer_kwargs(self) -> dict[str, Any]:
        """The settings that are arguments of ``Trainer(...)``."""
        return {k: v for k, v in self.kwargs.items() if k not in _FIT.parameters}

    def fit_kwargs(self) -> dict[str, Any]:
        """The settings that are arguments of ``Trainer.fit`` (``epochs``, ``batch_size``)."""
        return {k: v for k, v in self.kwargs.items() if k in _FIT.parameters}

    def to_dict(self) -> dict[str, Any]:
        """The TOML table: the settings the config gives."""
        return dict(self.kwargs)
