"""TOML configs: parsing, checking, overrides, writing back, and building a run."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from pygan import CALLBACKS, LabelSmoothing, ModelCheckpoint
from pygan.callbacks import EMA, CSVLogger, SampleGrid
from pygan.config import (
    STANDARD_CALLBACKS,
    ConfigError,
    DataConfig,
    PartConfig,
    RunConfig,
    apply_overrides,
    load_config,
    parse_override,
)
from pygan.config._toml import tomllib  # tomli on Python 3.10

EXAMPLES = Path(__file__).parent.parent / "examples"


def write_tiny_csv(directory: Path, rows: int = 64) -> Path:
    """``rows`` random 8x8 digits (labels 0-9 in turn) in the csv dataset's format."""
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (rows, 64), generator=generator)
    labels = torch.arange(rows).remainder(10).unsqueeze(1)
    path = directory / "tiny.csv"
    path.write_text("\n".join(",".join(map(str, row)) for row in torch.cat([labels, pixels], 1).tolist()))
    return path


def tiny_config_text(directory: Path, extra: str = "") -> str:
    """A config that trains tiny MLPs on 64 8x8 images for 2 epochs of 4 steps."""
    csv = write_tiny_csv(directory)
    return f"""
[generator]
name = "mlp"
latent_dim = 8
hidden = [16]

[discriminator]
name = "mlp"
hidden = [16]

[data]
name = "csv"
path = {json.dumps(str(csv))}
shape = [1, 8, 8]

[trainer]
epochs = 2
batch_size = 16
device = "cpu"
seed = 0
{extra}"""


def write_tiny_config(directory: Path, extra: str = "", name: str = "tiny.toml") -> Path:
    """Write :func:`tiny_config_text` to ``directory/name``."""
    path = directory / name
    path.write_text(tiny_config_text(directory, extra))
    return path


@pytest.fixture
def raw(tmp_path: Path) -> dict[str, Any]:
    return tomllib.loads(tiny_config_text(tmp_path))


