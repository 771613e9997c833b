"""Crash safety: a training process killed with SIGKILL at random moments, saves included,
never leaves a checkpoint a loader would pick that fails to load, and resumes to the same end;
an unwritable or full disk is refused before training, and a save failing mid-run names the
path and keeps the previous checkpoint; a real Ctrl-C saves a resumable checkpoint; a run
resumed inside an epoch repeats every step (bf16, and the DataLoader paths).

Starting Python and importing torch takes seconds on a busy machine, so one helper process
(this file run as a script) imports everything once and forks a fresh training process per
kill. Each training process prints a line when an epoch ends just before the checkpoint
callback saves ("end k"), and one after it saved ("saved k"); the test kills it at a random
moment inside a later epoch or save, then checks the run directory in this process. Half the
runs write checkpoints in the background (the default): there "saved k" means save k started
and save k - 1 is on disk, so a kill may lose save k but never an earlier one.
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from item_dataset import ItemDataset
from pygan import (
    Callback,
    CheckpointError,
    LabelSmoothing,
    MLPDiscriminator,
    MLPGenerator,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
)

KILLS = 20
EPOCHS = 8
BATCH_SIZE = 16
CHECKPOINT_NAME = re.compile(r"(last|epoch-\d{4})\.ckpt")
TEMPORARY_NAME = re.compile(r"\.(last|epoch-\d{4})\.ckpt\.\w+\.tmp")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helper process forks")


class BallastedGenerator(MLPGenerator):
    """A tiny MLP generator carrying 2 MB of constant buffer, so each save takes long
    enough (a few ms plus the fsync) for random kills to land inside saves."""

    def __init__(self) -> None:
        super().__init__(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
        self.register_buffer("ballast", torch.zeros(500_000))


class Marker(Callback):
    """Prints ``"<tag> <completed epochs>"`` when an epoch ends (and ``start`` on fit start),
    each line with one ``write`` call: a kill cannot split it (``print`` may write twice)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def on_fit_start(self, trainer: Trainer) -> None:
        if self.tag == "end":
            os.write(1, b"start\n")

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        os.write(1, f"{self.tag} {trainer.completed_epochs}\n".encode())


def make_trainer(run_dir: Path | None, markers: bool = False, background: bool = True) -> Trainer:
    """The run every kill interrupts: a checkpoint after every epoch, 2 steps an epoch."""
    torch.manual_seed(0)
    callbacks: list[Callback] = [] if run_dir is None else [ModelCheckpoint(run_dir, keep_last=2, background=background)]
    if markers:
        callbacks = [Marker("end"), *callbacks, Marker("saved")]
    g, d = BallastedGenerator(), MLPDiscriminator((1, 8, 8), hidden=(16,))
    return Trainer(g, d, device="cpu", seed=0, callbacks=callbacks, handle_sigint=False)


def make_data() -> torch.Tensor:
    return torch.randint(0, 256, (32, 1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def serve() -> None:
    """The helper process: for each line ``RUN_DIR THREADS BACKGROUND`` on stdin, fork a training run,
    print ``child PID``, wait for it and print ``exit STATUS``."""
    import torch._dynamo  # what the first optimizer imports (seconds): once, here

    print("ready", flush=True)
    for line in sys.stdin:
        run_dir, threads, background = line.split()
        pid = os.fork()
        if pid == 0:  # the training process: no torch op ran before the fork
            code = 1
            try:
                torch.set_num_threads(int(threads))
                make_trainer(Path(run_dir), markers=True, background=background == "1").fit(make_data(), epochs=EPOCHS, batch_size=BATCH_SIZE)
                code = 0
            finally:
                sys.stdout.flush()
                os._exit(code)
        print(f"child {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {status}", flush=True)


class Helper:
    """The helper process, with its output lines time-stamped by a reader thread."""

    def __init__(self, stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("ready", timeout=120)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.monotonic(), line.strip()))

    def next_line(self, timeout: float = 60) -> tuple[float, str]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"The helper process went quiet; its stderr:\n{self.stderr_path.read_text()}") from None

    def expect(self, word: str, timeout: float = 60) -> str:
        while True:
            _, line = self.next_line(timeout)
            if line.split()[0] == word:
                return line

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


