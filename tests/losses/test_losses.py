"""Each loss against its formula; classes agree with their functions; every registered loss
gives scalar losses with gradients."""

from __future__ import annotations

import pytest
from types import SimpleNamespace

import torch

import pygan
from pygan import LOSSES
from pygan import functional as PF

F64 = torch.float64


@pytest.fixture
def logits() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, generator=g, dtype=F64) * 3, torch.randn(16, generator=g, dtype=F64) * 3


def probs(x: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-x))


def test_bce_discriminator_against_formula(logits) -> None:
    real, fake = logits
    expected = -(torch.log(probs(real)).mean() + torch.log(1 - probs(fake)).mean())
    torch.testing.assert_close(PF.bce_discriminator_loss(real, fake), expected)


def test_bce_with_smoothed_and_per_sample_targets(logits) -> None:
    real, fake = logits
    t_real = torch.linspace(0.8, 1.0, 16, dtype=F64)
    p_r, p_f = probs(real), probs(fake)
    expected = -(t_real * torch.log(p_r) + (1 - t_real) * torch.log(1 - p_r)).mean() - (
        0.1 * torch.log(p_f) + 0.9 * torch.log(1 - p_f)
    ).mean()
    torch.testing.assert_close(PF.bce_discriminator_loss(real, fake, t_real, 0.1), expected)


def test_minimax_generator_is_log_one_minus_d(logits) -> None:
    _, fake = logits
    torch.testing.assert_close(PF.minimax_generator_loss(fake), torch.log(1 - probs(fake)).mean())


def test_non_saturating_generator_is_minus_log_d(logits) -> None:
    _, fake = logits
    torch.testing.assert_close(PF.non_saturating_generator_loss(fake), -torch.log(probs(fake)).mean())


def test_minimax_saturates_where_non_saturating_does_not() -> None:
    fake = torch.full((4,), -10.0, dtype=F64, requires_grad=True)  # D confidently rejects the samples
    (g_mm,) = torch.autograd.grad(PF.minimax_generator_loss(fake), fake)
    (g_ns,) = torch.autograd.grad(PF.non_saturating_generator_loss(fake), fake)
    assert g_mm.abs().max() < 1e-4 < g_ns.abs().min()


def test_least_squares_against_formula(logits) -> None:
    real, fake = logits
    expected = 0.5 * ((real - 0.9) ** 2).mean() + 0.5 * (fake**2).mean()
    torch.testing.assert_close(PF.least_squares_discriminator_loss(real, fake, 0.9, 0.0), expected)
    torch.testing.assert_close(PF.least_squares_generator_loss(fake), 0.5 * ((fake - 1) ** 2).mean())


def test_hinge_against_formula(logits) -> None:
    real, fake = logits
    expected = torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean()
    torch.testing.assert_close(PF.hinge_discriminator_loss(real, fake), expected)
    torch.testing.assert_close(PF.hinge_generator_loss(fake), -fake.mean())


def test_wasserstein_against_formula(logits) -> None:
    real, fake = logits
    torch.testing.assert_close(PF.wasserstein_discriminator_loss(real, fake), fake.mean() - real.mean())
    torch.testing.assert_close(PF.wasserstein_generator_loss(fake), -fake.mean())


def test_gradient_penalty_of_linear_critic() -> None:
    w = torch.tensor([3.0, 4.0], dtype=torch.float64)  # gradient norm 5 everywhere
    penalty = PF.gradient_penalty(
        lambda x: x.flatten(1) @ w, torch.zeros(6, 2, dtype=F64), torch.ones(6, 2, dtype=F64)
    )
    torch.testing.assert_close(penalty, torch.tensor(16.0, dtype=F64))


def test_gradient_penalty_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="same shape"):
        PF.gradient_penalty(lambda x: x.sum(1), torch.zeros(2, 3), torch.zeros(3, 3))


CLASS_VS_FUNCTION = [
    ("minimax", PF.bce_discriminator_loss, PF.minimax_generator_loss, True),
    ("non_saturating", PF.bce_discriminator_loss, PF.non_saturating_generator_loss, True),
    ("least_squares", PF.least_squares_discriminator_loss, PF.least_squares_generator_loss, True),
    ("hinge", PF.hinge_discriminator_loss, PF.hinge_generator_loss, False),
    ("wasserstein", PF.wasserstein_discriminator_loss, PF.wasserstein_generator_loss, False),
]


