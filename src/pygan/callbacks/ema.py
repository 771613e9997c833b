"""An exponential moving average of the generator's weights, to sample from."""

from __future__ import annotations

import copy
import warnings
from typing import TYPE_CHECKING, Any

import torch

from pygan._parts import load_weights
from pygan._validation import check_bool, check_fraction, check_int
from pygan.callbacks.base import Callback
from pygan.models.base import Generator
from pygan.registry import CALLBACKS

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["EMA"]


@CALLBACKS.register("ema")
class EMA(Callback):
    """Keep an exponential moving average of the generator's weights (parameters and buffers).

    After every training step past ``start_step`` the average moves towards the weights:
    ``average = d * average + (1 - d) * weights`` (integer buffers are copied). Up to
    ``start_step`` it equals the weights. The update is a few fused ``torch._foreach`` calls on
    the generator's device, however many tensors the generator has.

    With ``warmup`` (the default), ``d`` grows with the number ``k`` of steps averaged so far,
    as TensorFlow's ``ExponentialMovingAverage`` does with ``num_updates`` (timm's
    ``ModelEmaV3`` warms up too, on another curve): ``d = min(decay, (1 + k) / (10 + k))``,
    0.18 on the first step, 0.9 after 80, 0.999 after about 9,000. A run shorter than the
    averaging window (about ``1 / (1 - decay)`` steps) then still samples from recent weights.
    Without it, ``d`` is ``decay`` from the first step, and the average keeps a share
    ``decay ** k`` of the weights it started from: a warning at the end of ``fit`` says when
    that is over half (a 234-step run with ``decay=0.999`` samples from weights that are 79%
    untrained).

    The averaged generator is a copy of the trained one, in eval mode; :meth:`averaged_generator`
    returns it for sampling, and :class:`~pygan.callbacks.SampleGrid` samples from it when the
    trainer has an ``EMA``. A checkpoint stores the averaged weights under
    ``generator_state_dict``, which :func:`pygan.load_generator` prefers. The decay of each
    step follows from the trainer's step count, so a resumed run averages as if never stopped.

    Args:
        decay: Weight of the old average in each update, in [0, 1) (0 copies the weights).
        start_step: Training steps during which the average just copies the weights.
        warmup: Let the decay grow from 0.18 to ``decay`` over the first averaged steps.

    Example:
        >>> from pygan import MLPGenerator, MLPDiscriminator, Trainer
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,))
        >>> ema = EMA(decay=0.999)
        >>> _ = Trainer(g, d, callbacks=[ema], device="cpu", seed=0).fit(
        ...     torch.rand(32, 1, 4, 4) * 2 - 1, epochs=1, batch_size=8)
        >>> ema.averaged_generator().sample(3).shape
        torch.Size([3, 1, 4, 4])
        >>> [round(ema.decay_at(k), 4) for k in (1, 80, 100_000)]
        [0.1818, 0.9, 0.999]
    """

    def __init__(self, decay: float = 0.999, start_step: int = 0, warmup: bool = True) -> None:
        self.decay = check_fraction("decay", decay)
        self.start_step = check_int("start_step", start_step, minimum=0)
        self.warmup = check_bool("warmup", warmup)
        self._source: Generator | None = None
        self._average: Generator | None = None
        self._pending: dict[str, torch.Tensor] | None = None
        self._floats: tuple[list[torch.Tensor], list[torch.Tensor]] = ([], [])
        self._others: tuple[list[torch.Tensor], list[torch.Tensor]] = ([], [])

    def decay_at(self, k: int) -> float:
        """The decay ``d`` of the ``k``-th averaged step (``k`` from 1: the first step after
        ``start_step``)."""
        return min(self.decay, (1 + k) / (10 + k)) if self.warmup else self.decay

    def averaged_generator(self) -> Generator:
        """The generator with the averaged weights (eval mode); it changes as training goes on.

        Raises:
            RuntimeError: No training has started yet, so there is nothing averaged.
        """
        if self._average is None:
            raise RuntimeError(
                "EMA has no averaged generator yet: it copies the generator when fit starts. "
                "Pass the callback to a Trainer and call fit() first."
            )
        return self._average

    def on_fit_start(self, trainer: Trainer) -> None:
        """Copy the generator (unless continuing the same one) and pair up its tensors."""
        if self._source is trainer.generator and self._average is not None:
            return
        self._source = trainer.generator
        self._average = copy.deepcopy(trainer.generator).eval().requires_grad_(False)
        if self._pending is not None:
            self._load(self._pending)
            self._pending = None
        # parameters() and buffers() list a shared (tied) tensor once, so it moves once a step
        averaged = [*self._average.parameters(), *self._average.buffers()]
        current = [t.detach() for t in (*trainer.generator.parameters(), *trainer.generator.buffers())]
        self._floats, self._others = ([], []), ([], [])
        for mine, theirs in zip(averaged, current):
            group = self._floats if theirs.is_floating_point() else self._others
            group[0].append(mine)
            group[1].append(theirs)

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        """Move the average one step towards the generator's current weights."""
        averaged, current = self._floats
        k = trainer.global_step - self.start_step
        if k <= 0:
            torch._foreach_copy_(averaged, current)
        else:
            torch._foreach_lerp_(averaged, current, 1.0 - self.decay_at(k))
        if self._others[0]:
            torch._foreach_copy_(*self._others)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Warn (on rank 0) when, without warmup, the average is still over half the weights it
        started from: the run was shorter than the averaging window."""
        k = trainer.global_step - self.start_step
        if self.warmup or k <= 0 or self.decay**k <= 0.5 or not trainer.is_global_zero:
            return
        start = "the untrained weights" if self.start_step == 0 else f"the weights of step {self.start_step}"
        warnings.warn(
            f"EMA(decay={self.decay}, warmup=False) averaged {k} steps, fewer than its window of "
            f"about {1 / (1 - self.decay):.0f}: the average is still {self.decay**k:.0%} {start}, "
            f"so samples from it look like those. Use warmup=True, a lower decay, or train longer.",
            RuntimeWarning,
            stacklevel=2,
        )

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights under ``generator_state_dict`` (empty before any training)."""
        if self._average is not None:
            return {"generator_state_dict": {k: v.clone() for k, v in self._average.state_dict().items()}}
        if self._pending is not None:
            return {"generator_state_dict": dict(self._pending)}
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the averaged weights (applied when fit starts, if it has not yet)."""
        weights = state.get("generator_state_dict")
        if weights is None:
            return
        if self._average is None:
            self._pending = {k: v.clone() for k, v in weights.items()}
        else:
            self._load(weights)

    def _load(self, weights: dict[str, torch.Tensor]) -> None:
        load_weights(self._average, weights, "EMA generator")  # type: ignore[arg-type]
