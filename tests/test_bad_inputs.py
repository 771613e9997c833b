"""Every bad input of the public API, in one table: each is refused, before any work, with an
error whose message names the problem (the fragment listed here).

A row is ``(id, call, message)``: ``call`` gets a :class:`Context` that builds tiny models,
data, trainers and files. For rows that train, the test also checks that no hook ran and the
weights did not change: the input was refused before any work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from item_dataset import ItemDataset
from pygan import (
    DATASETS,
    EMA,
    GENERATORS,
    LOSSES,
    Callback,
    CheckpointError,
    CSVLogger,
    DCGANDiscriminator,
    DCGANGenerator,
    ImageDataset,
    LabelSmoothing,
    MLPDiscriminator,
    MLPGenerator,
    ModelCheckpoint,
    ProgressBar,
    SampleGrid,
    Trainer,
    WassersteinLoss,
    load_generator,
)
from pygan.callbacks import Evaluation, LossPlot, TensorBoardLogger
from pygan.callbacks.base import HOOKS
from pygan.data import csv, fashion_mnist, image_folder, mnist, split_dataset
from pygan.export import export_generator
from pygan.metrics import CNNJudge, MLPJudge
from pygan.models import MinibatchStd

SHAPE = (1, 8, 8)


class Recorder(Callback):
    """Records every hook call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        if name in HOOKS:
            return lambda trainer, *args: self.calls.append(name)
        return super().__getattribute__(name)


class Context:
    """What a row needs: tiny models, 96 uint8 8x8 images, trainers, files in a temp dir."""

    def __init__(self, tiny_models: Callable[..., Any], data: torch.Tensor, tmp: Path) -> None:
        self.tiny_models, self.data, self.tmp = tiny_models, data, tmp
        self.trainers: list[tuple[Trainer, Recorder, list[torch.Tensor]]] = []

    def trainer(self, **kwargs: Any) -> Trainer:
        g, d = self.tiny_models()
        recorder = Recorder()
        trainer = Trainer(g, d, device="cpu", callbacks=[recorder], **kwargs)
        self.trainers.append((trainer, recorder, _weights(trainer)))
        return trainer

    def fit(self, data: Any = None, **kwargs: Any) -> Any:
        return self.trainer().fit(self.data if data is None else data, **{"epochs": 1, "batch_size": 16, **kwargs})

    def checkpoint(self) -> Path:
        g, d = self.tiny_models()
        path = self.tmp / "trained.ckpt"
        Trainer(g, d, device="cpu").save_checkpoint(str(path))
        return path

    def csv_file(self, text: str) -> Path:
        path = self.tmp / "digits.csv"
        path.write_text(text)
        return path


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [t.clone() for m in (trainer.generator, trainer.discriminator) for t in m.state_dict().values()]


def _small() -> tuple[MLPGenerator, MLPDiscriminator]:
    return MLPGenerator(hidden=(8,)), MLPDiscriminator(hidden=(8,))


def _trainer(**kwargs: Any) -> Trainer:
    return Trainer(*_small(), **kwargs)


def _register_mlp_again() -> None:
    GENERATORS.register("mlp")(type("Other", (MLPGenerator,), {}))


TWO_DIGITS = "3," + ",".join(["0"] * 64) + "\n" + "5," + ",".join(["255"] * 64) + "\n"

