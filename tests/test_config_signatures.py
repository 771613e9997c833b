"""Configs checked from signatures: ``[trainer]`` from the Trainer and its ``fit``, ``[[terms]]``
from the TERMS registry, and type hints resolved one parameter at a time."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pygan import CALLBACKS, GradientPenalty, InfoTerm, LabelSmoothing, R1Penalty, Trainer
from pygan.callbacks import Evaluation
from pygan.config import ConfigError, PartConfig, RunConfig, TrainerConfig, apply_overrides, load_config
from pygan.config._checking import Signature
from pygan.config._toml import tomllib  # tomli on Python 3.10
from pygan.config._trainer import ELSEWHERE
from test_config import error_of, raw, tiny_config_text, write_tiny_config  # noqa: F401 - raw is a fixture

if TYPE_CHECKING:
    from pygan.metrics import DigitClassifier  # what only type checkers import


# ----------------------------------------------------------------------------- [trainer]
def test_trainer_keys_are_the_trainer_and_fit_arguments_that_no_other_section_sets(raw: dict[str, Any]) -> None:
    arguments = {*inspect.signature(Trainer.__init__).parameters, *inspect.signature(Trainer.fit).parameters}
    keys = sorted(arguments - {"self", *ELSEWHERE})
    assert {"epochs", "batch_size", "seed", "handle_sigint", "log_every_n_steps"} <= set(keys)
    assert not {"g_lr", "terms", "callbacks", "data", "resume_from"} & set(keys)
    raw["trainer"]["handle_sigint"] = "no"
    assert str(error_of(raw)) == "trainer.handle_sigint = 'no': expected bool."
    raw["trainer"] = {"epochs": 1, "handle_sigintt": False}
    error = error_of(raw)
    assert error.key == "trainer.handle_sigintt" and "Did you mean 'handle_sigint'" in str(error)
    assert str(error).endswith(f"Available: {', '.join(keys)}.")


@pytest.mark.parametrize(
    ("key", "where"),
    [("g_lr", "[optimizers.g] (lr)"), ("betas", "[optimizers.g] and [optimizers.d]"), ("terms", "[[terms]]"),
     ("loss", "[loss]"), ("generator", "[generator]"), ("resume_from", "pygan train --resume")],
)
def test_a_trainer_argument_another_section_sets_says_where(raw: dict[str, Any], key: str, where: str) -> None:
    raw["trainer"][key] = 1
    error = error_of(raw)
    assert error.key == f"trainer.{key}" and str(error).startswith(f"trainer.{key}: {key} is set by {where}")


def test_every_trainer_setting_reaches_the_trainer(tmp_path: Path) -> None:
    settings = {"d_steps": 2, "seed": 3, "precision": "bf16", "compile": False, "skip_nonfinite_steps": 1,
                "log_every_n_steps": 7, "handle_sigint": False}
    overrides = [f"trainer.{k}={str(v).lower() if isinstance(v, bool) else repr(v)}" for k, v in settings.items()]
    config = load_config(write_tiny_config(tmp_path), overrides)
    trainer = config.build(tmp_path / "run", standard_callbacks=False).trainer
    assert {k: getattr(trainer, k) for k in settings} == settings
    assert str(trainer.device) == "cpu" and config.trainer.kwargs == {"epochs": 2, "batch_size": 16, "device": "cpu", **settings}


def test_unset_trainer_settings_read_as_the_trainer_defaults() -> None:
    trainer = TrainerConfig.from_table({"epochs": 3})
    assert (trainer.epochs, trainer.handle_sigint, trainer.seed, trainer.d_steps) == (3, True, None, 1)
    assert trainer.log_every_n_steps == inspect.signature(Trainer).parameters["log_every_n_steps"].default
    assert trainer.to_dict() == {"epochs": 3} and trainer.fit_kwargs() == {"epochs": 3} and trainer.trainer_kwargs() == {}
    with pytest.raises(AttributeError, match="batchsize"):
        trainer.batchsize  # noqa: B018
    with pytest.raises(AttributeError, match="g_lr"):
        trainer.g_lr  # noqa: B018 - set by [optimizers], not a [trainer] setting


# ----------------------------------------------------------------------------- [[terms]]
@pytest.mark.parametrize(
    ("terms", "key", "fragment"),
    [
        ([{"name": "gradient_penaltyy"}], "terms[0].name", "Unknown loss term 'gradient_penaltyy'. Did you mean 'gradient_penalty'"),
        ([{"name": "r1", "wieght": 1.0}], "terms[0].wieght", "Unknown r1 loss term argument 'wieght'. Did you mean 'weight'"),
        ([{"name": "info", "weight": "0.1"}], "terms[0].weight", "terms[0].weight = '0.1': expected float"),
        ([{"weight": 1.0}], "terms[0].name", 'terms[0].name is missing: each part is a table with name = "..."'),
        ({"name": "r1"}, "terms", "expected an array of tables ([[terms]] with"),
    ],
)
def test_terms_are_checked_against_the_registry_and_their_signatures(
    raw: dict[str, Any], terms: Any, key: str, fragment: str
) -> None:
    raw["terms"] = terms
    error = error_of(raw)
    assert error.key == key and fragment in str(error)


def test_terms_are_built_in_order_and_written_back(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["terms"] = [{"name": "r1", "weight": 0.5}, {"name": "gradient_penalty"}]
    config = RunConfig.from_dict(raw)
    assert RunConfig.from_dict(tomllib.loads(config.to_toml())) == config
    terms = config.build(tmp_path / "run", standard_callbacks=False).trainer.terms
    assert [type(t) for t in terms] == [R1Penalty, GradientPenalty] and [t.weight for t in terms] == [0.5, 10.0]


def test_set_terms_adds_and_edits_a_term_by_name_or_index(raw: dict[str, Any]) -> None:
    raw["terms"] = [{"name": "r1", "weight": 0.5}]
    new = apply_overrides(raw, ["terms.r1.weight=2.0", "terms.gradient_penalty.weight=5.0", "terms.1.weight=6.0"])
    assert new["terms"] == [{"name": "r1", "weight": 2.0}, {"name": "gradient_penalty", "weight": 6.0}]
    bare = apply_overrides({k: v for k, v in raw.items() if k != "terms"}, ["terms.info={weight = 0.1}"])
    assert RunConfig.from_dict(bare).terms[0].to_dict() == {"name": "info", "weight": 0.1}


def test_the_info_term_with_a_code_head_from_overrides(tmp_path: Path) -> None:
    path = write_tiny_config(tmp_path)
    coded = ["generator.code_categories=4", "terms.info.weight=0.1"]
    trainer = load_config(path, [*coded, "discriminator.heads={code = 4}"]).build(tmp_path / "run").trainer
    assert trainer.discriminator.head_names == ("code",)
    assert [(type(t), t.weight) for t in trainer.terms] == [(InfoTerm, 0.1)]
    with pytest.raises(ConfigError, match=r"^trainer: .*'info' term"):
        load_config(path, coded).build(tmp_path / "run")  # no code head


# ----------------------------------------------------------------------------- type hints
def test_a_hint_only_type_checkers_can_resolve_leaves_the_other_arguments_checked(raw: dict[str, Any]) -> None:
    hints = Signature.of(Evaluation).hints
    assert "classifier" not in hints and hints["every_n_epochs"] is int and hints["use_ema"] is bool
    raw["callbacks"] = [{"name": "evaluation", "every_n_epochs": "5"}]
    assert str(error_of(raw)) == "callbacks[0].every_n_epochs = '5': expected int."
    raw["callbacks"] = [{"name": "evaluation", "real": 3}]
    assert str(error_of(raw)) == "callbacks[0].real = 3: expected Tensor | ImageDataset | str | None."


class HalfHinted(LabelSmoothing):
    """A callback whose ``judge`` hint names a class only type checkers import."""

    def __init__(self, every: int = 1, judge: DigitClassifier | None = None) -> None:
        super().__init__()
        self.every, self.judge = every, judge


def test_a_class_with_one_unresolvable_hint_is_checked_on_the_rest(
    raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    CALLBACKS.names()  # load plugins first, then register for this test only
    monkeypatch.setitem(CALLBACKS._entries, "test_half_hinted", HalfHinted)
    assert Signature.of(HalfHinted).hints == {"every": int}
    raw["callbacks"] = [{"name": "test_half_hinted", "judge": "anything"}]
    assert RunConfig.from_dict(raw).callbacks[0].kwargs == {"judge": "anything"}  # left to the constructor
    raw["callbacks"] = [{"name": "test_half_hinted", "every": 1.5}]
    error = error_of(raw)
    assert error.key == "callbacks[0].every" and str(error) == "callbacks[0].every = 1.5: expected int."


# ----------------------------------------------------------------------------- pygan 0.1.0
def test_a_config_written_by_0_1_0_reads_its_infogan_settings_as_a_term_and_a_head(raw: dict[str, Any]) -> None:
    plain = RunConfig.from_dict(raw)
    raw["trainer"]["info_weight"] = 0.0  # in every run's config.toml
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert RunConfig.from_dict(raw) == plain
    raw["trainer"]["info_weight"] = 0.1
    raw["discriminator"]["code_categories"] = 4
    with pytest.warns(FutureWarning) as caught:
        config = RunConfig.from_dict(raw)
    assert [str(w.message) for w in caught] == [
        'trainer.info_weight = 0.1 is pygan 0.1.0\'s form; read as a [[terms]] table {name = "info", weight = 0.1}. Write that instead.',
        "discriminator.code_categories = 4 is pygan 0.1.0's form; read as discriminator.heads = {code = 4}. Write that instead.",
    ]
    assert config.terms == (PartConfig("info", {"weight": 0.1}),)
    assert config.discriminator.kwargs == {"hidden": [16], "heads": {"code": 4}}
    assert "info_weight" not in config.trainer.kwargs and raw["trainer"]["info_weight"] == 0.1  # input unchanged
