"""Decay the learning rates linearly to the end of the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pygan._validation import check_fraction
from pygan.callbacks.base import Callback
from pygan.models._layers import check_choice
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["LinearDecay"]


@CALLBACKS.register("linear_decay")
class LinearDecay(Callback):
    """Scale the optimizers' learning rates down linearly over the last part of the run.

    For the first ``start`` fraction of the run's steps the learning rates are as configured;
    from there they fall in a straight line to ``final`` times their configured values at the
    last step (as pix2pix and CycleGAN train). The factor follows from ``trainer.global_step``
    and the run's length (``max_epochs * steps_per_epoch``), so a resumed run continues on the
    same line. The configured rates are kept in each parameter group's ``initial_lr`` (as
    torch's learning-rate schedulers keep them), which the optimizers' checkpointed state holds.
    A :class:`~pygan.callbacks.TimeLimit` that shortens the run moves the line's end: the rates
    drop at once to where the shorter run's line has them.

    Args:
        start: Fraction of the run's steps trained at the configured rates, in [0, 1).
        final: The rates at the last step, as a fraction of the configured ones, in [0, 1];
            1 keeps them as configured (to switch a config's decay off with ``--set``).
        networks: Whose rates fall: ``"both"`` (the default), ``"generator"`` or
            ``"discriminator"``; the other keeps its configured rate. On Fashion-MNIST,
            lowering the generator's rate alone over the last quarter brought the MLP judges'
            Fréchet distance down by a quarter to a third at a smaller cost by the CNN judges
            than lowering both; lowering the discriminator's alone made every judge's worse
            (docs: Experiment log).

    Raises:
        ValueError: ``start`` is outside [0, 1), ``final`` outside [0, 1], or ``networks`` is
            not one of the three names.

    Example:
        >>> import torch
        >>> from pygan import MLPGenerator, MLPDiscriminator, Trainer
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,))
        >>> decay = LinearDecay(start=0.5)
        >>> trainer = Trainer(g, d, g_lr=2e-4, callbacks=[decay], device="cpu", seed=0)
        >>> _ = trainer.fit(torch.rand(32, 1, 4, 4) * 2 - 1, epochs=4, batch_size=8)
        >>> [decay.factor(step, 16) for step in (0, 8, 12, 16)]
        [1.0, 1.0, 0.5, 0.0]
        >>> trainer.g_optimizer.param_groups[0]["lr"]
        0.0
        >>> generator_only = LinearDecay(start=0.5, networks="generator")
        >>> trainer = Trainer(g, d, g_lr=2e-4, d_lr=1e-4, callbacks=[generator_only], device="cpu", seed=0)
        >>> _ = trainer.fit(torch.rand(32, 1, 4, 4) * 2 - 1, epochs=4, batch_size=8)
        >>> trainer.g_optimizer.param_groups[0]["lr"], trainer.d_optimizer.param_groups[0]["lr"]
        (0.0, 0.0001)
    """

    def __init__(self, start: float = 0.5, final: float = 0.0, networks: str = "both") -> None:
        self.start = check_fraction("start", start)
        self.final = check_fraction("final", final, high_inclusive=True)
        self.networks = check_choice("networks", networks, ("both", "generator", "discriminator"))

    def factor(self, step: int, total_steps: int) -> float:
        """The learning-rate factor after ``step`` of ``total_steps`` steps (1 before the decay)."""
        begin = self.start * total_steps
        if step <= begin:
            return 1.0
        progress = min(1.0, (step - begin) / (total_steps - begin))
        return 1.0 - (1.0 - self.final) * progress

    def _apply(self, trainer: Trainer) -> None:
        factor = self.factor(
            trainer.global_step, trainer.max_epochs * trainer.steps_per_epoch
        )
        decaying = {
            "both": (trainer.g_optimizer, trainer.d_optimizer),
            "generator": (trainer.g_optimizer,),
            "discriminator": (trainer.d_optimizer,),
        }[self.networks]
        for optimizer in decaying:
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"] * factor

    def on_fit_start(self, trainer: Trainer) -> None:
        """Record the configured rates (kept from a resumed run's optimizers) and set the first
        step's."""
        for optimizer in (trainer.g_optimizer, trainer.d_optimizer):
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self._apply(trainer)

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Set the rates of the next step."""
        self._apply(trainer)