def _kill_once(
    helper: Helper, run_dir: Path, background: bool, after_epoch: int, fraction: float, epoch_time: float
) -> dict[str, Any]:
    """Start a run, SIGKILL it ``fraction`` of an epoch after the epoch ``after_epoch`` ended
    (0: after the start), and return what the run printed before dying."""
    assert helper.process.stdin is not None
    helper.process.stdin.write(f"{run_dir} {torch.get_num_threads()} {int(background)}\n")
    pid = int(helper.expect("child").split()[1])
    marks: dict[int, float] = {}
    saved = 0
    while after_epoch not in marks:
        stamp, line = helper.next_line()
        word, *rest = line.split()
        if word == "start":
            marks[0] = stamp
        elif word == "end":
            marks[int(rest[0])] = stamp
        elif word == "saved":
            saved = int(rest[0])
        elif word == "exit":
            raise AssertionError(f"The training process ended early: {line}\n{helper.stderr_path.read_text()}")
    if after_epoch > 0:
        epoch_time = marks[after_epoch] - marks[after_epoch - 1]
    time.sleep(fraction * epoch_time)
    with contextlib.suppress(ProcessLookupError):  # the run may have ended first: the status says so
        os.kill(pid, signal.SIGKILL)
    while True:
        _, line = helper.next_line()
        word, *rest = line.split()
        if word == "saved":  # printed before the kill took effect: that save returned
            saved = int(rest[0])
        elif word == "exit":
            status = int(rest[0])
            break
    return {"killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "saved": saved,
            "status": status, "epoch_time": epoch_time}


