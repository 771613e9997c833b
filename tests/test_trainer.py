"""The Trainer: hook order, d_steps, data paths, resume exactness, errors before work."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from item_dataset import ItemDataset
import pygan
from pygan import Callback, LabelSmoothing, ModelCheckpoint, Trainer
from pygan.callbacks.base import HOOKS


class Recorder(Callback):
    """Records every hook call, and every step's losses as floats."""

    def __init__(self, stop_at_step: int | None = None) -> None:
        self.calls: list[str] = []
        self.losses: list[tuple[float, float]] = []
        self.stop_at_step = stop_at_step

    def _record(name):  # noqa: N805 - builds the hook methods below
        def hook(self, trainer, *args):
            self.calls.append(name)
            if name == "on_batch_end":
                logs = args[0]
                self.losses.append((logs["d_loss"].item(), logs["g_loss"].item()))
                if self.stop_at_step == trainer.global_step:
                    trainer.should_stop = True  # what the first Ctrl-C does

        return hook

    for _name in HOOKS:
        locals()[_name] = _record(_name)
    del _name


def test_hook_order(tiny_models, tiny_data) -> None:
    rec = Recorder()
    g, d = tiny_models()
    Trainer(g, d, device="cpu", seed=0, callbacks=[rec], d_steps=2).fit(tiny_data, epochs=2, batch_size=16)
    step = ["on_discriminator_step", "on_discriminator_step", "on_batch_end"]
    epoch = ["on_epoch_start", *step * 3, "on_epoch_end"]  # 96 / 16 = 6 batches = 3 steps
    assert rec.calls == ["on_fit_start", *epoch * 2, "on_fit_end"]


def test_exception_hook_and_propagation(tiny_models, tiny_data) -> None:
    class Boom(Callback):
        def on_batch_end(self, trainer, logs):
            raise RuntimeError("boom")

    rec = Recorder()
    g, d = tiny_models()
    with pytest.raises(RuntimeError, match="boom"):
        Trainer(g, d, device="cpu", callbacks=[Boom(), rec]).fit(tiny_data, epochs=1, batch_size=16)
    assert rec.calls[-1] == "on_exception" and "on_fit_end" not in rec.calls


