"""Sharing weights: the safetensors export of a checkpoint's generator."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import torch

import pygan
from pygan import CheckpointError, Trainer, load_checkpoint, load_generator
from pygan.callbacks import EMA
from pygan.export import (
    EXPORT_FORMAT_VERSION,
    export_generator,
    load_exported_generator,
)

safetensors_torch = pytest.importorskip("safetensors.torch")


@pytest.fixture
def checkpoint(tiny_models, tiny_data, tmp_path: Path) -> Path:
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", seed=0, callbacks=[EMA(decay=0.5)])
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    path = tmp_path / "run.ckpt"
    trainer.save_checkpoint(str(path))
    return path


def test_export_round_trip_matches_load_generator(checkpoint: Path, tmp_path: Path) -> None:
    out = export_generator(checkpoint, tmp_path / "export" / "g.safetensors")
    assert sorted(os.listdir(out.parent)) == ["g.json", "g.safetensors"]  # no temporary files
    config = json.loads((out.parent / "g.json").read_text())
    assert config["name"] == "mlp" and config["kwargs"] == {"latent_dim": 8, "output_shape": [1, 8, 8], "hidden": [16]}
    assert config["format_version"] == EXPORT_FORMAT_VERSION and config["weights"] == "g.safetensors"
    z = torch.randn(5, 8)
    exported = load_exported_generator(out)
    assert type(exported) is pygan.MLPGenerator and not exported.training
    torch.testing.assert_close(exported(z), load_generator(checkpoint)(z), rtol=0, atol=0)


def test_export_holds_only_the_generator_tensors(checkpoint: Path, tmp_path: Path) -> None:
    out = export_generator(checkpoint, tmp_path / "g.safetensors")
    tensors = safetensors_torch.load_file(str(out))
    assert sorted(tensors) == sorted(load_generator(checkpoint).state_dict())


def test_export_prefers_ema_weights_unless_told(checkpoint: Path, tmp_path: Path) -> None:
    ema = load_exported_generator(export_generator(checkpoint, tmp_path / "ema.safetensors"))
    raw = load_exported_generator(export_generator(checkpoint, tmp_path / "raw.safetensors", ema=False))
    state = load_checkpoint(checkpoint)
    assert torch.equal(raw.net[0].weight, state["generator"]["state_dict"]["net.0.weight"])
    assert not torch.equal(ema.net[0].weight, raw.net[0].weight)


def test_export_needs_safetensors_and_says_which_extra(checkpoint: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(ImportError, match=r"pip install 'pygan\[export\]'"):
        export_generator(checkpoint, tmp_path / "g.safetensors")
    assert not (tmp_path / "g.safetensors").exists()


def test_bad_export_path_refused(checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"path ending in \.safetensors .*got '.*g\.pt'"):
        export_generator(checkpoint, tmp_path / "g.pt")


def test_a_file_that_cannot_be_written_is_an_os_error_naming_it(checkpoint: Path, tmp_path: Path) -> None:
    (tmp_path / "g.json").mkdir()  # the config cannot replace a directory
    with pytest.raises(OSError, match=f"Cannot write the generator's config to {tmp_path / 'g.json'}") as caught:
        export_generator(checkpoint, tmp_path / "g.safetensors")
    assert not isinstance(caught.value, CheckpointError)
    assert sorted(os.listdir(tmp_path)) == ["g.json", "g.safetensors", "run.ckpt"]  # no temporary files


def test_unregistered_generator_cannot_be_exported(tiny_data, tmp_path: Path) -> None:
    class Unlisted(pygan.Generator):
        def __init__(self) -> None:
            super().__init__(latent_dim=4, output_shape=(1, 8, 8))
            self.linear = torch.nn.Linear(4, 64)

        def forward(self, z):
            return torch.tanh(self.linear(z)).view(-1, 1, 8, 8)

    Trainer(Unlisted(), pygan.MLPDiscriminator((1, 8, 8), hidden=(8,)), device="cpu").save_checkpoint(str(tmp_path / "u.ckpt"))
    with pytest.raises(CheckpointError, match="Unlisted is not registered"):
        export_generator(tmp_path / "u.ckpt", tmp_path / "u.safetensors")


def _edit_config(out: Path, **changes) -> None:
    config_path = out.with_suffix(".json")
    config_path.write_text(json.dumps({**json.loads(config_path.read_text()), **changes}))


def test_loading_refuses_newer_exports_missing_files_and_other_architectures(checkpoint: Path, tmp_path: Path) -> None:
    out = export_generator(checkpoint, tmp_path / "g.safetensors")
    _edit_config(out, kwargs={"latent_dim": 8, "output_shape": [1, 8, 8], "hidden": [32]})
    with pytest.raises(CheckpointError, match=r"net.0.weight: checkpoint \(16, 8\) vs model \(32, 8\)"):
        load_exported_generator(out)
    _edit_config(out, format_version=EXPORT_FORMAT_VERSION + 1)
    with pytest.raises(CheckpointError, match=f"export format {EXPORT_FORMAT_VERSION + 1}, newer than the format {EXPORT_FORMAT_VERSION}"):
        load_exported_generator(out)
    out.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match="Cannot read .*g.json"):
        load_exported_generator(out)
    out.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match="No exported generator file at .*g.json"):
        load_exported_generator(out)


def test_garbage_weights_file_is_a_clear_error(checkpoint: Path, tmp_path: Path) -> None:
    out = export_generator(checkpoint, tmp_path / "g.safetensors")
    out.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"Cannot read .*g\.safetensors as safetensors"):
        load_exported_generator(out)


def test_a_conditional_generator_exports_with_its_classes(conditional_run, tmp_path: Path) -> None:
    checkpoint, trainer = conditional_run
    out = export_generator(checkpoint, tmp_path / "c.safetensors")
    config = json.loads(out.with_suffix(".json").read_text())
    assert config["num_classes"] == 3 and config["kwargs"]["num_classes"] == 3
    exported = load_exported_generator(out)
    assert exported.num_classes == 3
    z, labels = torch.randn(6, 8), torch.tensor([0, 1, 2, 2, 1, 0])
    expected = trainer.callbacks[0].averaged_generator()(z, labels)  # the EMA weights
    torch.testing.assert_close(exported(z, labels), expected, rtol=0, atol=0)
    assert not torch.allclose(exported(z, labels), exported(z, labels.roll(1)))  # the labels matter
