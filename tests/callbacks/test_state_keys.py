"""Callback states go back to the callbacks they came from, however the list is reordered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pygan import Callback, LabelSmoothing, ModelCheckpoint, Trainer, load_checkpoint
from pygan.callbacks import callback_keys, callback_states, load_callback_states
from pygan.checkpoint import save_checkpoint


class Count(Callback):
    def __init__(self, name: str, *, step: Any = 1) -> None:
        self.name, self.step, self.count = name, step, 0

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count = state["count"]


class Device:
    """A constructor argument that is not a plain value, with a repr that is the same in every run."""

    def __repr__(self) -> str:
        return "Device('cpu')"


def counts(*callbacks: Count) -> list[int]:
    return [callback.count for callback in callbacks]


def test_keys_name_the_class_and_the_arguments() -> None:
    keys = callback_keys([Count("a"), Count("b"), Count("a"), Count("a"), LabelSmoothing()])
    assert [key.split("@")[0] for key in keys] == ["Count"] * 4 + ["LabelSmoothing"]
    assert keys[0] != keys[1] and keys[2:4] == [f"{keys[0]}#2", f"{keys[0]}#3"]
    assert all(len(key.split("@")[1].split("#")[0]) == 8 for key in keys)


def test_keys_read_paths_as_text_tuples_as_lists_and_other_values_by_repr(tmp_path: Path) -> None:
    assert callback_keys([Count(str(tmp_path))]) == callback_keys([Count(tmp_path)])
    assert callback_keys([Count("a", step=(1, 2))]) == callback_keys([Count("a", step=[1, 2])])
    assert callback_keys([Count("a", step=Device())]) == callback_keys([Count("a", step=Device())])
    assert callback_keys([Count("a", step=Device())]) != callback_keys([Count("a")])


def test_keys_follow_state_key() -> None:
    class Renamed(Count):
        @property
        def state_key(self) -> str:
            return "Count"

    assert callback_keys([Renamed("a")]) == callback_keys([Count("a")])


def test_reordered_callbacks_of_one_class_get_their_own_states_back(tmp_path: Path) -> None:
    a, b = Count("a"), Count("b")
    a.count, b.count = 1, 2
    save_checkpoint({"callbacks": callback_states([a, b])}, tmp_path / "run.ckpt")
    a2, b2 = Count("a"), Count("b")
    load_callback_states([b2, a2], load_checkpoint(tmp_path / "run.ckpt")["callbacks"])
    assert counts(a2, b2) == [1, 2]


def test_identical_callbacks_get_the_states_in_list_order() -> None:
    first, second = Count("a"), Count("a")
    first.count, second.count = 1, 2
    again = [Count("a"), Count("a")]
    load_callback_states(again, callback_states([first, second]))
    assert counts(*again) == [1, 2]


def test_pygan_0_1_0_keys_are_read_in_list_order() -> None:
    legacy = {"Count": {"count": 1}, "Count#2": {"count": 2}, "LabelSmoothing": {}}
    first, second = Count("a"), Count("b")
    load_callback_states([first, second], legacy)
    assert counts(first, second) == [1, 2]


def test_a_callback_built_differently_keeps_the_only_state_of_its_kind() -> None:
    saved = ModelCheckpoint("ck", keep_last=3)
    saved.saved = ["ck/epoch-0001.ckpt"]
    resumed = ModelCheckpoint("ck", keep_last=5)
    load_callback_states([resumed], callback_states([saved]))
    assert resumed.saved == ["ck/epoch-0001.ckpt"]


def test_of_two_of_a_kind_the_one_built_differently_takes_the_state_left() -> None:
    a, b = Count("a"), Count("b")
    a.count, b.count = 1, 2
    b_changed, a_same = Count("b", step=5), Count("a")
    load_callback_states([b_changed, a_same], callback_states([a, b]))
    assert counts(a_same, b_changed) == [1, 2]


def test_states_that_cannot_be_told_apart_are_given_to_no_one() -> None:
    a, b = Count("a"), Count("b")
    a.count, b.count = 1, 2
    c, d = Count("c"), Count("d")
    load_callback_states([c, d], callback_states([a, b]))
    assert counts(c, d) == [0, 0]


def test_states_of_other_kinds_are_ignored_and_a_callback_without_one_keeps_its_own() -> None:
    fresh = Count("fresh")
    fresh.count = 3
    load_callback_states([fresh, LabelSmoothing()], {"Gone@12345678": {"count": 7}, "Gone": {"count": 8}})
    assert fresh.count == 3



class Steps(Callback):
    """Adds ``by`` after every training step."""

    def __init__(self, by: int) -> None:
        self.by, self.total = by, 0

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        self.total += self.by

    def state_dict(self) -> dict[str, Any]:
        return {"total": self.total}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.total = state["total"]


def test_a_trainer_resumed_with_its_callbacks_reordered_gives_each_its_own_state(
    tiny_models, tiny_data, tmp_path: Path
) -> None:
    trainer = Trainer(*tiny_models(), device="cpu", callbacks=[Steps(by=1), Steps(by=10)])
    trainer.fit(tiny_data, epochs=2, batch_size=32)  # 3 steps an epoch
    trainer.save_checkpoint(str(tmp_path / "run.ckpt"))
    ones, tens = Steps(by=1), Steps(by=10)
    Trainer(*tiny_models(), device="cpu", callbacks=[tens, ones]).fit(
        tiny_data, epochs=4, batch_size=32, resume_from=tmp_path / "run.ckpt"
    )
    assert (ones.total, tens.total) == (12, 120)
