"""The relativistic losses: each function against its formula, classes against functions,
gradients, and the Trainer handing real logits to the generator's loss only when it asks."""

from __future__ import annotations

import math

import pytest
import torch

import pygan
from pygan import LOSSES, LabelSmoothing, NonSaturatingLoss, RelativisticLoss, Trainer
from pygan import functional as PF

F64 = torch.float64
RELATIVISTIC = ["relativistic", "relativistic_average"]


def probs(x: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-x))


@pytest.fixture
def logits() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, generator=g, dtype=F64) * 3, torch.randn(16, generator=g, dtype=F64) * 3 - 1


# ------------------------------------------------------------------------------ functions
def test_rsgan_against_formula(logits) -> None:
    real, fake = logits
    torch.testing.assert_close(PF.relativistic_discriminator_loss(real, fake), -torch.log(probs(real - fake)).mean())
    torch.testing.assert_close(PF.relativistic_generator_loss(fake, real), -torch.log(probs(fake - real)).mean())


def test_rasgan_against_formula(logits) -> None:
    real, fake = logits[0], logits[1][:11]  # the batches may differ in size
    d_expected = -torch.log(probs(real - fake.mean())).mean() - torch.log(1 - probs(fake - real.mean())).mean()
    g_expected = -torch.log(probs(fake - real.mean())).mean() - torch.log(1 - probs(real - fake.mean())).mean()
    torch.testing.assert_close(PF.relativistic_average_discriminator_loss(real, fake), d_expected)
    torch.testing.assert_close(PF.relativistic_average_generator_loss(fake, real), g_expected)


def test_hand_computed_values() -> None:
    # RSGAN: pairs (2, 0) and (0, 2) give softplus(-2) + softplus(2) over 2 = 1 + log(1 + e^-2).
    real, fake = torch.tensor([2.0, 0.0], dtype=F64), torch.tensor([0.0, 2.0], dtype=F64)
    assert PF.relativistic_discriminator_loss(real, fake).item() == pytest.approx(1.1269280110429727)
    # RaSGAN: real (1, 3) has mean 2, fake (0, 0, 0) mean 0:
    # [softplus(-1) + softplus(-3)] / 2 + softplus(0 - 2) for D; softplus(2) + [softplus(1) + softplus(3)] / 2 for G.
    real, fake = torch.tensor([1.0, 3.0], dtype=F64), torch.zeros(3, dtype=F64)
    d_by_hand = (math.log1p(math.exp(-1)) + math.log1p(math.exp(-3))) / 2 + math.log1p(math.exp(-2))
    g_by_hand = math.log1p(math.exp(2)) + (math.log1p(math.exp(1)) + math.log1p(math.exp(3))) / 2
    assert d_by_hand == pytest.approx(0.3078527) and g_by_hand == pytest.approx(4.3078527)
    assert PF.relativistic_average_discriminator_loss(real, fake).item() == pytest.approx(d_by_hand)
    assert PF.relativistic_average_generator_loss(fake, real).item() == pytest.approx(g_by_hand)


@pytest.mark.parametrize(
    "fn",
    [
        PF.relativistic_discriminator_loss,
        PF.relativistic_generator_loss,
        PF.relativistic_average_discriminator_loss,
        PF.relativistic_average_generator_loss,
    ],
)
def test_only_differences_of_logits_count_and_extremes_stay_finite(fn, logits) -> None:
    a, b = logits
    torch.testing.assert_close(fn(a + 5.0, b + 5.0), fn(a, b))
    big = torch.tensor([1e4, -1e4], requires_grad=True)  # probabilities would give log(0) here
    value = fn(big, big.flip(0).detach())
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(big.grad).all()


def test_paired_loss_refuses_logits_of_different_shapes() -> None:
    with pytest.raises(ValueError, match=r"got real \(8,\) and fake \(6,\).*'relativistic_average'"):
        PF.relativistic_discriminator_loss(torch.zeros(8), torch.zeros(6))
    with pytest.raises(ValueError, match=r"got fake \(6,\) and real \(8,\)"):
        PF.relativistic_generator_loss(torch.zeros(6), torch.zeros(8))
    with pytest.raises(ValueError, match=r"got real \(4, 1\) and fake \(4,\)"):  # would broadcast to (4, 4)
        RelativisticLoss().discriminator_loss(torch.zeros(4, 1), torch.zeros(4))


# -------------------------------------------------------------------------------- classes
CLASS_VS_FUNCTION = [
    ("relativistic", PF.relativistic_discriminator_loss, PF.relativistic_generator_loss),
    ("relativistic_average", PF.relativistic_average_discriminator_loss, PF.relativistic_average_generator_loss),
]


@pytest.mark.parametrize(("name", "d_fn", "g_fn"), CLASS_VS_FUNCTION)
def test_class_agrees_with_function_and_ignores_targets(name, d_fn, g_fn, logits) -> None:
    real, fake = logits
    loss = LOSSES.create(name)
    assert loss.needs_real_logits is True and loss.uses_targets is False
    torch.testing.assert_close(loss.discriminator_loss(real, fake, 0.9, torch.full((16,), 0.1)), d_fn(real, fake))
    torch.testing.assert_close(loss.generator_loss(fake, real_logits=real), g_fn(fake, real))


