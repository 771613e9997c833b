"""Property-based tests of the config parser: whatever the input, the parser either returns a
checked config or raises ConfigError naming the problem; it never fails any other way."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pygan.config import ConfigError, RunConfig, apply_overrides, parse_override, parse_value

VALID = {
    "generator": {"name": "mlp", "hidden": [8]},
    "discriminator": {"name": "mlp", "hidden": [8]},
    "data": {"name": "mnist_5k"},
    "trainer": {"epochs": 1},
}

toml_scalars = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
)
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
plain_values = st.recursive(
    toml_scalars | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=6,
)


def _toml_literal(value: Any) -> str:
    """A TOML literal for a scalar (Python's repr is one for ints, finite floats, strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


@given(toml_scalars)
def test_scalar_literals_round_trip(value: Any) -> None:
    parsed = parse_value(_toml_literal(value))
    assert parsed == value and type(parsed) is type(value)


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=5))
def test_int_lists_round_trip(value: list[int]) -> None:
    assert parse_value(repr(value)) == value


@given(st.lists(keys, min_size=1, max_size=4), st.integers(min_value=0, max_value=10**6))
def test_override_splits_key_path_and_value(path: list[str], value: int) -> None:
    assert parse_override(f"{'.'.join(path)}={value}") == (path, value)


@given(st.text(max_size=20).filter(lambda s: "=" not in s))
def test_override_without_equals_is_a_config_error(text: str) -> None:
    try:
        parse_override(text)
    except ConfigError as error:
        assert "section.key=value" in str(error)
    else:
        raise AssertionError("accepted an override without '='")


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(VALID) + ["loss", "optimizers", "callbacks", "bogus"]),
    keys,
    plain_values,
)
def test_any_value_anywhere_is_accepted_or_a_config_error(section: str, key: str, value: Any) -> None:
    raw = {name: dict(table) for name, table in VALID.items()}
    raw.setdefault(section, {})
    if isinstance(raw[section], dict):
        raw[section][key] = value
    try:
        config = RunConfig.from_dict(raw)
    except ConfigError as error:
        message = str(error)
        assert message.strip()
        assert section in message or key in message or "name" in message
    else:
        assert isinstance(config, RunConfig)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["trainer.epochs", "trainer.batch_size", "trainer.d_steps"]), plain_values)
def test_trainer_numbers_are_checked(key: str, value: Any) -> None:
    raw = apply_overrides(VALID, [f"{key}={_toml_literal(value)}"])
    try:
        config = RunConfig.from_dict(raw)
    except ConfigError as error:
        assert key in str(error)
    else:
        number = getattr(config.trainer, key.split(".")[1])
        assert isinstance(number, int) and not isinstance(number, bool)
        if key != "trainer.d_steps":  # fit's arguments; the Trainer checks its own when built
            assert number >= 1
