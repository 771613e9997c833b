"""Checkpoints of older formats load, rebuild and resume: the real ones pygan 0.1.0 wrote (in
tests/fixtures/), and the upgrade mechanism itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from pygan import (
    EMA,
    Callback,
    CheckpointError,
    InfoTerm,
    LabelSmoothing,
    MLPDiscriminator,
    MLPGenerator,
    ModelCheckpoint,
    SampleGrid,
    Trainer,
    load_checkpoint,
    load_generator,
)
from pygan._upgrades import UPGRADES
from pygan.checkpoint import FORMAT_VERSION

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = ("plain", "infogan")
CODE_CATEGORIES = {"plain": 0, "infogan": 3}


def fixture(kind: str, suffix: str = "ckpt") -> Path:
    return FIXTURES / f"checkpoint-0.1.0-{kind}.{suffix}"


def saved_raw(kind: str) -> dict[str, Any]:
    """The fixture as pygan 0.1.0 wrote it, without upgrades."""
    return torch.load(fixture(kind), weights_only=True)


@pytest.mark.parametrize("kind", KINDS)
def test_fixtures_are_format_1(kind: str) -> None:
    raw = saved_raw(kind)
    assert raw["format_version"] == 1 and raw["pygan_version"] == "0.1.0"
    assert raw["discriminator"]["kwargs"]["code_categories"] == CODE_CATEGORIES[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_load_generator_makes_the_images_0_1_0_made(kind: str) -> None:
    expected = torch.load(fixture(kind, "expected.pt"), weights_only=True)
    generator = load_generator(fixture(kind), ema=False)
    with torch.no_grad():
        assert torch.equal(generator(expected["z"]), expected["images"])


@pytest.mark.parametrize("kind", KINDS)
def test_load_generator_takes_the_ema_weights_of_0_1_0(kind: str) -> None:
    ema = saved_raw(kind)["callbacks"]["EMA"]["generator_state_dict"]
    generator = load_generator(fixture(kind))
    for name, value in generator.state_dict().items():
        assert torch.equal(value, ema[name]), name


def test_the_infogan_code_head_becomes_the_code_head_of_heads() -> None:
    raw = saved_raw("infogan")["discriminator"]["state_dict"]
    state = load_checkpoint(fixture("infogan"))
    assert state["format_version"] == FORMAT_VERSION == 2
    spec = state["discriminator"]
    assert spec["kwargs"] == {"input_shape": (1, 8, 8), "hidden": (16,), "heads": {"code": 3}}
    assert sorted(spec["state_dict"]) == sorted(["net.1.weight", "net.1.bias", "net.4.weight", "net.4.bias", "heads.code.weight", "heads.code.bias"])
    assert torch.equal(spec["state_dict"]["heads.code.weight"], raw["code_head.weight"])
    assert torch.equal(spec["state_dict"]["heads.code.bias"], raw["code_head.bias"])
    discriminator = MLPDiscriminator(**spec["kwargs"])
    discriminator.load_state_dict(spec["state_dict"])
    assert discriminator.head_names == ("code",)


def test_a_discriminator_without_code_loses_only_the_argument() -> None:
    spec = load_checkpoint(fixture("plain"))["discriminator"]
    assert spec["kwargs"] == {"input_shape": (1, 8, 8), "hidden": (16,)}
    assert spec["state_dict"].keys() == saved_raw("plain")["discriminator"]["state_dict"].keys()


def test_states_other_than_training_checkpoints_pass_through(tmp_path: Path) -> None:
    path = tmp_path / "cache.pt"  # such as the digit classifier's cache, written with save_checkpoint
    torch.save({"format_version": 1, "kind": "pygan.metrics.DigitClassifier", "state_dict": {}}, path)
    assert load_checkpoint(path) == {"format_version": 2, "kind": "pygan.metrics.DigitClassifier", "state_dict": {}}


def test_another_discriminator_class_is_left_alone(tmp_path: Path) -> None:
    raw = saved_raw("infogan")
    raw["discriminator"] = {**raw["discriminator"], "class": "my_plugin.CodeDiscriminator"}
    torch.save(raw, tmp_path / "plugin.ckpt")
    spec = load_checkpoint(tmp_path / "plugin.ckpt")["discriminator"]
    assert spec["kwargs"]["code_categories"] == 3 and "code_head.weight" in spec["state_dict"]


class FirstEpochStart(Callback):
    """Records, when the first resumed epoch starts, what the callbacks before it restored."""

    def __init__(self) -> None:
        self.ema: dict[str, torch.Tensor] | None = None
        self.saved: list[str] | None = None
        self.noise: torch.Tensor | None = None

    def on_epoch_start(self, trainer: Trainer) -> None:
        if self.ema is not None:
            return
        for callback in trainer.callbacks:
            if isinstance(callback, EMA):
                self.ema = {k: v.clone() for k, v in callback.averaged_generator().state_dict().items()}
            elif isinstance(callback, ModelCheckpoint):
                self.saved = list(callback.saved)
            elif isinstance(callback, SampleGrid):
                self.noise = callback.noise


@pytest.mark.parametrize("kind", KINDS)
def test_a_0_1_0_run_resumes_with_its_callback_states(kind: str, tiny_data, tmp_path: Path) -> None:
    raw = saved_raw(kind)
    categories = CODE_CATEGORIES[kind]
    g = MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,), code_categories=categories)
    heads = {"code": categories} if categories else None
    d = MLPDiscriminator(input_shape=(1, 8, 8), hidden=(16,), heads=heads)
    probe = FirstEpochStart()
    callbacks = [
        LabelSmoothing(real=0.9),
        EMA(decay=0.9),
        ModelCheckpoint(tmp_path / "ck", keep_last=3, background=False),
        SampleGrid(tmp_path / "samples", n=4),
        probe,
    ]
    terms = [InfoTerm(weight=0.5)] if categories else []
    trainer = Trainer(g, d, terms=terms, device="cpu", callbacks=callbacks)
    history = trainer.fit(tiny_data, epochs=3, batch_size=32, resume_from=fixture(kind))

    assert history["epoch"] == [1, 2, 3] and trainer.global_step == raw["global_step"] + 3
    assert ("d_info" in history[-1]) == bool(categories)
    for name, value in raw["callbacks"]["EMA"]["generator_state_dict"].items():
        assert torch.equal(probe.ema[name], value), name
    assert probe.saved == raw["callbacks"]["ModelCheckpoint"]["saved"]
    assert torch.equal(probe.noise, raw["callbacks"]["SampleGrid"]["noise"])
    written = load_checkpoint(tmp_path / "ck" / "epoch-0003.ckpt")
    assert written["format_version"] == 2 and written["epoch"] == 3
    assert written["discriminator"]["kwargs"].get("heads") == heads


def _as_format_0(state: dict) -> dict:
    """A synthetic older format: ``step`` where format 1 has ``global_step``."""
    old = {k: v for k, v in state.items() if k != "global_step"}
    return {**old, "format_version": 0, "step": state["global_step"]}


def test_upgrades_apply_in_turn_and_a_missing_one_is_an_error(tiny_data, tmp_path: Path, monkeypatch) -> None:
    old = tmp_path / "format0.ckpt"
    torch.save(_as_format_0(saved_raw("infogan")), old)
    with pytest.raises(CheckpointError, match="format 0, which this pygan .* cannot upgrade to format 2"):
        load_checkpoint(old)

    def upgrade(state: dict) -> dict:
        state = dict(state)
        state["global_step"] = state.pop("step")
        return state

    monkeypatch.setitem(UPGRADES, 0, upgrade)
    state = load_checkpoint(old)
    assert state["format_version"] == 2 and state["global_step"] == 8 and "step" not in state
    assert "heads.code.weight" in state["discriminator"]["state_dict"]  # then format 1 to 2
