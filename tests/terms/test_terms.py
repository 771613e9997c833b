"""The loss-term extension point: what a term sees, what the Trainer does with its values,
and what it refuses before any training."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from pygan import (
    CSVLogger,
    Callback,
    LossTerm,
    MLPDiscriminator,
    MLPGenerator,
    ProgressBar,
    Step,
    Trainer,
)
from pygan.training.step import term_figure_keys

SHAPE = (1, 8, 8)
Models = Callable[..., tuple[MLPGenerator, MLPDiscriminator]]


class Recorder(LossTerm):
    """Keeps every Step it is given and adds nothing."""

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__(weight)
        self.steps: list[Step] = []

    def discriminator_term(self, step: Step) -> torch.Tensor | None:
        self.steps.append(step)
        return None

    def generator_term(self, step: Step) -> torch.Tensor | None:
        self.steps.append(step)
        return None


class FakeMean(LossTerm):
    """``mean(fake)`` in the generator's update, ``-mean(real logits)`` in D's."""

    def discriminator_term(self, step: Step) -> torch.Tensor:
        return -step.real_logits.mean()  # type: ignore[union-attr]

    def generator_term(self, step: Step) -> torch.Tensor:
        return step.fake.mean()


def test_a_term_sees_the_images_latents_logits_and_models_of_each_update(
    tiny_models: Models, tiny_data: torch.Tensor
) -> None:
    g, d = tiny_models()
    recorder = Recorder()
    trainer = Trainer(g, d, terms=[recorder], d_steps=2, device="cpu", seed=0)
    trainer.fit(tiny_data, epochs=1, batch_size=16)  # 6 batches: 3 steps of 2 D updates
    phases = [step.phase for step in recorder.steps]
    assert phases == ["discriminator", "discriminator", "generator"] * 3
    for step in recorder.steps:
        assert step.real.shape == step.fake.shape == (16, *SHAPE)
        assert step.z.shape == (16, g.latent_dim)
        assert step.fake_logits.shape == (16,) and step.fake_logits.dtype == torch.float32
        assert step.real_labels is None and step.fake_labels is None
        assert step.generator is g and step.discriminator is d and step.trainer is trainer
        assert step.real_heads == {} and step.fake_heads == {}  # no term asked for heads
        if step.phase == "discriminator":
            assert step.real_logits is not None and step.real_logits.shape == (16,)
            assert not step.fake.requires_grad  # detached: D's update does not train G
        else:
            assert step.real_logits is None  # not computed: nothing asked for it
            assert step.fake.requires_grad  # G's update trains through it
    d_step, g_step = recorder.steps[1], recorder.steps[2]
    assert torch.equal(d_step.real, g_step.real) and torch.equal(d_step.z, g_step.z)


def test_the_weighted_values_are_added_to_the_losses_and_shown_as_figures(
    tiny_models: Models, tiny_data: torch.Tensor, tmp_path: Path
) -> None:
    figures = {}
    for weight in (0.0, 1000.0):
        trainer = Trainer(*tiny_models(), terms=[FakeMean(weight)], device="cpu", seed=0)
        callbacks = [CSVLogger(tmp_path / f"metrics-{weight}.csv")]
        trainer.callbacks.extend(callbacks)
        figures[weight] = trainer.fit(tiny_data, epochs=1, batch_size=96)[-1]  # one step
    assert figures[0.0]["d_fake_mean"] == figures[0.0]["g_fake_mean"] == 0.0
    high = figures[1000.0]
    assert high["d_loss"] - figures[0.0]["d_loss"] == pytest.approx(high["d_fake_mean"], rel=1e-3)
    assert high["g_loss"] - figures[0.0]["g_loss"] == pytest.approx(high["g_fake_mean"], rel=1e-3)
    assert abs(high["g_fake_mean"]) > 1  # weighted: 1000 x a mean pixel value
    with open(tmp_path / "metrics-1000.0.csv") as handle:
        row = next(csv.DictReader(handle))
    assert float(row["g_fake_mean"]) == pytest.approx(high["g_fake_mean"])


def test_a_term_that_asks_for_real_logits_gets_them_in_the_generators_update_for_one_more_pass(
    tiny_models: Models, tiny_data: torch.Tensor
) -> None:
    class NeedsReal(Recorder):
        needs_real_logits = True

    counts = {}
    for term in (Recorder(), NeedsReal()):
        g, d = tiny_models()
        calls: list[int] = []
        d.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
        Trainer(g, d, terms=[term], device="cpu", seed=0).fit(tiny_data, epochs=1, batch_size=96)
        g_step = term.steps[-1]
        counts[type(term).__name__] = calls
        if isinstance(term, NeedsReal):
            assert g_step.real_logits is not None and g_step.real_logits.shape == (96,)
    assert counts["Recorder"] == [192, 96]  # D's joint pass, then G's pass on fake only
    assert counts["NeedsReal"] == [192, 192]  # G's update runs real and fake together


def test_heads_come_from_the_pass_being_optimized(tiny_models: Models, tiny_data: torch.Tensor) -> None:
    class ReadsHead(Recorder):
        needs_heads = ("class",)

    g, _ = tiny_models()
    d = MLPDiscriminator(SHAPE, hidden=(16,), heads={"class": 3})
    calls: list[int] = []
    d.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
    term = ReadsHead()
    Trainer(g, d, terms=[term], device="cpu", seed=0).fit(tiny_data, epochs=1, batch_size=96)
    d_step, g_step = term.steps
    assert d_step.real_heads["class"].shape == d_step.fake_heads["class"].shape == (96, 3)
    assert g_step.fake_heads["class"].shape == (96, 3) and g_step.real_heads == {}
    assert calls == [192, 96]  # no extra pass for the heads


@pytest.mark.parametrize("phase", ["discriminator", "generator"])
@pytest.mark.parametrize("bad", [torch.ones(3), 1.5, "x"])
def test_a_term_that_returns_no_scalar_is_refused_before_any_weight_changes(
    tiny_models: Models, tiny_data: torch.Tensor, phase: str, bad: Any
) -> None:
    class Bad(LossTerm):
        def discriminator_term(self, step: Step) -> Any:
            return bad if phase == "discriminator" else None

        def generator_term(self, step: Step) -> Any:
            return bad if phase == "generator" else None

    g, d = tiny_models()
    before = [p.detach().clone() for p in (*g.parameters(), *d.parameters())]
    trainer = Trainer(g, d, terms=[Bad()], d_steps=2, device="cpu", seed=0)
    method = "discriminator_term" if phase == "discriminator" else "generator_term"
    with pytest.raises(ValueError, match=f"Bad.{method} must return a scalar tensor or None"):
        trainer.fit(tiny_data, epochs=1, batch_size=16)
    after = [p.detach() for p in (*g.parameters(), *d.parameters())]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(not state for state in trainer.d_optimizer.state.values())  # Adam never stepped


@pytest.mark.parametrize(
    ("terms", "match"),
    [
        ([torch.nn.MSELoss()], "terms must be pygan LossTerms.*MSELoss"),
        (["info"], "terms must be pygan LossTerms.*str"),
        (Recorder(), "Expected terms to be a list"),
    ],
)
def test_terms_that_are_not_loss_terms_are_refused(tiny_models: Models, terms: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        Trainer(*tiny_models(), terms=terms, device="cpu")


def test_figure_names_follow_the_sides_each_term_writes() -> None:
    assert term_figure_keys([Recorder(), FakeMean(), FakeMean()]) == [
        "d_recorder",
        "d_fake_mean",
        "d_fake_mean_2",
        "g_recorder",
        "g_fake_mean",
        "g_fake_mean_2",
    ]


def test_steps_per_epoch_is_known_when_fit_starts(tiny_models: Models, tiny_data: torch.Tensor) -> None:
    seen = []

    class Peek(Callback):
        def on_fit_start(self, trainer: Trainer) -> None:
            seen.append((trainer.steps_per_epoch, trainer.batch_size, trainer.max_epochs))

    Trainer(*tiny_models(), d_steps=4, callbacks=[Peek()], device="cpu").fit(tiny_data, epochs=2, batch_size=16)
    assert seen == [(2, 16, 2)]  # 6 batches of 16 in 4-update steps: 2 steps, the last of 2 updates


def test_the_progress_bar_shows_the_terms(
    tiny_models: Models, tiny_data: torch.Tensor, capsys: pytest.CaptureFixture[str]
) -> None:
    trainer = Trainer(*tiny_models(), terms=[FakeMean(0.1)], callbacks=[ProgressBar()], device="cpu", seed=0)
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    shown = capsys.readouterr().err
    assert "d_fake_mean=" in shown and "g_fake_mean=" in shown and "D(x)=" in shown