@pytest.fixture
def one_thread():
    """One intra-op thread here and in the training processes: on a busy machine, a tiny
    model's steps then take a millisecond instead of waiting for descheduled threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_sigkill_at_random_moments_never_loses_a_checkpoint(tmp_path: Path, one_thread: None) -> None:
    reference = make_trainer(None)
    reference.fit(make_data(), epochs=EPOCHS, batch_size=BATCH_SIZE)
    rng = random.Random(20240607)
    tried = survived = during_save = resumed_runs = ended_first = 0
    epoch_time = 0.1  # refined by every run
    helper = Helper(tmp_path / "helper-stderr.txt")
    try:
        for kill in range(KILLS):
            run_dir = tmp_path / f"run{kill:02d}"
            after_epoch, fraction = rng.randint(0, EPOCHS - 2), rng.random()
            background = kill % 2 == 0  # a background write may be lost with the process
            outcome = _kill_once(helper, run_dir, background, after_epoch, fraction, epoch_time)
            epoch_time = outcome["epoch_time"]
            where = f"kill {kill} ({fraction:.2f} of an epoch after epoch {after_epoch}, background={background})"
            # "saved N": save N returned, so with background writes save N - 1 is on disk
            on_disk = outcome["saved"] - background
            if not outcome["killed"]:  # it finished before the signal (its lines reached us late)
                assert outcome["status"] == 0, f"{where}: the run failed (status {outcome['status']})"
                ended_first += 1
                continue
            tried += 1

            names = sorted(os.listdir(run_dir)) if run_dir.exists() else []
            visible = [n for n in names if not n.startswith(".")]
            hidden = [n for n in names if n.startswith(".")]
            assert all(CHECKPOINT_NAME.fullmatch(n) for n in visible), f"{where}: {visible}"
            assert all(TEMPORARY_NAME.fullmatch(n) for n in hidden), f"{where}: {hidden}"
            for name in visible:  # every file a loader could pick loads
                load_checkpoint(run_dir / name)
            during_save += bool(hidden)
            last = run_dir / "last.ckpt"
            if not last.exists():
                assert on_disk <= 0, f"{where}: save {on_disk} completed but no last.ckpt"
                survived += 1
                continue
            assert load_checkpoint(last)["epoch"] >= on_disk, f"{where}: a completed save was lost"

            resumed = make_trainer(run_dir)
            history = resumed.fit(make_data(), epochs=EPOCHS, batch_size=BATCH_SIZE, resume_from=last)
            assert history["epoch"] == list(range(1, EPOCHS + 1)), where
            assert history["g_loss"] == reference.history["g_loss"], f"{where}: the resumed run differs"
            for a, b in zip(resumed.generator.state_dict().values(), reference.generator.state_dict().values()):
                assert torch.equal(a, b), f"{where}: the resumed weights differ"
            assert not [n for n in os.listdir(run_dir) if n.startswith(".")], f"{where}: temporary files left"
            survived += 1
            resumed_runs += 1
            for name in os.listdir(run_dir):  # keep the disk use small
                (run_dir / name).unlink()
    finally:
        helper.close()
        print(
            f"\ncrash safety: {tried} SIGKILLs tried, {survived} survived; {during_save} left a "
            f"temporary file (killed during a save); {resumed_runs} resumed from last.ckpt to the "
            f"reference run's exact end, {tried - resumed_runs} came before the first last.ckpt; "
            f"{ended_first} runs ended before their signal"
        )
    assert tried == survived >= KILLS - 3  # a run that ended before its signal is not a kill
    assert during_save >= 1  # the kills did reach saves


def test_fit_start_deletes_only_the_temporary_files_of_killed_saves(tiny_models, tiny_data, tmp_path: Path) -> None:
    leftovers = [".last.ckpt.k2x9_a.tmp", ".epoch-0003.ckpt.q81zz0.tmp"]
    others = [".other.ckpt.abc.tmp", "notes.txt", ".last.ckpt.bak"]
    for name in leftovers + others:
        (tmp_path / name).write_bytes(b"partial")
    g, d = tiny_models()
    Trainer(g, d, device="cpu", callbacks=[ModelCheckpoint(tmp_path)]).fit(tiny_data, epochs=1, batch_size=32)
    assert sorted(os.listdir(tmp_path)) == sorted([*others, "epoch-0001.ckpt", "last.ckpt"])


class Steps(Callback):
    def __init__(self) -> None:
        self.steps = 0

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        self.steps += 1


def test_unwritable_directory_is_refused_before_training(tiny_models, tiny_data, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where the directory should be: not writable, even for root
    steps = Steps()
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", callbacks=[ModelCheckpoint(blocker / "ckpt"), steps])
    with pytest.raises(CheckpointError, match=f"Cannot write checkpoints to {blocker / 'ckpt'}: .*writable directory"):
        trainer.fit(tiny_data, epochs=1, batch_size=32)
    assert steps.steps == 0


def test_full_disk_is_refused_before_training(tiny_models, tiny_data, tmp_path: Path, monkeypatch) -> None:
    full = SimpleNamespace(total=10**9, used=10**9 - 1000, free=1000)
    monkeypatch.setattr("pygan.callbacks.checkpoint.shutil.disk_usage", lambda path: full)
    steps = Steps()
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", callbacks=[ModelCheckpoint(tmp_path), steps])
    with pytest.raises(CheckpointError, match=rf"Only 0.0 MB are free on the disk of {tmp_path}.*needs more than"):
        trainer.fit(tiny_data, epochs=1, batch_size=32)
    assert steps.steps == 0


def test_save_failing_mid_run_names_the_path_and_keeps_the_previous_checkpoint(
    tiny_models, tiny_data, tmp_path: Path, monkeypatch
) -> None:
    real_save, calls = torch.save, []

    def save_until_disk_full(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # epoch 2: epoch-0002.ckpt does not fit (last.ckpt is a link to it)
            f.write(b"partial")
            raise OSError(28, "No space left on device")
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save_until_disk_full)
    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", callbacks=[ModelCheckpoint(tmp_path, keep_last=5)])
    with pytest.raises(CheckpointError, match=f"Cannot write a checkpoint to {tmp_path / 'epoch-0002.ckpt'}: .*No space"):
        trainer.fit(tiny_data, epochs=3, batch_size=32)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0001.ckpt", "last.ckpt"]
    assert load_checkpoint(tmp_path / "last.ckpt")["epoch"] == 1
    monkeypatch.undo()
    resumed = Trainer(*tiny_models(), device="cpu", callbacks=[ModelCheckpoint(tmp_path)])
    assert resumed.fit(tiny_data, epochs=3, batch_size=32, resume_from=tmp_path / "last.ckpt")["epoch"] == [1, 2, 3]


class StepLosses(Callback):
    """Records every step's losses; stops the run after ``stop_at`` steps, as Ctrl-C does."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.losses: list[tuple[float, float]] = []
        self.stop_at = stop_at

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        self.losses.append((logs["d_loss"].item(), logs["g_loss"].item()))
        if trainer.global_step == self.stop_at:
            trainer.should_stop = True


