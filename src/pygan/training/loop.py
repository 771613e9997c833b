"""The fit loop: epochs of steps over the data, the one place callback hooks are called, and
what happens on Ctrl-C and on errors."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from pygan import _distributed as dist
from pygan.callbacks.base import HOOKS
from pygan.data.loader import Batch, BatchSource
from pygan.training.figures import FigureWindow, NonFiniteLossError
from pygan.training.step import TrainingStep

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["FitLoop"]


class FitLoop:
    """Runs a Trainer's epochs: each epoch's steps over the data, the figures, the hooks.

    Args:
        trainer: The Trainer whose state, step and callbacks to run.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.state = trainer.state
        self.step = TrainingStep(trainer, lambda targets: self.dispatch("on_discriminator_step", targets))
        networks = {"generator": trainer.generator, "discriminator": trainer.discriminator}
        self.figures = FigureWindow(self.step.figure_keys, networks, trainer.skip_nonfinite_steps, trainer.device)
        self.at_step_boundary = True
        self.should_stop = False

    def dispatch(self, hook: str, *args: Any) -> None:
        """Call ``hook`` on every callback, in order: the only place hooks are called."""
        assert hook in HOOKS, hook  # internal: every caller names a hook of HOOKS
        trainer = self.trainer
        for callback in trainer.callbacks:
            getattr(callback, hook)(trainer, *args)

    def run(self, batches: BatchSource, on_start: Any = None) -> None:
        """Train until ``state.max_epochs`` (a callback may lower it), with ``on_fit_start``
        first (then ``on_start()``, which restores a resumed run's callbacks) and
        ``on_fit_end`` last; on any error, ``on_exception`` before it propagates."""
        state = self.state
        if batches.batches_per_epoch == 0:
            raise ValueError("The data yields no full batch; lower the batch size.")
        state.steps_per_epoch = -(-batches.batches_per_epoch // self.trainer.d_steps)
        self.step.d_trainable = [p for p in self.trainer.discriminator.parameters() if p.requires_grad]
        self.step.guard_first_step = True
        with self._sigint_guard():
            try:
                self.dispatch("on_fit_start")
                if on_start is not None:
                    on_start()
                while state.completed_epochs < state.max_epochs:
                    self._run_epoch(batches)
                self.dispatch("on_fit_end")
            except BaseException as error:
                if self.trainer.world_size > 1:
                    dist.mark_failed()
                reported = self._settle(error)
                self.dispatch("on_exception", reported)
                if reported is not error:
                    raise reported from error
                raise

    def _run_epoch(self, batches: BatchSource) -> None:
        state, trainer = self.state, self.trainer
        state.start_epoch()
        if trainer.world_size > 1:
            self._seed_processes()
        self.dispatch("on_epoch_start")
        started = time.perf_counter()
        skip = state.step_in_epoch * trainer.d_steps
        for reals in _chunks(batches.epoch(state.shuffle_rng, skip=skip), trainer.d_steps):
            self.at_step_boundary = False
            figures = self.step(reals)
            self.figures.append(figures)
            if trainer.skip_nonfinite_steps or len(self.figures) >= trainer.log_every_n_steps:
                self._flush()
            logs: dict[str, Any] = dict(zip(self.step.figure_keys, figures.unbind()))
            logs.update(epoch=state.epoch, step=state.global_step + 1)
            self.at_step_boundary = True
            state.global_step += 1
            state.step_in_epoch += 1
            self.dispatch("on_batch_end", logs)
            if self.should_stop:
                raise KeyboardInterrupt("Training stopped by Ctrl-C.")
        self._flush()
        dist.broadcast_buffers(trainer.generator)  # identical models on every rank
        dist.broadcast_buffers(trainer.discriminator)
        logs = {"epoch": state.epoch, **state.epoch_means(self.step.figure_keys), "steps": state.epoch_steps}
        logs["time"] = time.perf_counter() - started
        state.end_epoch(logs)
        self.dispatch("on_epoch_end", logs)

    def _flush(self, *, over_processes: bool = True) -> None:
        last_step = self.state.global_step + (not self.at_step_boundary)  # counted after the step
        self.figures.flush(self.state, last_step, self.step.bad_gradients, over_processes=over_processes)

    def _settle(self, error: BaseException) -> BaseException:
        """Bring the step figures up to date after ``error``; return the error to report
        (a NaN found while doing so takes precedence: no callback should save that state)."""
        if self.at_step_boundary and not isinstance(error, NonFiniteLossError):
            try:  # this process's figures only: the others may not be at this step
                self._flush(over_processes=False)
            except NonFiniteLossError as nan_error:
                return nan_error
        return error

    def _seed_processes(self) -> None:
        """Under torchrun, seed each rank's random stream (latent noise, dropout) for the epoch:
        ranks sharing one stream would all draw the same noise. The seed comes from the
        epoch's data-order state, which every rank shares and checkpoints hold, so a run
        resumed from an epoch's checkpoint draws what the uninterrupted run drew."""
        epoch_rng = torch.Generator()
        epoch_rng.set_state(self.state.shuffle_rng.get_state())  # a copy: the data order is untouched
        torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=epoch_rng)) + self.trainer.rank)

    @contextlib.contextmanager
    def _sigint_guard(self) -> Iterator[None]:
        """On the first Ctrl-C, stop after the current step; on a second, at once."""
        if not self.trainer.handle_sigint or threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def on_sigint(signum: int, frame: Any) -> None:
            if self.should_stop:  # second Ctrl-C: stop now
                signal.signal(signal.SIGINT, previous)
                raise KeyboardInterrupt
            self.should_stop = True

        signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            self.should_stop = False


def _chunks(batches: Iterator[Batch], size: int) -> Iterator[list[Batch]]:
    chunk: list[Batch] = []
    for batch in batches:
        chunk.append(batch)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
