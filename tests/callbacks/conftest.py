"""A tiny training run for callback tests: 96 8x8 images, batch 16, so 6 steps an epoch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch

from pygan import Callback, Generator, Trainer



class _StopAt(Callback):
    """Asks the trainer to stop after ``step``, as the first Ctrl-C does."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        if trainer.global_step == self.step:
            trainer.should_stop = True


@pytest.fixture
def fit(tiny_models, tiny_data, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Trainer]:
    """``fit(callbacks, epochs=2, ...)`` trains seeded tiny MLPs and returns the trainer.

    ``stop_at_step`` interrupts the run after that global step (and expects the
    ``KeyboardInterrupt``); ``global_zero=False`` pretends to be a process of rank > 0; ``g_lr=0.0`` freezes
    the generator's weights; ``generator`` replaces the tiny MLP generator.
    """

    def run(
        callbacks: Sequence[Callback] = (),
        *,
        epochs: int = 2,
        resume_from: Any = None,
        stop_at_step: int | None = None,
        global_zero: bool = True,
        g_lr: float | None = None,
        generator: Generator | None = None,
    ) -> Trainer:
        g, d = tiny_models(seed=1)
        callbacks = [*callbacks, *([_StopAt(stop_at_step)] if stop_at_step else [])]
        g_optimizer = None if g_lr is None else (lambda params: torch.optim.SGD(params, lr=g_lr))
        trainer = Trainer(
            generator or g, d, device="cpu", seed=0, callbacks=callbacks, g_optimizer=g_optimizer
        )
        if not global_zero:
            monkeypatch.setattr(Trainer, "is_global_zero", property(lambda self: False))
        if stop_at_step:
            with pytest.raises(KeyboardInterrupt):
                trainer.fit(tiny_data, epochs=epochs, batch_size=16, resume_from=resume_from)
        else:
            trainer.fit(tiny_data, epochs=epochs, batch_size=16, resume_from=resume_from)
        return trainer

    return run