@pytest.mark.parametrize(("name", "d_fn", "g_fn", "targets"), CLASS_VS_FUNCTION)
def test_class_agrees_with_function(name, d_fn, g_fn, targets, logits) -> None:
    real, fake = logits
    loss = LOSSES.create(name)
    assert loss.uses_targets is targets
    d_args = (real, fake, 0.9, 0.1) if targets else (real, fake)
    torch.testing.assert_close(loss.discriminator_loss(real, fake, 0.9, 0.1), d_fn(*d_args))
    torch.testing.assert_close(loss.generator_loss(fake), g_fn(fake))


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_registered_loss_is_scalar_and_differentiable(name: str) -> None:
    loss = LOSSES.create(name)
    d = pygan.MLPDiscriminator((1, 4, 4), hidden=(8,))
    real, fake = torch.rand(5, 1, 4, 4), torch.rand(5, 1, 4, 4)
    d_loss = loss.discriminator_loss(d(real), d(fake), torch.full((5,), 0.9), 0.0)
    penalty = loss.penalty(d, real, fake)
    if penalty is not None:
        d_loss = d_loss + penalty
    if loss.needs_real_logits:
        g_loss = loss.generator_loss(d(fake), real_logits=d(real))
    else:
        g_loss = loss.generator_loss(d(fake))
    assert d_loss.dim() == 0 and g_loss.dim() == 0
    d_loss.backward()
    assert all(p.grad is not None for p in d.parameters())


def test_wasserstein_penalty_weight() -> None:
    assert pygan.WassersteinLoss(gp_weight=0).penalty(None, None, None) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gp_weight"):
        pygan.WassersteinLoss(gp_weight=-1)


def test_r1_penalty_of_quadratic_critic() -> None:
    real = torch.tensor([[1.0, 2.0], [0.0, 3.0]], dtype=F64)  # D(x) = ||x||²: gradient 2x
    penalty = PF.r1_penalty(lambda x: x.pow(2).sum(1), real)
    torch.testing.assert_close(penalty, torch.tensor((20.0 + 36.0) / 2, dtype=F64))
    assert not real.requires_grad  # the caller's tensor is left as it was


@pytest.mark.parametrize("name", ["minimax", "non_saturating", "least_squares", "hinge"])
def test_r1_weight_adds_the_r1_term_which_trains_the_discriminator_towards_flatness(name: str) -> None:
    torch.manual_seed(0)
    d = pygan.MLPDiscriminator((1, 4, 4), hidden=(8,)).eval()  # no dropout: two passes agree
    real = torch.rand(5, 1, 4, 4)
    assert LOSSES.create(name).terms() == []  # off by default
    loss = LOSSES.create(name, r1_weight=4.0)
    assert loss.config == {"r1_weight": 4.0}
    (term,) = loss.terms()
    assert isinstance(term, pygan.R1Penalty) and term.weight == 4.0
    step = SimpleNamespace(discriminator=d, real=real)
    value = term.weight * term.discriminator_term(step)  # type: ignore[arg-type]
    torch.testing.assert_close(value, 2.0 * PF.r1_penalty(d, real))
    value.backward()  # its gradient reaches D's weights (the graph was kept)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in d.parameters() if p.dim() > 1)
    with pytest.raises(ValueError, match="r1_weight"):
        LOSSES.create(name, r1_weight=-1.0)


def test_wasserstein_gp_weight_adds_the_gradient_penalty_term() -> None:
    (term,) = pygan.WassersteinLoss(gp_weight=10.0).terms()
    assert isinstance(term, pygan.GradientPenalty) and term.weight == 10.0
    assert pygan.WassersteinLoss(gp_weight=0).terms() == []


def test_a_subclass_that_overrides_penalty_replaces_the_built_in_penalty_term() -> None:
    class OwnPenalty(pygan.WassersteinLoss):
        def penalty(self, discriminator, real, fake):  # type: ignore[no-untyped-def]
            return real.sum() * 0

    assert OwnPenalty(gp_weight=10.0).terms() == []


def test_subclass_with_its_own_init_still_has_no_penalty() -> None:
    class Custom(pygan.NonSaturatingLoss):
        def __init__(self, scale: float = 1.0) -> None:  # does not call super().__init__()
            self.scale = scale

    assert Custom(2.0).penalty(pygan.MLPDiscriminator((1, 4, 4), hidden=(8,)), torch.rand(2, 1, 4, 4), None) is None
