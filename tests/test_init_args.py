"""Parts remember the arguments they were built with, and still show their real signatures."""

from __future__ import annotations

import inspect
import pydoc
from typing import Any

import pytest
import torch

from pygan import (
    CALLBACKS,
    DISCRIMINATORS,
    GENERATORS,
    LOSSES,
    TERMS,
    Callback,
    Generator,
    MLPGenerator,
)
from pygan._init_args import init_args

PARTS = [registry.get(name) for registry in (GENERATORS, DISCRIMINATORS, LOSSES, CALLBACKS, TERMS) for name in registry.names()]


@pytest.mark.parametrize("cls", PARTS, ids=lambda cls: cls.__qualname__)
def test_every_registered_class_shows_its_constructor_signature(cls: type) -> None:
    init = inspect.signature(inspect.unwrap(cls.__init__))
    # without self; a class with no constructor of its own (object's) takes nothing
    expected = [] if cls.__init__ is object.__init__ else list(init.parameters.values())[1:]
    assert list(inspect.signature(cls).parameters.values()) == expected
    assert inspect.signature(cls).return_annotation == init.return_annotation


def test_help_shows_the_parameters() -> None:
    text = pydoc.render_doc(MLPGenerator, renderer=pydoc.plaintext)
    assert "MLPGenerator(latent_dim: 'int' = 100, output_shape:" in text
    assert "MLPGenerator(*args" not in text


class Base(Callback):
    def __init__(self, width: int, depth: int = 2) -> None:
        self.width, self.depth = width, depth


class Wide(Base):
    def __init__(self, depth: int = 3, **extra: Any) -> None:
        super().__init__(512, depth=depth)
        self.extra = extra


class Inherits(Base):
    pass


class Mixin:
    def __init__(self, *parts: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parts = parts


class Mixed(Mixin, Base):
    pass


def test_the_outermost_call_is_recorded_once_by_parameter_name() -> None:
    assert init_args(Base(8)) == {"width": 8}
    assert init_args(Wide(4, colour="red")) == {"depth": 4, "colour": "red"}  # not Base's (512, 4)
    assert init_args(Inherits(16, depth=1)) == {"width": 16, "depth": 1}
    assert init_args(Mixed("a", "b", width=2)) == {"parts": ["a", "b"], "width": 2}
    assert inspect.signature(Wide).parameters.keys() == {"depth", "extra"}
    assert inspect.signature(Mixed).parameters.keys() == {"parts", "kwargs"}


def test_a_failing_call_raises_its_own_error_and_objects_are_recorded_apart() -> None:
    with pytest.raises(TypeError, match="width"):
        Base()  # type: ignore[call-arg]
    a, b = Base(1), Base(2, depth=5)
    assert (init_args(a), init_args(b)) == ({"width": 1}, {"width": 2, "depth": 5})


def test_a_generator_without_arguments_records_none() -> None:
    class Tiny(Generator):
        def __init__(self) -> None:
            super().__init__(latent_dim=4, output_shape=(1, 2, 2))
            self.net = torch.nn.Linear(4, 4)

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return self.net(z).view(-1, 1, 2, 2)

    assert Tiny().config == {} and str(inspect.signature(Tiny)) == "() -> 'None'"