@pytest.mark.parametrize(
    ("precision", "wrap"),
    [
        ("bf16", lambda x: x),
        ("32", ItemDataset),  # pygan builds the DataLoader
        ("32", lambda x: DataLoader(ItemDataset(x), batch_size=8, shuffle=True)),  # shuffles from torch's stream
    ],
    ids=["bf16", "Dataset", "DataLoader"],
)
def test_resume_inside_an_epoch_repeats_every_step(tiny_models, tiny_data, tmp_path: Path, precision, wrap) -> None:
    def run(directory: Path, stop_at: int | None = None, resume: Path | None = None) -> tuple[Trainer, StepLosses]:
        g, d = tiny_models(seed=2, dropout=0.2)  # dropout: the random state must resume too
        steps = StepLosses(stop_at)
        callbacks = [LabelSmoothing(0.9, noise=0.05), ModelCheckpoint(directory), steps]
        trainer = Trainer(g, d, device="cpu", seed=7, precision=precision, callbacks=callbacks)
        try:
            trainer.fit(wrap(tiny_data), epochs=3, batch_size=8, resume_from=resume)
        except KeyboardInterrupt:
            pass
        return trainer, steps

    full, full_steps = run(tmp_path / "full")
    _, stopped_steps = run(tmp_path / "part", stop_at=17)  # 12 steps an epoch: inside epoch 2
    resumed, resumed_steps = run(tmp_path / "part", resume=tmp_path / "part" / "last.ckpt")
    assert len(stopped_steps.losses) == 17 and len(full_steps.losses) == 36
    assert stopped_steps.losses + resumed_steps.losses == full_steps.losses
    for a, b in zip(full.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b)


def test_a_real_ctrl_c_finishes_the_step_saves_and_resumes(tiny_models, tiny_data, tmp_path: Path) -> None:
    class CtrlC(Callback):
        def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
            if trainer.global_step == 4:
                signal.raise_signal(signal.SIGINT)  # the Trainer's handler asks to stop

    g, d = tiny_models()
    trainer = Trainer(g, d, device="cpu", seed=0, callbacks=[CtrlC(), ModelCheckpoint(tmp_path)])
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(tiny_data, epochs=2, batch_size=16)
    assert signal.getsignal(signal.SIGINT) is handler  # restored
    state = load_checkpoint(tmp_path / "last.ckpt")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (0, 4, 4)
    resumed = Trainer(*tiny_models(), device="cpu", callbacks=[ModelCheckpoint(tmp_path)])
    assert resumed.fit(tiny_data, epochs=2, batch_size=16, resume_from=tmp_path / "last.ckpt")["steps"] == [6, 6]


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    serve()
