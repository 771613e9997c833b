"""The checkpoint format: safe to open, atomic, versioned, rebuilds registered parts."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

import pygan
from pygan import CheckpointError, Trainer, load_checkpoint, load_generator
from pygan.checkpoint import FORMAT_VERSION, save_checkpoint


@pytest.fixture
def trained(tiny_models, tiny_data, tmp_path: Path) -> tuple[Trainer, Path]:
    g, d = tiny_models()
    trainer = Trainer(g, d, "least_squares", device="cpu", seed=0)
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    path = tmp_path / "run.ckpt"
    trainer.save_checkpoint(str(path))
    return trainer, path


def test_contents_and_weights_only_load(trained) -> None:
    trainer, path = trained
    state = torch.load(path, weights_only=True)
    assert state["format_version"] == FORMAT_VERSION and state["pygan_version"] == pygan.__version__
    assert state["generator"]["name"] == "mlp"
    assert state["generator"]["kwargs"] == {"latent_dim": 8, "output_shape": (1, 8, 8), "hidden": (16,)}
    assert state["discriminator"]["name"] == "mlp" and state["loss"]["name"] == "least_squares"
    assert state["epoch"] == 1 and state["global_step"] == 6
    assert {"g_optimizer", "d_optimizer", "callbacks", "rng", "history"} <= set(state)


def test_load_generator_rebuilds_identical_generator(trained) -> None:
    trainer, path = trained
    g = load_generator(path)
    assert type(g) is pygan.MLPGenerator and not g.training
    z = torch.randn(4, 8)
    torch.testing.assert_close(g(z), trainer.generator.eval()(z))


def test_load_generator_rebuilds_a_convolutional_head(tiny_data, tmp_path: Path) -> None:
    g = pygan.MLPGenerator(8, (1, 8, 8), hidden=(16,), norm="batch", conv_head=4, conv_head_upsampling="nearest")
    trainer = Trainer(g, pygan.MLPDiscriminator((1, 8, 8), hidden=(8,)), device="cpu", seed=0)
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    trainer.save_checkpoint(str(tmp_path / "head.ckpt"))
    rebuilt = load_generator(tmp_path / "head.ckpt")
    assert rebuilt.conv_head == 4 and rebuilt.conv_head_upsampling == "nearest"
    z = torch.randn(4, 8)
    torch.testing.assert_close(rebuilt(z), trainer.generator.eval()(z))


def test_load_generator_rebuilds_a_conditional_generator(conditional_run) -> None:
    """A trained conditional run saved by ModelCheckpoint: the rebuilt generator makes the same
    images for the same noise and labels, with the EMA weights or the trained ones."""
    checkpoint, trainer = conditional_run
    z, labels = torch.randn(6, 8), torch.tensor([0, 1, 2, 0, 1, 2])
    averaged, raw = load_generator(checkpoint), load_generator(checkpoint, ema=False)
    assert type(averaged) is pygan.MLPGenerator and averaged.num_classes == raw.num_classes == 3
    ema = trainer.callbacks[0].averaged_generator()
    assert torch.equal(averaged.sample(6, z=z, labels=labels), ema.sample(6, z=z, labels=labels))
    assert torch.equal(raw.sample(6, z=z, labels=labels), trainer.generator.sample(6, z=z, labels=labels))
    assert not torch.equal(raw.sample(6, z=z, labels=labels), raw.sample(6, z=z, labels=labels.flip(0)))


def test_no_temporary_files_left(trained) -> None:
    _, path = trained
    assert os.listdir(path.parent) == [path.name]


def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.ckpt"
    torch.save({"format_version": 1, "generator": Payload()}, evil, _use_new_zipfile_serialization=True)
    with pytest.raises(CheckpointError, match="Refused to load .*could run code"):
        load_checkpoint(evil)
    with pytest.raises(CheckpointError):
        load_generator(evil)
    assert not marker.exists()


def test_plain_pickle_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"format_version": 1, "x": {1, 2}}, protocol=2))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_newer_format_refused_with_both_versions(trained, tmp_path: Path) -> None:
    _, path = trained
    state = torch.load(path, weights_only=True)
    state["format_version"] = FORMAT_VERSION + 1
    newer = tmp_path / "newer.ckpt"
    torch.save(state, newer)
    with pytest.raises(CheckpointError, match=f"format {FORMAT_VERSION + 1}, newer than the format {FORMAT_VERSION}"):
        load_checkpoint(newer)


def test_missing_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "nope.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "junk.ckpt")
    torch.save({"a": torch.zeros(1)}, tmp_path / "other.ckpt")
    with pytest.raises(CheckpointError, match="not a pygan checkpoint"):
        load_checkpoint(tmp_path / "other.ckpt")


def test_users_registered_generator_round_trips(tiny_data, tmp_path: Path) -> None:
    @pygan.GENERATORS.register("test_checkpoint_ramp", override=True)
    class Ramp(pygan.Generator):
        def __init__(self, scale: float = 1.0) -> None:
            super().__init__(latent_dim=4, output_shape=(1, 8, 8))
            self.scale = scale
            self.linear = torch.nn.Linear(4, 64)

        def forward(self, z):
            return torch.tanh(self.scale * self.linear(z)).view(-1, 1, 8, 8)

    trainer = Trainer(Ramp(scale=0.5), pygan.MLPDiscriminator((1, 8, 8), hidden=(8,)), device="cpu")
    trainer.fit(tiny_data, epochs=1, batch_size=32)
    trainer.save_checkpoint(str(tmp_path / "ramp.ckpt"))
    g = load_generator(tmp_path / "ramp.ckpt")
    assert isinstance(g, Ramp) and g.scale == 0.5
    torch.testing.assert_close(g.linear.weight, trainer.generator.linear.weight)


def test_unregistered_generator_says_to_register_it(tiny_data, tmp_path: Path) -> None:
    class Unlisted(pygan.Generator):
        def __init__(self) -> None:
            super().__init__(latent_dim=4, output_shape=(1, 8, 8))
            self.linear = torch.nn.Linear(4, 64)

        def forward(self, z):
            return torch.tanh(self.linear(z)).view(-1, 1, 8, 8)

    trainer = Trainer(Unlisted(), pygan.MLPDiscriminator((1, 8, 8), hidden=(8,)), device="cpu")
    trainer.save_checkpoint(str(tmp_path / "u.ckpt"))
    with pytest.raises(CheckpointError, match=r"Unlisted is not registered.*GENERATORS\.register"):
        load_generator(tmp_path / "u.ckpt")


def test_unwritable_directory_is_a_clear_error_and_keeps_old_file(trained, tmp_path: Path) -> None:
    trainer, path = trained
    before = path.read_bytes()
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where the directory should be: no user can write there
    with pytest.raises(CheckpointError, match=f"Cannot write a checkpoint to {blocker / 'x.ckpt'}"):
        save_checkpoint(trainer.state_dict(), blocker / "x.ckpt")
    assert path.read_bytes() == before


def test_failed_write_keeps_previous_checkpoint(trained, monkeypatch) -> None:
    trainer, path = trained
    before = path.read_bytes()

    def failing_save(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(CheckpointError, match=f"Cannot write a checkpoint to {path}: .*No space left"):
        save_checkpoint(trainer.state_dict(), path)
    assert path.read_bytes() == before and os.listdir(path.parent) == [path.name]


def test_non_plain_constructor_arguments_are_reported(tiny_data, tmp_path: Path) -> None:
    g = pygan.MLPGenerator(latent_dim=4, output_shape=torch.Size([1, 8, 8]), hidden=(8,))
    trainer = Trainer(g, pygan.MLPDiscriminator((1, 8, 8), hidden=(8,)), device="cpu")
    trainer.save_checkpoint(str(tmp_path / "s.ckpt"))
    assert load_generator(tmp_path / "s.ckpt").output_shape == (1, 8, 8)