def test_d_steps_counts_updates(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", d_steps=3)
    trainer.fit(tiny_data, epochs=1, batch_size=8)  # 12 batches -> 4 steps
    d_state = trainer.d_optimizer.state_dict()["state"]
    g_state = trainer.g_optimizer.state_dict()["state"]
    assert int(d_state[0]["step"]) == 12 and int(g_state[0]["step"]) == 4
    assert trainer.history[-1]["steps"] == 4 and trainer.global_step == 4


def test_history_figures(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    history = Trainer(g, d, device="cpu", seed=0).fit(tiny_data, epochs=3, batch_size=32)
    assert history["epoch"] == [1, 2, 3]
    for record in history:
        assert 0 < record["d_real"] < 1 and 0 < record["d_fake"] < 1
        assert record["d_loss"] > 0 and record["g_loss"] > 0


def test_models_are_trained(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    before = [p.clone() for p in [*g.parameters(), *d.parameters()]]
    Trainer(g, d, device="cpu").fit(tiny_data, epochs=1, batch_size=32)
    assert all(not torch.equal(a, b) for a, b in zip(before, [*g.parameters(), *d.parameters()]))


def test_label_smoothing_changes_targets(tiny_models, tiny_data) -> None:
    seen: list[Any] = []

    class Spy(Callback):
        def on_discriminator_step(self, trainer, targets):
            seen.append((targets.real, targets.fake))

    g, d = tiny_models()
    Trainer(g, d, device="cpu", callbacks=[LabelSmoothing(0.9), Spy()]).fit(tiny_data, epochs=1, batch_size=48)
    assert seen == [(0.9, 0.0), (0.9, 0.0)]


def test_label_smoothing_noise_gives_per_sample_targets(tiny_models, tiny_data) -> None:
    seen: list[Any] = []

    class Spy(Callback):
        def on_discriminator_step(self, trainer, targets):
            seen.append(targets.real)

    g, d = tiny_models()
    cb = LabelSmoothing(real=0.9, noise=0.05)
    Trainer(g, d, device="cpu", callbacks=[cb, Spy()]).fit(tiny_data, epochs=1, batch_size=48)
    assert seen[0].shape == (48,) and 0.85 <= seen[0].min() and seen[0].max() <= 0.95


def test_label_smoothing_warns_for_losses_without_targets(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    with pytest.warns(UserWarning, match="no effect with HingeLoss"):
        Trainer(g, d, "hinge", device="cpu", callbacks=[LabelSmoothing()]).fit(tiny_data, epochs=1, batch_size=48)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda x: x,
        lambda x: x.float() / 127.5 - 1,
        lambda x: x[:, 0],  # (N, H, W)
        lambda x: TensorDataset(x, torch.zeros(len(x))),
        lambda x: pygan.ImageDataset(x),
        ItemDataset,
        lambda x: DataLoader(ItemDataset(x), batch_size=16, shuffle=True),
    ],
    ids=["uint8", "float", "NHW", "TensorDataset", "ImageDataset", "Dataset", "DataLoader"],
)
def test_every_kind_of_data_trains(tiny_models, tiny_data, wrap) -> None:
    g, d = tiny_models()
    history = Trainer(g, d, device="cpu").fit(wrap(tiny_data), epochs=1, batch_size=16)
    assert history[-1]["steps"] == 6 and all(torch.isfinite(p).all() for p in g.parameters())


def test_in_memory_path_does_not_copy_uint8_data(tiny_models, tiny_data) -> None:
    from pygan.data.loader import make_batches

    source = make_batches(tiny_data, 16, (1, 8, 8), torch.device("cpu"))
    assert source.images.data_ptr() == tiny_data.data_ptr() and source.images.dtype == torch.uint8


def test_seed_makes_runs_repeat(tiny_models, tiny_data) -> None:
    runs = []
    for _ in range(2):
        g, d = tiny_models(seed=1)
        runs.append(Trainer(g, d, device="cpu", seed=5).fit(tiny_data, epochs=2, batch_size=16)["g_loss"])
    g, d = tiny_models(seed=1)
    other = Trainer(g, d, device="cpu", seed=6).fit(tiny_data, epochs=2, batch_size=16)["g_loss"]
    assert runs[0] == runs[1] != other


def _weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [t.clone() for t in module.state_dict().values()]


def _run(tiny_models, data, tmp: Path, epochs: int, resume: str | None = None, stop_at: int | None = None):
    g, d = tiny_models(seed=2, dropout=0.2)  # dropout: resume must restore the random state too
    rec = Recorder(stop_at_step=stop_at)
    trainer = Trainer(
        g, d, device="cpu", seed=7, d_steps=2,
        callbacks=[LabelSmoothing(0.9, noise=0.05), ModelCheckpoint(tmp, keep_last=10), rec],
    )
    try:
        trainer.fit(data, epochs=epochs, batch_size=8, resume_from=resume)
    except KeyboardInterrupt:
        pass
    return trainer, rec


def test_resume_from_epoch_matches_uninterrupted_run(tiny_models, tiny_data, tmp_path: Path) -> None:
    full, full_rec = _run(tiny_models, tiny_data, tmp_path / "full", epochs=4)
    _run(tiny_models, tiny_data, tmp_path / "part", epochs=2)
    resumed, resumed_rec = _run(
        tiny_models, tiny_data, tmp_path / "part", epochs=4, resume=str(tmp_path / "part" / "epoch-0002.ckpt")
    )
    assert resumed_rec.losses == full_rec.losses[12:]  # 6 steps per epoch: per-step losses equal
    for a, b in zip(_weights(full.generator), _weights(resumed.generator)):
        assert torch.equal(a, b)
    for a, b in zip(_weights(full.discriminator), _weights(resumed.discriminator)):
        assert torch.equal(a, b)
    assert resumed.history["g_loss"] == full.history["g_loss"]


def test_resume_after_interrupt_mid_epoch_matches(tiny_models, tiny_data, tmp_path: Path) -> None:
    full, full_rec = _run(tiny_models, tiny_data, tmp_path / "full", epochs=3)
    stopped, stopped_rec = _run(tiny_models, tiny_data, tmp_path / "part", epochs=3, stop_at=9)
    assert stopped.global_step == 9 and stopped_rec.calls[-1] == "on_exception"
    assert (tmp_path / "part" / "last.ckpt").exists()
    resumed, resumed_rec = _run(
        tiny_models, tiny_data, tmp_path / "part", epochs=3, resume=str(tmp_path / "part" / "last.ckpt")
    )
    assert stopped_rec.losses + resumed_rec.losses == full_rec.losses
    for a, b in zip(_weights(full.generator), _weights(resumed.generator)):
        assert torch.equal(a, b)
    assert resumed.history["d_loss"] == full.history["d_loss"]


def test_checkpoint_files_and_pruning(tiny_models, tiny_data, tmp_path: Path) -> None:
    g, d = tiny_models()
    cb = ModelCheckpoint(tmp_path, every_n_epochs=2, keep_last=2)
    Trainer(g, d, device="cpu", callbacks=[cb]).fit(tiny_data, epochs=7, batch_size=32)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0006.ckpt", "epoch-0007.ckpt", "last.ckpt"]
    assert torch.load(tmp_path / "last.ckpt", weights_only=True)["epoch"] == 7


class LogFigure(Callback):
    """Log ``figure`` with the given value on each epoch (``None``: not logged that epoch)."""

    def __init__(self, values: list[float | None]) -> None:
        self.values = values

    def on_epoch_end(self, trainer, logs):
        value = self.values[trainer.completed_epochs - 1]
        if value is not None:
            logs["figure"] = value


@pytest.mark.parametrize("background", [True, False])
@pytest.mark.parametrize(
    ("mode", "values", "best"),
    [
        ("min", [5.0, None, 3.0, float("nan"), 4.0, 3.5], 3),
        ("max", [1.0, 2.0, None, 0.5, 2.5, 2.5], 5),
    ],
)
def test_monitored_checkpoint_keeps_the_best_epoch(
    tiny_models, tiny_data, tmp_path: Path, mode: str, values: list, best: int, background: bool
) -> None:
    g, d = tiny_models()
    cb = ModelCheckpoint(tmp_path, every_n_epochs=100, keep_last=1, monitor="figure", mode=mode, background=background)
    Trainer(g, d, device="cpu", callbacks=[LogFigure(values), cb]).fit(tiny_data, epochs=6, batch_size=32)
    assert (cb.best_epoch, cb.best_score) == (best, values[best - 1])
    assert pygan.load_checkpoint(tmp_path / "best.ckpt")["epoch"] == best
    assert pygan.load_checkpoint(tmp_path / "last.ckpt")["epoch"] == 6
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt", "epoch-0006.ckpt", "last.ckpt"]  # pruned, best kept


def test_monitored_best_survives_resume(tiny_models, tiny_data, tmp_path: Path) -> None:
    values = [4.0, 2.0, 3.0, 1.0, 5.0]
    g, d = tiny_models()
    first = ModelCheckpoint(tmp_path, monitor="figure")
    Trainer(g, d, device="cpu", callbacks=[LogFigure(values), first]).fit(tiny_data, epochs=3, batch_size=32)
    resumed = ModelCheckpoint(tmp_path, monitor="figure")
    Trainer(*tiny_models(), device="cpu", callbacks=[LogFigure(values), resumed]).fit(
        tiny_data, epochs=5, batch_size=32, resume_from=str(tmp_path / "last.ckpt")
    )
    assert (first.best_epoch, resumed.best_epoch, resumed.best_score) == (2, 4, 1.0)
    assert pygan.load_checkpoint(tmp_path / "best.ckpt")["epoch"] == 4


def test_monitor_never_logged_warns(tiny_models, tiny_data, tmp_path: Path) -> None:
    g, d = tiny_models()
    cb = ModelCheckpoint(tmp_path, monitor="frechet_distanse")
    with pytest.warns(RuntimeWarning, match="never saw a finite 'frechet_distanse'.*'d_loss'"):
        Trainer(g, d, device="cpu", callbacks=[cb]).fit(tiny_data, epochs=1, batch_size=32)
    assert not (tmp_path / "best.ckpt").exists()


def test_monitor_before_the_evaluation_that_logs_it_is_refused(tiny_models, tiny_data, tmp_path: Path) -> None:
    g, d = tiny_models()
    callbacks = [ModelCheckpoint(tmp_path, monitor="frechet_distance"), pygan.Evaluation(real=tiny_data)]
    with pytest.raises(ValueError, match="comes before the Evaluation callback .* list the Evaluation first"):
        Trainer(g, d, device="cpu", callbacks=callbacks).fit(tiny_data, epochs=1, batch_size=32)


def _slow_checkpoint_writes(monkeypatch: pytest.MonkeyPatch, seconds: float, fail_at: int | None = None) -> None:
    """Make every checkpoint write take ``seconds`` longer (so training runs on meanwhile);
    write number ``fail_at`` fails as a full disk would."""
    real_save, calls = torch.save, []

    def slow_save(obj, f, *args, **kwargs):
        calls.append(1)
        time.sleep(seconds)
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device")
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", slow_save)


@pytest.mark.parametrize("keep_last", [0, 2])
def test_background_writes_save_each_epochs_state_while_training_goes_on(
    tiny_models, tiny_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_last: int
) -> None:
    class RecordWeights(Callback):
        def __init__(self) -> None:
            self.weights: list[list[torch.Tensor]] = []

        def on_epoch_end(self, trainer, logs):
            self.weights.append(_weights(trainer.generator))

    _slow_checkpoint_writes(monkeypatch, 0.2)
    record = RecordWeights()
    g, d = tiny_models()
    cb = ModelCheckpoint(tmp_path, keep_last=keep_last)
    Trainer(g, d, device="cpu", callbacks=[cb, record]).fit(tiny_data, epochs=3, batch_size=32)
    kept = [f"epoch-{e:04d}.ckpt" for e in (1, 2, 3)][3 - keep_last :] if keep_last else []
    assert sorted(os.listdir(tmp_path)) == [*kept, "last.ckpt"]  # all written when fit returns
    for name in [*kept, "last.ckpt"]:
        state = pygan.load_checkpoint(tmp_path / name)
        saved = list(state["generator"]["state_dict"].values())
        assert all(torch.equal(a, b) for a, b in zip(saved, record.weights[state["epoch"] - 1], strict=True))


def test_failed_background_write_is_raised_by_fit_and_keeps_the_previous_files(
    tiny_models, tiny_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slow_checkpoint_writes(monkeypatch, 0.05, fail_at=2)
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", callbacks=[ModelCheckpoint(tmp_path, keep_last=5)])
    with pytest.raises(pygan.CheckpointError, match=f"{tmp_path / 'epoch-0002.ckpt'}: .*No space left"):
        trainer.fit(tiny_data, epochs=4, batch_size=32)
    assert trainer.completed_epochs == 3  # raised by epoch 3's save, waiting for epoch 2's
    assert sorted(os.listdir(tmp_path)) == ["epoch-0001.ckpt", "last.ckpt"]
    assert pygan.load_checkpoint(tmp_path / "last.ckpt")["epoch"] == 1


def test_error_ending_fit_waits_for_the_background_write(
    tiny_models, tiny_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FailInEpoch2(Callback):
        def on_batch_end(self, trainer, logs):
            if trainer.epoch == 2:
                raise RuntimeError("user callback failed")

    _slow_checkpoint_writes(monkeypatch, 0.3)
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", callbacks=[ModelCheckpoint(tmp_path), FailInEpoch2()])
    with pytest.raises(RuntimeError, match="user callback failed"):
        trainer.fit(tiny_data, epochs=3, batch_size=32)
    assert pygan.load_checkpoint(tmp_path / "last.ckpt")["epoch"] == 1


def test_nan_loss_stops_with_epoch_and_step(tiny_models, tiny_data) -> None:
    class Poison(Callback):
        def on_batch_end(self, trainer, logs):
            if trainer.global_step == 3:
                with torch.no_grad():
                    for p in trainer.discriminator.parameters():
                        p.fill_(float("nan"))

    g, d = tiny_models()
    with pytest.raises(pygan.NonFiniteLossError, match=r"discriminator loss became nan at epoch 1, step 4"):
        Trainer(g, d, device="cpu", callbacks=[Poison()]).fit(tiny_data, epochs=2, batch_size=16)


def test_non_scalar_loss_is_refused(tiny_models, tiny_data) -> None:
    class PerSample(pygan.NonSaturatingLoss):
        def generator_loss(self, fake_logits):
            return torch.nn.functional.softplus(-fake_logits)

    g, d = tiny_models()
    with pytest.raises(ValueError, match=r"PerSample.generator_loss must return a scalar tensor .*got \(16,\)"):
        Trainer(g, d, PerSample(), device="cpu").fit(tiny_data, epochs=1, batch_size=16)


def test_optimizer_factories_and_instances(tiny_models, tiny_data) -> None:
    g, d = tiny_models()
    g_opt = torch.optim.SGD(g.parameters(), lr=0.01)
    trainer = Trainer(g, d, device="cpu", g_optimizer=g_opt, d_optimizer=lambda p: torch.optim.RMSprop(p, lr=1e-3))
    trainer.fit(tiny_data, epochs=1, batch_size=16)
    assert trainer.g_optimizer is g_opt and isinstance(trainer.d_optimizer, torch.optim.RMSprop)
    with pytest.raises(ValueError, match="not the generator's"):
        Trainer(g, d, device="cpu", g_optimizer=torch.optim.SGD(d.parameters(), lr=0.1))


def test_default_optimizers() -> None:
    g, d = pygan.MLPGenerator(hidden=(8,)), pygan.MLPDiscriminator(hidden=(8,))
    trainer = Trainer(g, d, device="cpu", g_lr=1e-3, d_lr=0.05)
    for opt, lr in [(trainer.g_optimizer, 1e-3), (trainer.d_optimizer, 0.05)]:
        assert isinstance(opt, torch.optim.Adam)
        assert opt.param_groups[0]["lr"] == lr and opt.param_groups[0]["betas"] == (0.5, 0.999)


def test_device_auto_picks_cpu_here() -> None:
    g, d = pygan.MLPGenerator(hidden=(8,)), pygan.MLPDiscriminator(hidden=(8,))
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert Trainer(g, d).device.type == expected


# Bad inputs of the Trainer and fit(), with their messages: tests/test_bad_inputs.py


def test_sampling_keeps_train_mode_during_fit(tiny_models, tiny_data) -> None:
    modes: list[bool] = []

    class Sampler(Callback):
        def on_epoch_end(self, trainer, logs):
            trainer.generator.sample(4)
            modes.append(trainer.generator.training)

    g, d = tiny_models()
    Trainer(g, d, device="cpu", callbacks=[Sampler()]).fit(tiny_data, epochs=2, batch_size=16)
    assert modes == [True, True]


@pytest.mark.parametrize("precision", ["bf16"])
def test_mixed_precision_on_cpu(tiny_models, tiny_data, precision: str) -> None:
    g, d = tiny_models()
    history = Trainer(g, d, device="cpu", precision=precision).fit(tiny_data, epochs=1, batch_size=16)
    assert all(p.dtype == torch.float32 for p in g.parameters()) and history[-1]["steps"] == 6


def test_a_callback_can_end_the_run_early(tiny_models, tiny_data) -> None:
    class TwoEpochsOnly(Callback):
        def on_epoch_end(self, trainer, logs):
            if trainer.completed_epochs == 2:
                trainer.max_epochs = 2

    rec = Recorder()
    g, d = tiny_models()
    history = Trainer(g, d, device="cpu", callbacks=[TwoEpochsOnly(), rec]).fit(tiny_data, epochs=5, batch_size=32)
    assert history["epoch"] == [1, 2] and rec.calls[-1] == "on_fit_end"


@pytest.mark.parametrize("norm", ["none", "batch"])  # one joint pass over both, or two passes
def test_the_discriminator_sees_the_real_batch_first(tiny_models, tiny_data, norm: str) -> None:
    """Batch-norm statistics and dropout masks depend on the order; it is real, then generated."""
    g, d = tiny_models(norm=norm)
    passes: list[torch.Tensor] = []
    d.register_forward_pre_hook(lambda module, args: passes.append(args[0].detach()))
    Trainer(g, d, device="cpu", seed=0).fit(tiny_data, epochs=1, batch_size=96)
    real = tiny_data.float() / 127.5 - 1
    assert torch.equal(passes[0][:96].sort(0).values, real.sort(0).values)  # the shuffled batch
    assert len(passes) == (2 if norm == "none" else 3)  # D step(s), then the generator's step