def error_of(raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict(raw)
    return caught.value


# ----------------------------------------------------------------------------- parsing
def test_parses_into_typed_sections_with_trainer_defaults(raw: dict[str, Any]) -> None:
    config = RunConfig.from_dict(raw)
    assert config.generator.name == "mlp" and config.generator.kwargs == {"latent_dim": 8, "hidden": [16]}
    assert config.data.kwargs["shape"] == [1, 8, 8] and config.data.limit is None
    assert config.trainer.epochs == 2 and config.trainer.d_steps == 1 and config.trainer.precision == "32"
    assert config.loss.name == "non_saturating"
    assert config.optimizers.g.name == "adam" and config.optimizers.g.kwargs == {"lr": 2e-4, "betas": [0.5, 0.999]}
    assert config.callbacks == ()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")) + sorted(EXAMPLES.glob("classic/*.toml")), ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_every_example_config_is_valid(path: Path) -> None:
    config = load_config(path)
    assert RunConfig.from_dict(tomllib.loads(config.to_toml())) == config


def test_to_toml_round_trips_every_kind_of_value(raw: dict[str, Any]) -> None:
    raw["callbacks"] = [{"name": "label_smoothing", "real": 0.9}, {"name": "ema", "decay": 0.5}]
    raw["optimizers"] = {"d": {"name": "sgd", "lr": 0.05, "momentum": 0.5, "nesterov": True}}
    raw["data"]["limit"] = 10
    raw["data"]["classes"] = [0, 1]
    config = RunConfig.from_dict(raw)
    text = config.to_toml()
    assert RunConfig.from_dict(tomllib.loads(text)) == config
    assert "[optimizers.d]" in text and "nesterov = true" in text and "label_smoothing" in text


def test_to_toml_writes_characters_outside_the_basic_multilingual_plane(raw: dict[str, Any]) -> None:
    raw["callbacks"] = [{"name": "csv_logger", "path": "runs/🚀/metrics.csv"}]
    raw["data"]["path"] = "data/🚀 digits.csv"
    config = RunConfig.from_dict(raw)
    text = config.to_toml()
    assert "runs/🚀/metrics.csv" in text and "\\ud83d" not in text  # UTF-8, no surrogate escapes
    assert RunConfig.from_dict(tomllib.loads(text)) == config


def test_to_toml_leaves_out_none_and_writes_tuples_as_arrays(raw: dict[str, Any]) -> None:
    raw["trainer"]["seed"] = None
    raw["generator"]["hidden"] = (16, 8)
    raw["callbacks"] = [{"name": "evaluation", "real": None}]
    written = tomllib.loads(RunConfig.from_dict(raw).to_toml())
    assert "seed" not in written["trainer"] and written["callbacks"] == [{"name": "evaluation"}]
    assert written["generator"]["hidden"] == [16, 8]


def test_to_toml_names_a_value_toml_cannot_hold(raw: dict[str, Any]) -> None:
    config = RunConfig.from_dict(raw)  # values given from Python, unchecked, may not be TOML
    with_none = replace(config, data=DataConfig("csv", {"shape": [1, None, 8]}))
    with pytest.raises(ConfigError, match=r"^data\.shape\[1\] = None: TOML cannot hold a NoneType\.$"):
        with_none.to_toml()
    with_path = replace(config, callbacks=(PartConfig("evaluation", {"real": Path("mnist")}),))
    with pytest.raises(ConfigError, match=r"^callbacks\[0\]\.real = \w*Path\('mnist'\): TOML cannot hold a \w*Path\.$"):
        with_path.to_toml()


@pytest.mark.parametrize(
    ("change", "key", "fragments"),
    [
        (lambda r: r.update(trainr={}), "trainr", ["Unknown config section 'trainr'", "Did you mean 'trainer'"]),
        (lambda r: r["trainer"].update(batchsize=8), "trainer.batchsize", ["Did you mean 'batch_size'", "epochs"]),
        (lambda r: r["generator"].update(name="mpl"), "generator.name", ["Unknown generator 'mpl'", "'mlp'", "dcgan"]),
        (lambda r: r["generator"].update(hiden=[4]), "generator.hiden", ["Unknown mlp generator argument", "'hidden'"]),
        (lambda r: r.update(loss={"name": "hinj"}), "loss.name", ["Did you mean 'hinge'", "wasserstein"]),
        (lambda r: r.update(loss={"name": "hinge", "margin": 1}), "loss.margin", ["Unknown hinge loss argument", "Available: r1_weight"]),
        (lambda r: r["data"].update(name="mnist5k"), "data.name", ["Did you mean 'mnist_5k'"]),
        (lambda r: r["data"].update(paht="x.csv"), "data.paht", ["Did you mean 'path'"]),
        (lambda r: r.update(callbacks=[{"name": "emma"}]), "callbacks[0].name", ["Did you mean 'ema'"]),
        (lambda r: r.update(optimizers={"g": {"name": "adamm"}}), "optimizers.g.name", ["Did you mean 'adam'", "sgd"]),
        (lambda r: r.update(optimizers={"g": {"lrr": 1}}), "optimizers.g.lrr", ["Unknown adam optimizer argument", "'lr'"]),
        (lambda r: r.update(optimizers={"e": {}}), "optimizers.e", ["Unknown optimizers key 'e'", "d, g"]),
    ],
)
def test_unknown_sections_keys_and_names_name_the_key_and_the_choices(
    raw: dict[str, Any], change: Any, key: str, fragments: list[str]
) -> None:
    change(raw)
    error = error_of(raw)
    assert error.key == key and str(error).startswith(f"{key}: ")
    for fragment in fragments:
        assert fragment in str(error)


@pytest.mark.parametrize(
    ("section", "key", "value", "fragment"),
    [
        ("trainer", "batch_size", "64", "trainer.batch_size = '64': expected int"),
        ("trainer", "batch_size", 0, "Expected trainer.batch_size to be an integer >= 1, got 0"),
        ("trainer", "epochs", 0, "Expected trainer.epochs to be an integer >= 1, got 0"),
        ("trainer", "seed", "0", "trainer.seed = '0': expected int | None"),
        ("trainer", "precision", 32, "trainer.precision = 32: expected one of '32', 'bf16', '16'"),
        ("trainer", "precision", "64", "trainer.precision = '64': expected one of '32', 'bf16', '16'"),
        ("trainer", "compile", "yes", "trainer.compile = 'yes': expected bool"),
        ("trainer", "device", 0, "trainer.device = 0: expected str | device"),
        ("trainer", "handle_sigint", "no", "trainer.handle_sigint = 'no': expected bool"),
        ("generator", "hidden", 16, "generator.hidden = 16: expected Sequence[int]"),
        ("generator", "latent_dim", 8.5, "generator.latent_dim = 8.5: expected int"),
        ("generator", "activation", 1, "generator.activation = 1: expected str"),
        ("data", "limit", 0, "Expected data.limit to be an integer >= 1, got 0"),
        ("data", "shape", "1x8x8", "data.shape = '1x8x8': expected tuple[int, ...]"),
        ("data", "classes", [0.5], "data.classes = [0.5]: expected"),
    ],
)
def test_wrong_types_name_the_key_value_and_rule(
    raw: dict[str, Any], section: str, key: str, value: Any, fragment: str
) -> None:
    raw[section][key] = value
    assert fragment in str(error_of(raw))


def test_optimizer_values_are_checked_against_the_signature_and_by_the_optimizer(raw: dict[str, Any]) -> None:
    raw["optimizers"] = {"g": {"betas": 0.5}}
    assert "optimizers.g.betas = 0.5: expected tuple[" in str(error_of(raw))
    raw["optimizers"] = {"g": {"lr": "fast"}}
    assert "optimizers.g.lr = 'fast'" in str(error_of(raw))  # a str is no float or Tensor
    raw["optimizers"] = {"g": {"lr": -1}}
    assert str(error_of(raw)).startswith("optimizers.g: Invalid learning rate: -1")
    raw["optimizers"] = {"d": {"name": "sgd", "lr": 0.1, "nesterov": True}}
    assert str(error_of(raw)).startswith("optimizers.d: Nesterov momentum requires a momentum")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r.pop("generator"), "The config has no [generator] section"),
        (lambda r: r["trainer"].pop("epochs"), "trainer.epochs is missing"),
        (lambda r: r["data"].pop("path"), "data.path is missing: the csv dataset needs it"),
        (lambda r: r["generator"].pop("name"), 'generator.name is missing: each part is a table with name = "..."'),
        (lambda r: r.update(generator="mlp"), "generator = 'mlp': expected a table"),
        (lambda r: r.update(callbacks={"name": "ema"}), "expected an array of tables ([[callbacks]]"),
    ],
)
def test_missing_and_misshapen_sections(raw: dict[str, Any], change: Any, fragment: str) -> None:
    change(raw)
    assert fragment in str(error_of(raw))


def test_a_table_without_optimizer_name_changes_the_default_and_a_named_one_starts_fresh(
    raw: dict[str, Any],
) -> None:
    raw["optimizers"] = {"g": {"lr": 1e-3}, "d": {"name": "adam", "lr": 3e-4}}
    optimizers = RunConfig.from_dict(raw).optimizers
    assert optimizers.g.kwargs == {"lr": 1e-3, "betas": [0.5, 0.999]}
    assert optimizers.d.kwargs == {"lr": 3e-4}


def test_parts_that_take_any_keyword_accept_any_key(raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    class TakesAnything(LabelSmoothing):
        def __init__(self, **options: Any) -> None:
            super().__init__()
            self.options = options

    CALLBACKS.names()  # load plugins first, then register for this test only
    monkeypatch.setitem(CALLBACKS._entries, "test_config_kwargs", TakesAnything)

    raw["callbacks"] = [{"name": "test_config_kwargs", "anything": [1, 2]}]
    assert RunConfig.from_dict(raw).callbacks[0].kwargs == {"anything": [1, 2]}


# ----------------------------------------------------------------------------- overrides
@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("trainer.epochs=3", ["trainer", "epochs"], 3),
        ("optimizers.g.lr=1e-3", ["optimizers", "g", "lr"], 1e-3),
        ("generator.hidden=[16, 32]", ["generator", "hidden"], [16, 32]),
        ("trainer.compile=true", ["trainer", "compile"], True),
        ("data.name=mnist_5k", ["data", "name"], "mnist_5k"),
        ('data.path="a b.csv"', ["data", "path"], "a b.csv"),
        ("data.path=dir/a=b.csv", ["data", "path"], "dir/a=b.csv"),
        ("trainer.device=cuda:0", ["trainer", "device"], "cuda:0"),
        ("callbacks.ema={decay = 0.9}", ["callbacks", "ema"], {"decay": 0.9}),
        (" trainer.seed = 7 ", ["trainer", "seed"], 7),
    ],
)
def test_parse_override_reads_toml_literals_else_strings(text: str, path: list[str], value: Any) -> None:
    assert parse_override(text) == (path, value)


@pytest.mark.parametrize("text", ["trainer.epochs", "=3", "trainer..epochs=3", "trainer.=3"])
def test_malformed_overrides_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match=r"expected section\.key=value"):
        parse_override(text)


def test_overrides_reach_nested_tables_and_callbacks_by_index_or_name(raw: dict[str, Any]) -> None:
    raw["callbacks"] = [{"name": "label_smoothing", "real": 0.9}]
    new = apply_overrides(
        raw,
        [
            "trainer.epochs=1",
            "optimizers.d.lr=0.05",
            "callbacks.0.real=0.8",
            "callbacks.label_smoothing.fake=0.1",
            "callbacks.ema.decay=0.99",
            "callbacks.sample_grid={every_n_epochs = 5}",
        ],
    )
    assert raw["trainer"]["epochs"] == 2 and "optimizers" not in raw  # the input is not changed
    assert new["trainer"]["epochs"] == 1 and new["optimizers"] == {"d": {"lr": 0.05}}
    assert new["callbacks"] == [
        {"name": "label_smoothing", "real": 0.8, "fake": 0.1},
        {"name": "ema", "decay": 0.99},
        {"name": "sample_grid", "every_n_epochs": 5},
    ]
    config = RunConfig.from_dict(new)
    assert [c.name for c in config.callbacks] == ["label_smoothing", "ema", "sample_grid"]


def test_overrides_are_checked_like_the_file(tmp_path: Path) -> None:
    path = write_tiny_config(tmp_path)
    assert load_config(path, ["trainer.batch_size=8"]).trainer.batch_size == 8
    with pytest.raises(ConfigError, match=r"trainer\.batch_size = 'eight': expected int"):
        load_config(path, ["trainer.batch_size=eight"])
    with pytest.raises(ConfigError, match="Did you mean 'epochs'"):
        load_config(path, ["trainer.epoch=3"])
    with pytest.raises(ConfigError, match=r"trainer\.epochs is 2, not a table"):
        load_config(path, ["trainer.epochs.max=3"])
    with pytest.raises(ConfigError, match="only 0 items"):
        load_config(path, ["callbacks.0.real=0.8"])


def test_unreadable_and_invalid_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the config .*missing.toml"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[trainer]\nepochs = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML: .*line 2"):
        load_config(bad)


# ----------------------------------------------------------------------------- building
def test_build_fills_shapes_from_the_data_and_adds_the_standard_callbacks(tmp_path: Path) -> None:
    config = load_config(write_tiny_config(tmp_path), ["callbacks.ema.decay=0.5"])
    run = config.build(tmp_path / "run")
    assert run.trainer.generator.output_shape == (1, 8, 8) == run.trainer.discriminator.input_shape
    names = [CALLBACKS.name_of(type(cb)) for cb in run.trainer.callbacks]
    assert names == ["ema", *STANDARD_CALLBACKS]
    grid = next(cb for cb in run.trainer.callbacks if isinstance(cb, SampleGrid))
    csv = next(cb for cb in run.trainer.callbacks if isinstance(cb, CSVLogger))
    assert grid.dirpath == tmp_path / "run" / "samples" and csv.path == tmp_path / "run" / "metrics.csv"
    assert run.last_checkpoint == tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert len(run.data) == 64
    bare = config.build(tmp_path / "run", standard_callbacks=False)
    assert [type(cb) for cb in bare.trainer.callbacks] == [EMA]


def test_a_listed_callback_keeps_its_arguments_and_paths_stay_in_the_run_dir(tmp_path: Path) -> None:
    path = write_tiny_config(tmp_path)
    config = load_config(path, ["callbacks.checkpoint={dirpath = 'ckpt/deep', keep_last = 1}"])
    checkpoints = [cb for cb in config.build(tmp_path / "run").trainer.callbacks if isinstance(cb, ModelCheckpoint)]
    assert len(checkpoints) == 1 and checkpoints[0].keep_last == 1
    assert checkpoints[0].dirpath == tmp_path / "run" / "ckpt" / "deep"
    for outside in (str(tmp_path / "elsewhere"), "../escape"):
        bad = load_config(path, [f"callbacks.csv_logger.path={json.dumps(outside)}"])
        with pytest.raises(ConfigError, match=r"callbacks\[0\]\.path = .*inside the run directory"):
            bad.build(tmp_path / "run")


def test_limit_takes_the_same_random_subset_every_time(tmp_path: Path) -> None:
    config = load_config(write_tiny_config(tmp_path), ["data.limit=20"])
    first, second = (config.build(tmp_path / "run").data for _ in range(2))
    assert len(first) == 20 and torch.equal(first.images, second.images)
    assert len(set(first.labels.tolist())) > 2  # a random subset, not the first rows


def test_the_seed_fixes_the_starting_weights(tmp_path: Path) -> None:
    config = load_config(write_tiny_config(tmp_path))
    a, b = (config.build(tmp_path / "run").trainer.generator.state_dict() for _ in range(2))
    c = config.with_seed(1).build(tmp_path / "run").trainer.generator.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and not all(torch.equal(a[k], c[k]) for k in a)


def test_named_optimizers_are_built_with_their_arguments(tmp_path: Path) -> None:
    config = load_config(
        write_tiny_config(tmp_path), ["optimizers.d={name = 'sgd', lr = 0.05, momentum = 0.5}", "optimizers.g.lr=1e-3"]
    )
    trainer = config.build(tmp_path / "run").trainer
    assert isinstance(trainer.d_optimizer, torch.optim.SGD) and isinstance(trainer.g_optimizer, torch.optim.Adam)
    assert trainer.d_optimizer.param_groups[0]["momentum"] == 0.5
    assert trainer.g_optimizer.param_groups[0]["lr"] == 1e-3
    assert tuple(trainer.g_optimizer.param_groups[0]["betas"]) == (0.5, 0.999)


def test_adam_optimizers_with_different_betas_are_both_kept(tmp_path: Path) -> None:
    config = load_config(write_tiny_config(tmp_path), ["optimizers.d.betas=[0.0, 0.9]", "optimizers.d.lr=1e-3"])
    trainer = config.build(tmp_path / "run").trainer
    g, d = trainer.g_optimizer.param_groups[0], trainer.d_optimizer.param_groups[0]
    assert (g["lr"], tuple(g["betas"])) == (2e-4, (0.5, 0.999))
    assert (d["lr"], tuple(d["betas"])) == (1e-3, (0.0, 0.9))


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("generator.hidden=[0]", r"^generator: Expected hidden\[0\] to be an integer >= 1, got 0\.$"),
        ("data.path=nowhere.csv", r"^data: No CSV file at nowhere\.csv"),
        ("callbacks.label_smoothing.real=2.0", r"^callbacks\[0\]: Expected real to be a number in \[0, 1\]"),
        ("generator.output_shape=[1, 4, 4]", r"^trainer: The generator makes images of shape \(1, 4, 4\)"),
        ("trainer.seed=-1", r"^trainer: Expected seed to be an integer >= 0, got -1\.$"),
        ("trainer.d_steps=0", r"^trainer: Expected d_steps to be an integer >= 1, got 0\.$"),
        ("terms.gradient_penalty.weight=-1.0", r"^terms\[0\]: Expected weight to be a finite number >= 0"),
    ],
)
def test_what_a_constructor_refuses_is_a_config_error_naming_the_section(
    tmp_path: Path, override: str, pattern: str
) -> None:
    config = load_config(write_tiny_config(tmp_path), [override])
    with pytest.raises(ConfigError) as caught:
        config.build(tmp_path / "run")
    assert re.search(pattern, str(caught.value)), str(caught.value)


def test_a_run_trains_for_the_configured_epochs(tmp_path: Path) -> None:
    run = load_config(write_tiny_config(tmp_path), ["trainer.epochs=1"]).build(tmp_path / "run", standard_callbacks=False)
    history = run.fit()
    assert len(history) == 1 and history[0]["steps"] == 4