def test_registered_and_public() -> None:
    assert LOSSES.get("relativistic") is pygan.RelativisticLoss is pygan.losses.RelativisticLoss
    assert LOSSES.get("relativistic_average") is pygan.RelativisticAverageLoss


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_gradients_reach_both_logits(name: str, logits) -> None:
    real, fake = (t.clone().requires_grad_() for t in logits)
    loss = LOSSES.create(name)
    d_real, d_fake = torch.autograd.grad(loss.discriminator_loss(real, fake), (real, fake))
    assert (d_real < 0).all() and (d_fake > 0).all()  # D pushes real logits up, fake ones down
    g_fake, g_real = torch.autograd.grad(loss.generator_loss(fake, real_logits=real), (fake, real))
    assert (g_fake < 0).all() and (g_real > 0).all()  # G's loss falls as its logits rise past the real ones


# -------------------------------------------------------------------------------- Trainer
@pytest.mark.parametrize("name", RELATIVISTIC)
def test_trainer_trains_with_each(name: str, tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    g_before = [p.detach().clone() for p in g.parameters()]
    d_before = [p.detach().clone() for p in d.parameters()]
    history = Trainer(g, d, name, device="cpu", seed=0).fit(tiny_data, epochs=2, batch_size=32)
    assert len(history) == 2
    assert all(math.isfinite(v) for v in history["d_loss"] + history["g_loss"])
    assert all(not torch.equal(a, b) for a, b in zip(g_before, g.parameters()))
    # D's weight matrices; not its last bias, which shifts every logit alike: these losses
    # only see differences of logits, so its gradient is (up to rounding) zero.
    assert all(not torch.equal(a, b) for a, b in zip(d_before, d.parameters()) if a.dim() > 1)


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_label_smoothing_warns_that_it_does_nothing(name: str, tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    loss = LOSSES.create(name)
    with pytest.warns(UserWarning, match=f"no effect with {type(loss).__name__}"):
        Trainer(g, d, loss, device="cpu", callbacks=[LabelSmoothing()]).fit(tiny_data, epochs=1, batch_size=48)


def test_trainer_passes_the_real_images_logits_to_generator_loss(tiny_models) -> None:
    g, d = tiny_models(dropout=0.0)  # deterministic: D(x) can be recomputed
    image = torch.linspace(-1, 1, 64).view(1, 8, 8)
    seen: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    class Spy(RelativisticLoss):
        def generator_loss(self, fake_logits, real_logits):
            with torch.no_grad():  # D's weights now: those the generator's update sees
                expected = d(image.expand(len(real_logits), -1, -1, -1))
            seen.append((fake_logits.detach(), real_logits.detach(), expected))
            return super().generator_loss(fake_logits, real_logits)

    Trainer(g, d, Spy(), device="cpu", seed=0).fit(image.expand(32, -1, -1, -1), epochs=2, batch_size=16)
    assert len(seen) == 4  # 2 epochs of 2 steps
    for fake_logits, real_logits, expected in seen:
        assert real_logits.shape == fake_logits.shape == (16,)
        torch.testing.assert_close(real_logits, expected)
    assert not torch.equal(seen[0][1], seen[-1][1])  # D trained in between: fresh logits each step


@pytest.mark.parametrize("norm", ["none", "batch"])  # one joint discriminator pass, or separate ones
def test_only_a_loss_that_needs_real_logits_costs_a_pass_over_the_real_images(tiny_models, tiny_data, norm) -> None:
    received: list[dict[str, object]] = []

    class PlainSpy(NonSaturatingLoss):
        def generator_loss(self, fake_logits, **kwargs):
            received.append(kwargs)
            return super().generator_loss(fake_logits)

    def d_forward_per_step(loss: pygan.GANLoss) -> tuple[float, float]:
        """(discriminator calls, images through it) per training step, for 1 epoch of 3 steps."""
        g, d = tiny_models(norm=norm)
        calls: list[int] = []
        d.register_forward_hook(lambda module, args, output: calls.append(len(args[0])))
        Trainer(g, d, loss, device="cpu", seed=0).fit(tiny_data, epochs=1, batch_size=32)
        return len(calls) / 3, sum(calls) / 3

    plain = d_forward_per_step(PlainSpy())
    assert received and all(kwargs == {} for kwargs in received)  # never given real logits
    # D's update: real and generated images (one joint pass, or two with batch norm); the
    # generator's update: the generated images only, as before relativistic losses existed.
    assert plain == ((2, 96) if norm == "none" else (3, 96))
    relativistic = d_forward_per_step(RelativisticLoss())
    assert relativistic == ((2, 128) if norm == "none" else (4, 128))  # + the real images in G's update
