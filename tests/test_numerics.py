"""Numerical faults: NaN or infinite losses and gradients stop the run naming epoch, step and
network, never reach a checkpoint, and ``skip_nonfinite_steps=N`` skips up to N bad steps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from pygan import (
    ModelCheckpoint,
    NonFiniteLossError,
    NonSaturatingLoss,
    Trainer,
    load_checkpoint,
)

STEPS_PER_EPOCH = 6  # 96 images, batch 16, d_steps 1


class NaNGradient(torch.autograd.Function):
    """The identity forward; NaN gradients backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad * float("nan")


class FaultyLoss(NonSaturatingLoss):
    """The non-saturating loss, with a NaN discriminator loss on the steps in ``nan_loss_at``
    and NaN generator gradients (its loss finite) on the steps in ``nan_gradient_at``."""

    def __init__(self, nan_loss_at: tuple[int, ...] = (), nan_gradient_at: tuple[int, ...] = ()) -> None:
        self.nan_loss_at, self.nan_gradient_at = nan_loss_at, nan_gradient_at
        self.d_calls = self.g_calls = 0

    def discriminator_loss(self, real_logits, fake_logits, real_target=1.0, fake_target=0.0):
        self.d_calls += 1
        loss = super().discriminator_loss(real_logits, fake_logits, real_target, fake_target)
        return loss * float("nan") if self.d_calls in self.nan_loss_at else loss

    def generator_loss(self, fake_logits):
        self.g_calls += 1
        if self.g_calls in self.nan_gradient_at:
            fake_logits = NaNGradient.apply(fake_logits)
        return super().generator_loss(fake_logits)


def _finite(*modules: torch.nn.Module) -> bool:
    return all(torch.isfinite(p).all() for m in modules for p in m.parameters())


def _optimizer_steps(optimizer: torch.optim.Optimizer) -> int:
    return int(next(iter(optimizer.state_dict()["state"].values()))["step"])


def test_skip_nonfinite_steps_skips_n_bad_steps_and_trains_on(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    loss = FaultyLoss(nan_loss_at=(3, 5), nan_gradient_at=(8,))
    trainer = Trainer(g, d, loss, device="cpu", seed=0, skip_nonfinite_steps=3)
    history = trainer.fit(tiny_data, epochs=2, batch_size=16)
    assert history["steps"] == [STEPS_PER_EPOCH - 2, STEPS_PER_EPOCH - 1]  # skipped steps are not averaged
    assert all(torch.isfinite(torch.tensor(history["d_loss"] + history["g_loss"])))
    assert _optimizer_steps(trainer.d_optimizer) == 2 * STEPS_PER_EPOCH - 2  # the NaN updates were not applied
    assert _optimizer_steps(trainer.g_optimizer) == 2 * STEPS_PER_EPOCH - 1
    assert _finite(g, d)


def test_one_bad_step_more_than_allowed_stops(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    trainer = Trainer(g, d, FaultyLoss(nan_loss_at=(3, 5, 8)), device="cpu", skip_nonfinite_steps=2)
    with pytest.raises(NonFiniteLossError, match="discriminator loss became nan at epoch 2, step 8"):
        trainer.fit(tiny_data, epochs=2, batch_size=16)
    assert _finite(g, d)


def test_skipped_gradient_fault_is_named_when_over_the_limit(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    trainer = Trainer(g, d, FaultyLoss(nan_gradient_at=(4, 10)), device="cpu", skip_nonfinite_steps=1)
    with pytest.raises(NonFiniteLossError, match="A generator gradient became NaN or infinite while its loss was "
                                                 "finite at epoch 2, step 10") as caught:
        trainer.fit(tiny_data, epochs=2, batch_size=16)
    assert (caught.value.network, caught.value.what, caught.value.step) == ("generator", "gradient", 10)
    assert _finite(g, d)


def _stopped_run(tiny_models, tiny_data, tmp_path: Path, loss: FaultyLoss, **kwargs) -> NonFiniteLossError:
    g, d = tiny_models()
    trainer = Trainer(g, d, loss, device="cpu", callbacks=[ModelCheckpoint(tmp_path, keep_last=5)], **kwargs)
    with pytest.raises(NonFiniteLossError) as caught:
        trainer.fit(tiny_data, epochs=3, batch_size=16)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0001.ckpt", "last.ckpt"]  # nothing saved after the fault
    state = load_checkpoint(tmp_path / "last.ckpt")
    assert state["epoch"] == 1
    for part in ("generator", "discriminator"):
        assert all(torch.isfinite(t).all() for t in state[part]["state_dict"].values())
    return caught.value


def test_nan_loss_keeps_the_last_good_checkpoint(tiny_models, tiny_data, tmp_path: Path) -> None:
    error = _stopped_run(tiny_models, tiny_data, tmp_path, FaultyLoss(nan_loss_at=(9,)))
    assert "discriminator loss became nan at epoch 2, step 9" in str(error)


def test_nan_gradient_on_an_epochs_last_step_is_caught_before_the_save(tiny_models, tiny_data, tmp_path: Path) -> None:
    # the losses of step 12 are finite (computed before the update): only the weights show it
    error = _stopped_run(tiny_models, tiny_data, tmp_path, FaultyLoss(nan_gradient_at=(12,)))
    assert "The generator's weights became NaN or infinite while its losses were finite (a gradient " \
           "was not) at epoch 2, one of steps 7-12" in str(error)


def test_nan_gradient_exact_step_with_per_step_figures(tiny_models, tiny_data, tmp_path: Path) -> None:
    error = _stopped_run(tiny_models, tiny_data, tmp_path, FaultyLoss(nan_gradient_at=(9,)), log_every_n_steps=1)
    assert (error.network, error.what, error.step) == ("generator", "weights", 9)
    assert "at epoch 2, step 9." in str(error)


def test_nan_gradient_mid_window_still_stops_before_any_save(tiny_models, tiny_data, tmp_path: Path) -> None:
    # without per-step checks, the NaN generator makes the next discriminator loss NaN
    error = _stopped_run(tiny_models, tiny_data, tmp_path, FaultyLoss(nan_gradient_at=(9,)))
    assert error.epoch == 2 and error.step in (9, 10)
