"""The fast paths the speed benchmark relies on, checked by counting, not by timing.

Timings belong to benchmarks/speed.py; these tests catch the changes that would make it slow:
a copy of the dataset, a host sync in every step, D's weight gradients in the G step, a slow
optimizer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from pygan import ImageDataset, MLPDiscriminator, MLPGenerator, Trainer


class OpRecorder(TorchDispatchMode):
    """Counts the aten ops run and keeps the largest number of elements any op produced."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: Counter[str] = Counter()
        self.largest: tuple[int, str] = (0, "")

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        name = str(func.overloadpacket)
        self.ops[name] += 1
        for tensor in out if isinstance(out, (tuple, list)) else [out]:
            if isinstance(tensor, torch.Tensor) and tensor.numel() > self.largest[0]:
                self.largest = (tensor.numel(), name)
        return out


def tiny_trainer(shape: tuple[int, ...] = (1, 28, 28), **kwargs: Any) -> Trainer:
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=4, output_shape=shape, hidden=(8,))
    d = MLPDiscriminator(input_shape=shape, hidden=(8,), dropout=0.0)
    return Trainer(g, d, device="cpu", seed=0, **kwargs)


@pytest.fixture(scope="module")
def fashion_sized() -> torch.Tensor:
    """60,000 uint8 28x28 images, the size of Fashion-MNIST's training set: 47 MB."""
    return torch.randint(0, 256, (60_000, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("wrap", [lambda x: x, lambda x: ImageDataset(x)], ids=["tensor", "ImageDataset"])
def test_fit_on_60k_uint8_images_never_copies_the_dataset(fashion_sized: torch.Tensor, wrap: Any) -> None:
    trainer = tiny_trainer()
    recorder = OpRecorder()
    with recorder:
        history = trainer.fit(wrap(fashion_sized), epochs=1, batch_size=2_000)
    assert history[-1]["steps"] == 30
    # The biggest tensor any op made is D's input (real and generated batches, 2 x 2000 x 784
    # floats), not the 47M-pixel dataset: no float copy, no uint8 copy, no per-epoch gather.
    assert recorder.largest[0] <= 2 * 2_000 * 784, recorder.largest


def test_steps_make_no_host_sync(tiny_data: torch.Tensor) -> None:
    """``.item()``, ``bool(tensor)`` and ``float(tensor)`` run ``aten._local_scalar_dense``, which
    waits for the device; the step figures stay on the device until ``log_every_n_steps``."""
    trainer = tiny_trainer((1, 8, 8), log_every_n_steps=1000)
    recorder = OpRecorder()
    with recorder:
        trainer.fit(tiny_data, epochs=2, batch_size=8)  # 24 steps
    assert recorder.ops["aten._local_scalar_dense"] == 0, recorder.ops


def test_generator_step_skips_discriminator_weight_gradients(tiny_data: torch.Tensor) -> None:
    """Matrix products in the backward passes of one step, with one hidden layer per network:
    the D step 3 (D's two weight gradients, one input gradient), the G step 5 (D's two input
    gradients, G's two weight gradients and one input gradient). D's weight gradients in the
    G step, which its update never uses, would add 2."""
    trainer = tiny_trainer((1, 8, 8))
    recorder = OpRecorder()
    with recorder:
        trainer.fit(tiny_data[:8], epochs=1, batch_size=8)  # one step
    assert recorder.ops["aten.mm"] == 3 + 5, recorder.ops


def test_default_optimizers_use_the_fused_adam_kernel_where_torch_has_one() -> None:
    from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

    trainer = tiny_trainer((1, 8, 8))
    expected = "cpu" in _get_fused_kernels_supported_devices()
    for optimizer in (trainer.g_optimizer, trainer.d_optimizer):
        assert bool(optimizer.defaults["fused"]) == expected
        assert optimizer.defaults["foreach"] == (None if expected else True)


def test_discriminator_parameters_frozen_by_the_user_stay_frozen(tiny_data: torch.Tensor) -> None:
    trainer = tiny_trainer((1, 8, 8))
    first = next(trainer.discriminator.parameters())
    first.requires_grad_(False)
    before = first.detach().clone()
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    assert not first.requires_grad and torch.equal(first, before)



def test_a_checkpoint_is_written_once_per_save(tiny_data: torch.Tensor, tmp_path: Any) -> None:
    """``last.ckpt`` is the epoch's file itself (a hard link), not a second serialization."""
    from pygan import ModelCheckpoint, load_checkpoint

    trainer = tiny_trainer((1, 8, 8), callbacks=[ModelCheckpoint(tmp_path, keep_last=1)])
    trainer.fit(tiny_data, epochs=2, batch_size=16)
    assert (tmp_path / "last.ckpt").samefile(tmp_path / "epoch-0002.ckpt")
    assert not (tmp_path / "epoch-0001.ckpt").exists()  # pruned; last.ckpt keeps its data
    assert load_checkpoint(tmp_path / "last.ckpt")["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch-0002.ckpt", "last.ckpt"]


def test_without_hard_links_last_checkpoint_is_written_again(
    tiny_data: torch.Tensor, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from pygan import ModelCheckpoint, load_checkpoint

    def no_links(src: Any, dst: Any) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    trainer = tiny_trainer((1, 8, 8), callbacks=[ModelCheckpoint(tmp_path)])
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    assert not (tmp_path / "last.ckpt").samefile(tmp_path / "epoch-0001.ckpt")
    assert load_checkpoint(tmp_path / "last.ckpt")["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch-0001.ckpt", "last.ckpt"]