BAD_INPUTS: list[tuple[str, Callable[[Context], Any], str]] = [
    # ---- models
    ("mlp-hidden-width-0", lambda c: MLPGenerator(hidden=(0, 4)), r"hidden\[0\] to be an integer >= 1, got 0"),
    ("mlp-hidden-not-sequence", lambda c: MLPGenerator(hidden=256), "hidden to be a sequence of positive integers"),
    ("mlp-latent-negative", lambda c: MLPGenerator(latent_dim=-3), "latent_dim to be an integer >= 1, got -3"),
    ("mlp-latent-float", lambda c: MLPGenerator(latent_dim=2.5), "latent_dim to be an integer >= 1, got 2.5"),
    ("mlp-latent-bool", lambda c: MLPGenerator(latent_dim=True), "latent_dim to be an integer >= 1, got True"),
    ("mlp-output-shape-0", lambda c: MLPGenerator(output_shape=(1, 0, 28)), r"output_shape\[1\] to be an integer >= 1"),
    ("mlp-conv-head-1", lambda c: MLPGenerator(conv_head=1), "conv_head must be 0 .* or at least 2 channels"),
    ("mlp-conv-head-negative", lambda c: MLPGenerator(conv_head=-8), "conv_head to be an integer >= 0, got -8"),
    ("mlp-conv-head-30px", lambda c: MLPGenerator(output_shape=(1, 30, 30), conv_head=8), r"multiples of 4; got output_shape \(1, 30, 30\)"),
    ("mlp-conv-head-upsampling", lambda c: MLPGenerator(conv_head=8, conv_head_upsampling="bilinear"), "conv_head_upsampling to be one of 'transposed', 'nearest', got 'bilinear'"),
    ("mlp-dropout-1", lambda c: MLPGenerator(dropout=1.0), r"dropout to be a number in \[0, 1\), got 1.0"),
    ("mlp-dropout-negative", lambda c: MLPDiscriminator(dropout=-0.1), r"dropout to be a number in \[0, 1\), got -0.1"),
    ("mlp-dropout-string", lambda c: MLPGenerator(dropout="0.1"), r"dropout to be a number in \[0, 1\), got '0.1'"),
    ("mlp-activation", lambda c: MLPGenerator(activation="relu6"), "activation to be one of 'relu'"),
    ("mlp-norm", lambda c: MLPDiscriminator(norm="group"), "norm to be one of 'none', 'batch'"),
    ("mlp-minibatch-std-negative", lambda c: MLPDiscriminator(minibatch_std=-1), "minibatch_std"),
    ("mlp-minibatch-std-float", lambda c: MLPDiscriminator(minibatch_std=2.5), "minibatch_std"),
    ("minibatch-std-group-zero", lambda c: MinibatchStd(group=0), "group to be an integer >= 1, got 0"),
    ("mlp-input-shape-string", lambda c: MLPDiscriminator(input_shape="1x28x28"), "input_shape to be a non-empty sequence"),
    ("dcgan-not-square", lambda c: DCGANGenerator(output_shape=(1, 28, 30)), "square"),
    ("dcgan-side", lambda c: DCGANGenerator(output_shape=(1, 36, 36)), "base <= 8"),
    ("dcgan-base-channels", lambda c: DCGANDiscriminator(base_channels=0), "base_channels to be an integer >= 1"),
    ("dcgan-norm", lambda c: DCGANDiscriminator(norm="group"), "norm to be one of 'none', 'batch', 'layer'"),
    ("sample-latent-negative", lambda c: MLPGenerator(hidden=(8,)).sample_latent(-1), "n to be an integer >= 0, got -1"),
    ("sample-n-string", lambda c: MLPGenerator(hidden=(8,)).sample("4"), "n to be an integer >= 0, got '4'"),
    # ---- losses and registries
    ("wasserstein-gp-negative", lambda c: WassersteinLoss(gp_weight=-1), "gp_weight to be a positive finite number, got -1"),
    ("wasserstein-gp-string", lambda c: WassersteinLoss(gp_weight="10"), "gp_weight to be a positive number, got '10'"),
    ("wasserstein-gp-nan", lambda c: WassersteinLoss(gp_weight=float("nan")), "gp_weight to be a positive finite number"),
    ("loss-unknown-name", lambda c: LOSSES.create("hinj"), "Unknown loss 'hinj'. Did you mean 'hinge'"),
    ("dataset-unknown-name", lambda c: DATASETS.create("mnits"), "Unknown dataset 'mnits'. Did you mean 'mnist'"),
    ("registry-empty-name", lambda c: GENERATORS.register(""), "name must be a non-empty string, got ''"),
    ("registry-name-taken", lambda c: _register_mlp_again(), "generator named 'mlp' is already registered"),
    # ---- callbacks
    ("label-smoothing-real", lambda c: LabelSmoothing(real=1.5), r"real to be a number in \[0, 1\], got 1.5"),
    ("label-smoothing-noise", lambda c: LabelSmoothing(noise=0.6), r"noise to be in \[0, 0.5\], got 0.6"),
    ("checkpoint-every-0", lambda c: ModelCheckpoint(c.tmp, every_n_epochs=0), "every_n_epochs to be an integer >= 1"),
    ("checkpoint-keep-negative", lambda c: ModelCheckpoint(c.tmp, keep_last=-1), "keep_last to be an integer >= 0"),
    ("checkpoint-mode", lambda c: ModelCheckpoint(c.tmp, monitor="g_loss", mode="lowest"), "mode"),
    ("checkpoint-monitor-int", lambda c: ModelCheckpoint(c.tmp, monitor=3), "monitor to be the name of a logged figure"),
    ("checkpoint-dirpath-int", lambda c: ModelCheckpoint(123), "dirpath to be a file or directory path"),
    ("ema-decay-1", lambda c: EMA(decay=1.0), r"decay to be a number in \[0, 1\), got 1.0"),
    ("ema-start-negative", lambda c: EMA(start_step=-1), "start_step to be an integer >= 0"),
    ("sample-grid-n-0", lambda c: SampleGrid(c.tmp, n=0), "n to be an integer >= 1, got 0"),
    ("sample-grid-use-ema-string", lambda c: SampleGrid(c.tmp, use_ema="no"), "use_ema to be True or False, got 'no'"),
    ("sample-grid-dirpath-empty", lambda c: SampleGrid(""), "dirpath to be a file or directory path"),
    ("csv-logger-path-none", lambda c: CSVLogger(None), "path to be a file or directory path"),
    ("loss-plot-path-int", lambda c: LossPlot(7), "path to be a file or directory path"),
    ("progress-bar-refresh-0", lambda c: ProgressBar(refresh_every_n_steps=0), "refresh_every_n_steps to be an integer >= 1"),
    ("tensorboard-every-0", lambda c: TensorBoardLogger(c.tmp, log_every_n_steps=0), "log_every_n_steps to be an integer >= 1"),
    ("evaluation-n-1", lambda c: Evaluation(n=1), "n to be an integer >= 2, got 1"),
    ("evaluation-real-list", lambda c: Evaluation(real=[1, 2]), "real to be a tensor of images, an ImageDataset"),
    ("evaluation-real-unknown-dataset", lambda c: Evaluation(real="mnsit"), "Unknown dataset 'mnsit'"),
    ("evaluation-data-unknown-dataset", lambda c: Evaluation(data="fashion"), "data.name: Unknown dataset 'fashion'. Did you mean 'fashion_mnist'"),
    ("evaluation-judges-string", lambda c: Evaluation(judges="cnn-0"), "a sequence of judge names"),
    ("evaluation-judges-unknown", lambda c: Evaluation(judges=["cnn-0", "vit-1"]), "Unknown judge architecture 'vit'"),
    ("evaluation-judges-and-classifier", lambda c: Evaluation(judges=["cnn-0"], classifier=CNNJudge()), "Got both classifier and judges"),
    ("evaluation-bootstrap-negative", lambda c: Evaluation(bootstrap=-1), "bootstrap to be an integer >= 0"),
    ("judge-classes-1", lambda c: CNNJudge(num_classes=1), "num_classes to be an integer >= 2, got 1"),
    ("judge-shape-2d", lambda c: MLPJudge(input_shape=(28, 28)), r"input_shape to be \(channels, height, width\), got \(28, 28\)"),
    ("judge-cnn-too-small", lambda c: CNNJudge(input_shape=(1, 3, 3)), "at least 4, got .*use the 'mlp' judge"),
    # ---- Trainer
    ("trainer-generator-type", lambda c: Trainer(torch.nn.Linear(2, 2), MLPDiscriminator()), "generator must be a pygan Generator"),
    ("trainer-discriminator-type", lambda c: Trainer(MLPGenerator(), torch.nn.Linear(2, 2)), "discriminator must be a pygan Discriminator"),
    ("trainer-shapes-differ", lambda c: Trainer(MLPGenerator(output_shape=SHAPE, hidden=(8,)), MLPDiscriminator(hidden=(8,))),
     r"makes images of shape \(1, 8, 8\) but the discriminator takes \(1, 28, 28\)"),
    ("trainer-d-steps-0", lambda c: _trainer(d_steps=0), "d_steps to be an integer >= 1, got 0"),
    ("trainer-g-lr-0", lambda c: _trainer(g_lr=0), "g_lr to be a positive finite number, got 0"),
    ("trainer-d-lr-negative", lambda c: _trainer(d_lr=-1e-3), "d_lr to be a positive finite number"),
    ("trainer-d-lr-inf", lambda c: _trainer(d_lr=float("inf")), "d_lr to be a positive finite number, got inf"),
    ("trainer-betas-length", lambda c: _trainer(betas=(0.5,)), r"betas to be two numbers in \[0, 1\)"),
    ("trainer-betas-1", lambda c: _trainer(betas=(1.0, 0.9)), r"betas to be two numbers in \[0, 1\), got \(1.0, 0.9\)"),
    ("trainer-loss-name", lambda c: _trainer(loss="hinj"), "Did you mean 'hinge'"),
    ("trainer-loss-type", lambda c: _trainer(loss=3), "loss must be a GANLoss or a registered name, got 3"),
    ("trainer-precision", lambda c: _trainer(precision="64"), "precision to be one of '32', 'bf16', '16'"),
    ("trainer-precision-16-on-cpu", lambda c: _trainer(precision="16", device="cpu"), 'precision="16" needs a CUDA device'),
    ("trainer-device-name", lambda c: _trainer(device="tpu9"), "Unknown device 'tpu9'"),
    ("trainer-device-type", lambda c: _trainer(device=3.0), "device to be 'auto' or a device name, got 3.0"),
    ("trainer-callback-type", lambda c: _trainer(callbacks=[object()]), "callbacks must be pygan Callbacks"),
    ("trainer-callbacks-not-a-list", lambda c: _trainer(callbacks=LabelSmoothing()), "callbacks to be a list of pygan Callbacks"),
    ("trainer-seed-negative", lambda c: _trainer(seed=-1), "seed to be an integer >= 0"),
    ("trainer-seed-float", lambda c: _trainer(seed=1.5), "seed to be an integer >= 0, got 1.5"),
    ("trainer-skip-negative", lambda c: _trainer(skip_nonfinite_steps=-1), "skip_nonfinite_steps to be an integer >= 0"),
    ("trainer-log-every-0", lambda c: _trainer(log_every_n_steps=0), "log_every_n_steps to be an integer >= 1"),
    ("trainer-compile-string", lambda c: _trainer(compile="yes"), "compile to be True or False, got 'yes'"),
    ("trainer-handle-sigint-string", lambda c: _trainer(handle_sigint="no"), "handle_sigint to be True or False"),
    ("trainer-optimizer-type", lambda c: _trainer(g_optimizer=3), "g_optimizer must be a torch Optimizer or a function"),
    ("trainer-optimizer-factory", lambda c: _trainer(d_optimizer=lambda p: 3), "d_optimizer must build a torch Optimizer"),
    ("trainer-optimizer-other-network",
     lambda c: (lambda g, d: Trainer(g, d, g_optimizer=torch.optim.SGD(d.parameters(), lr=0.1)))(*_small()),
     "g_optimizer holds parameters that are not the generator's"),
    # ---- fit: arguments and data, refused before any hook or update
    ("fit-epochs-0", lambda c: c.fit(epochs=0), "epochs to be an integer >= 1"),
    ("fit-epochs-float", lambda c: c.fit(epochs=2.0), "epochs to be an integer >= 1, got 2.0"),
    ("fit-batch-size-0", lambda c: c.fit(batch_size=0), "batch_size to be an integer >= 1"),
    ("fit-batch-larger-than-data", lambda c: c.fit(c.data[:10]), r"batch_size=16 is larger than the data \(10 images\)"),
    ("fit-batch-larger-than-dataset", lambda c: c.fit(ItemDataset(c.data[:10])), r"batch_size=16 is larger than the dataset \(10"),
    ("fit-0-255-floats", lambda c: c.fit(c.data.float()), r"pixel values in \[0, 255\], far outside \[-1, 1\]\. It looks like 0-255"),
    ("fit-nan-pixels", lambda c: c.fit(c.data.float().fill_(float("nan"))), "contains 6144 NaN or infinite pixel values"),
    ("fit-integer-pixels", lambda c: c.fit(c.data.long()), "holds torch.int64 images; give float images in"),
    ("fit-wrong-image-shape", lambda c: c.fit(torch.zeros(10, 1, 9, 9)), r"images of shape \(1, 9, 9\), but the generator makes \(1, 8, 8\)"),
    ("fit-empty-data", lambda c: c.fit(c.data[:0]), "The data is empty"),
    ("fit-empty-dataloader", lambda c: c.fit(DataLoader(ItemDataset(c.data[:0]))), "The DataLoader's dataset is empty"),
    ("fit-data-type", lambda c: c.fit([1, 2, 3]), r"fit\(\) takes a tensor of images, a torch Dataset or a DataLoader, got list"),
    ("fit-dataset-image-shape", lambda c: c.fit(ItemDataset(c.data[:, :, :4])), r"first item of the dataset has images of shape \(1, 4, 8\)"),
    ("fit-resume-missing-file", lambda c: c.fit(resume_from=c.tmp / "none.ckpt"), "No checkpoint at .*none.ckpt"),
    ("fit-resume-path-type", lambda c: c.fit(resume_from=5), "resume_from to be a file or directory path .*got 5"),
    ("fit-resume-other-architecture",
     lambda c: Trainer(MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(32,)), c.tiny_models()[1], device="cpu")
     .fit(c.data, epochs=2, batch_size=16, resume_from=c.checkpoint()),
     r"net.0.weight: checkpoint \(16, 8\) vs model \(32, 8\)"),
    # ---- datasets
    ("image-dataset-float", lambda c: ImageDataset(torch.zeros(3, 1, 4, 4)), "ImageDataset wants a uint8 tensor of pixels 0-255, got torch.float32"),
    ("image-dataset-5d", lambda c: ImageDataset(torch.zeros(3, 1, 1, 4, 4, dtype=torch.uint8)), r"images of shape \(N, C, H, W\), got \(3, 1, 1, 4, 4\)"),
    ("image-dataset-labels", lambda c: ImageDataset(c.data[:3], torch.zeros(2)), "Got 3 images but 2 labels"),
    ("split-held-out-1", lambda c: split_dataset(ImageDataset(c.data), 1.0), r"held_out to be a number in \[0, 1\), got 1.0"),
    ("split-empty-part", lambda c: split_dataset(ImageDataset(c.data[:3]), 0.01), "leaves an empty part"),
    ("split-not-a-dataset", lambda c: split_dataset(c.data, 0.5), "dataset to be an ImageDataset, got Tensor"),
    ("csv-missing-file", lambda c: csv(c.tmp / "none.csv"), "No CSV file at .*none.csv"),
    ("csv-shape", lambda c: csv(c.csv_file(TWO_DIGITS), shape=(0, 2)), r"shape\[0\] to be an integer >= 1, got 0"),
    ("csv-columns", lambda c: csv(c.csv_file(TWO_DIGITS), shape=(1, 4, 4)), "digits.csv"),
    ("classes-absent", lambda c: csv(c.csv_file(TWO_DIGITS), shape=SHAPE, classes=[7]), r"no image has the label\(s\) \[7\]. Labels present: \[3, 5\]"),
    ("classes-empty", lambda c: csv(c.csv_file(TWO_DIGITS), shape=SHAPE, classes=[]), "classes is empty"),
    ("classes-float", lambda c: csv(c.csv_file(TWO_DIGITS), shape=SHAPE, classes=[1.5]), "classes to hold integer labels, got 1.5"),
    ("image-folder-channels", lambda c: image_folder(c.tmp, channels=2), r"channels to be 1 \(grey\) or 3 \(RGB\), got 2"),
    ("image-folder-missing", lambda c: image_folder(c.tmp / "nope"), "No image folder at .*nope"),
    ("mnist-missing-files", lambda c: mnist(c.tmp), "MNIST training files not found"),
    ("fashion-mnist-missing-files", lambda c: fashion_mnist(c.tmp, train=False), "Fashion-MNIST test files not found"),
    # ---- checkpoints
    ("load-generator-missing", lambda c: load_generator(c.tmp / "none.ckpt"), "No checkpoint at .*none.ckpt"),
    ("load-generator-device", lambda c: load_generator(c.checkpoint(), device="tpu9"), "Unknown device 'tpu9'"),
    ("load-generator-not-a-checkpoint", lambda c: load_generator(c.csv_file(TWO_DIGITS)), "digits.csv is not a pygan checkpoint: .* not a zip archive"),
    ("export-suffix", lambda c: export_generator(c.checkpoint(), c.tmp / "g.pt"), r"path ending in \.safetensors"),
]

ERRORS = (ValueError, TypeError, KeyError, FileNotFoundError, CheckpointError)


@pytest.mark.parametrize(("call", "message"), [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_refused_with_a_clear_message(call, message, tiny_models, tiny_data, tmp_path: Path) -> None:
    context = Context(tiny_models, tiny_data, tmp_path)
    with pytest.raises(ERRORS) as caught:
        call(context)
    assert re.search(message, str(caught.value)), f"{str(caught.value)!r} does not match {message!r}"
    for trainer, recorder, weights in context.trainers:
        assert recorder.calls == []  # refused before the first hook
        assert all(torch.equal(a, b) for a, b in zip(weights, _weights(trainer)))


def test_the_table_has_unique_ids_and_covers_every_public_constructor() -> None:
    ids = [row[0] for row in BAD_INPUTS]
    assert len(ids) == len(set(ids))
    covered = " ".join(ids)
    for prefix in ("mlp", "dcgan", "wasserstein", "label-smoothing", "checkpoint", "ema", "sample-grid",
                   "csv-logger", "loss-plot", "progress-bar", "tensorboard", "evaluation", "trainer", "fit",
                   "image-dataset", "split", "csv", "image-folder", "mnist", "load-generator", "export"):
        assert prefix in covered, prefix
