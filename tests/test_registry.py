"""Registry behaviour: decorator, get/create/names/in, duplicates, unknown names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pygan
from pygan.registry import Registry, UnknownNameError


@pytest.fixture
def registry() -> Registry:
    reg: Registry = Registry("widget", group="pygan.tests_none")

    @reg.register("hinge")
    class Hinge:
        def __init__(self, margin: float = 1.0) -> None:
            self.margin = margin

    reg.add("least_squares", dict)
    return reg


def test_get_create_names_contains(registry: Registry) -> None:
    assert registry.names() == ["hinge", "least_squares"]
    assert "hinge" in registry and "nope" not in registry
    assert registry.create("hinge", margin=2.0).margin == 2.0
    assert registry.get("least_squares") is dict
    assert list(registry) == registry.names() and len(registry) == 2


def test_duplicate_refused_unless_override(registry: Registry) -> None:
    with pytest.raises(ValueError, match="already registered.*override=True"):
        registry.register("hinge")(object)
    registry.register("hinge", override=True)(list)
    assert registry.get("hinge") is list


def test_re_registering_same_object_is_fine(registry: Registry) -> None:
    registry.add("least_squares", dict)
    assert registry.get("least_squares") is dict


def test_unknown_name_error_names_everything(registry: Registry) -> None:
    with pytest.raises(KeyError) as info:
        registry.get("hinj")
    error = info.value
    assert isinstance(error, UnknownNameError)
    assert str(error) == (
        "Unknown widget 'hinj'. Did you mean 'hinge'? Available: hinge, least_squares."
    )


def test_unknown_loss_message_matches_style_guide() -> None:
    with pytest.raises(KeyError, match=r"Unknown loss 'hinj'\. Did you mean 'hinge'\? Available: "
                       r"hinge, least_squares, minimax, non_saturating, relativistic, "
                       r"relativistic_average, wasserstein\."):
        pygan.LOSSES.get("hinj")


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_bad_names_refused(registry: Registry, bad: object) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        registry.register(bad)  # type: ignore[arg-type]


def test_builtin_names() -> None:
    assert pygan.GENERATORS.names()[:2] == ["dcgan", "mlp"]
    assert {"dcgan", "mlp"} <= set(pygan.DISCRIMINATORS.names())
    assert {"hinge", "least_squares", "minimax", "non_saturating", "wasserstein"} <= set(pygan.LOSSES.names())
    assert {"checkpoint", "label_smoothing"} <= set(pygan.CALLBACKS.names())


def test_name_of(registry: Registry) -> None:
    assert registry.name_of(dict) == "least_squares"
    assert registry.name_of(set) is None


@given(st.text(min_size=1, max_size=20).filter(lambda s: s.strip()))
def test_any_registered_name_round_trips(name: str) -> None:
    reg: Registry = Registry("thing", group="pygan.tests_none")
    reg.add(name, int)
    assert reg.get(name) is int and name in reg and reg.names() == [name]


@given(st.text(max_size=20))
def test_unknown_lookups_always_raise_keyerror_with_the_name(name: str) -> None:
    reg: Registry = Registry("thing", group="pygan.tests_none")
    reg.add("alpha", int)
    if name == "alpha":
        return
    with pytest.raises(KeyError) as info:
        reg.get(name)
    assert repr(name) in str(info.value) and "Available: alpha." in str(info.value)
