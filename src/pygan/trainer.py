"""The :class:`Trainer`: the GAN training loop, and nothing a callback could do instead."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

from pygan import _distributed as dist
from pygan._validation import check_bool, check_int, check_path, check_positive_float
from pygan.callbacks.base import HOOKS, Callback, Targets
from pygan.data.loader import BatchSource, make_batches
from pygan.losses.base import GANLoss
from pygan.models.base import Discriminator, Generator
from pygan.registry import LOSSES
from pygan.terms.base import LossTerm, Step

__all__ = ["History", "NonFiniteLossError", "Trainer", "resolve_device"]

OptimizerSpec = torch.optim.Optimizer | Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]

PRECISIONS = ("32", "bf16", "16")


class NonFiniteLossError(FloatingPointError):
    """A loss, a gradient or the weights became NaN or infinite; the message names the epoch,
    the step and the network.

    ``what`` is ``"loss"``, ``"gradient"`` (the loss was finite, a gradient was not; found
    per step when ``skip_nonfinite_steps`` > 0) or ``"weights"`` (found when step figures are
    flushed, without per-step checks: ``first_step``-``step`` is the range it happened in).
    """

    def __init__(
        self, network: str, epoch: int, step: int, value: float, what: str = "loss", first_step: int | None = None
    ) -> None:
        self.network, self.epoch, self.step, self.value, self.what = network, epoch, step, value, what
        cause = {
            "loss": f"The {network} loss became {value}",
            "gradient": f"A {network} gradient became NaN or infinite while its loss was finite",
            "weights": f"The {network}'s weights became NaN or infinite while its losses were finite "
            f"(a gradient was not)",
        }[what]
        where = f"step {step}" if first_step in (None, step) else f"one of steps {first_step}-{step}"
        super().__init__(
            f"{cause} at epoch {epoch}, {where}. Training stopped; the last checkpoint written "
            f"before it is intact. Lower the learning rate, check the data, or pass "
            f"skip_nonfinite_steps=N to skip a few bad steps."
        )


def resolve_device(device: str | torch.device) -> torch.device:
    """Return the device for ``"auto"`` (cuda, then mps, then cpu) or the one named.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"Expected device to be 'auto' or a device name, got {device!r}.")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", dist.local_rank())
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"Unknown device {device!r}: {error}") from None


class History(Sequence[dict[str, float]]):
    """One dict of figures per epoch: at least ``epoch``, ``d_loss``, ``g_loss``, ``d_real``
    and ``d_fake`` (the mean probability D gives real and generated images).

    Example:
        >>> h = History([{"epoch": 1, "g_loss": 0.9}, {"epoch": 2, "g_loss": 0.7}])
        >>> h["g_loss"], h[-1]["epoch"], len(h)
        ([0.9, 0.7], 2, 2)
    """

    def __init__(self, records: Iterable[dict[str, float]] = ()) -> None:
        self.records: list[dict[str, float]] = [dict(r) for r in records]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        """An epoch's dict by index, or one figure across epochs by name."""
        if isinstance(key, str):
            return [r.get(key) for r in self.records]
        return self.records[key]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"History({self.records!r})"

    def append(self, record: dict[str, float]) -> None:
        """Add one epoch's figures (the dict itself, so keys added later show)."""
        self.records.append(record)


class Trainer:
    """Trains a generator against a discriminator.

    One training step is ``d_steps`` discriminator updates, each on a fresh real batch and a
    generated batch, followed by one generator update on the last generated batch. Callbacks
    see every step through their hooks (see :class:`~pygan.Callback`).

    Under ``torchrun`` (``WORLD_SIZE`` > 1) both networks train with DistributedDataParallel:
    each process takes every ``world_size``-th image of the epoch's shuffled order (so N
    processes at ``batch_size`` B make the steps one process makes at N*B), gradients are
    averaged once per update, each process draws its own latent noise, the epoch figures are
    means over all processes, and only rank 0 writes files and prints.

    Args:
        generator: The generator to train.
        discriminator: The discriminator; its ``input_shape`` must equal the generator's
            ``output_shape``.
        loss: A :class:`~pygan.GANLoss` or a registered loss name.
        g_optimizer: The generator's optimizer, or a function of its parameters that builds
            one; by default Adam with ``g_lr`` and ``betas``.
        d_optimizer: The same for the discriminator (default Adam with ``d_lr``).
        g_lr: Learning rate of the default generator optimizer.
        d_lr: Learning rate of the default discriminator optimizer.
        betas: Adam's betas for both default optimizers (DCGAN's (0.5, 0.999)).
        d_steps: Discriminator updates per generator update (the "k" of Goodfellow et al.).
        terms: :class:`~pygan.LossTerm` s added to the updates (GAN variants such as
            InfoGAN's ``info`` term or a ``gradient_penalty``), after those the loss brings
            itself (:meth:`~pygan.GANLoss.terms`). Each term's weighted value is a figure of
            the epoch (``d_<name>``, ``g_<name>``); ``d_loss`` and ``g_loss`` include them.
        callbacks: Callbacks, called in this order.
        device: ``"auto"`` (cuda, then mps, then cpu) or a device name.
        seed: Seeds torch's random number generator at the start of ``fit`` and the data
            order, so runs on the CPU repeat exactly. ``None`` leaves the global seed alone and
            takes the data order from ``torch.initial_seed()``.
        precision: ``"32"``, ``"bf16"`` (autocast to bfloat16; CPU or GPU: 2-3x faster than
            float32 where the hardware has bfloat16 instructions, such as AVX-512 BF16, AMX or
            tensor cores) or ``"16"`` (float16 autocast with loss scaling; GPU only).
        compile: Compile both networks with ``torch.compile`` (measure it: it made MLPs slower
            on the CPU; see the Speed page of the docs).
        skip_nonfinite_steps: How many steps with a NaN or infinite loss or gradient to skip
            (not apply) before stopping with :class:`NonFiniteLossError`. Above 0, every update
            is checked (one device sync each); at 0 there is no per-step check.
        log_every_n_steps: How often step figures are moved to the host and checked for NaN
            (losses, and the weights, which show a NaN gradient whose loss was finite); more
            often costs a device sync per check on GPUs. Checked before every epoch's end, so
            no callback saves NaN weights.
        handle_sigint: On the first Ctrl-C, finish the current step, let callbacks save (the
            checkpoint callback writes a resumable checkpoint) and raise
            ``KeyboardInterrupt``. A second Ctrl-C interrupts at once.

    Example:
        >>> from pygan import MLPGenerator, MLPDiscriminator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> d = MLPDiscriminator(input_shape=(1, 4, 4), hidden=(16,))
        >>> trainer = Trainer(g, d, device="cpu", seed=0)
        >>> history = trainer.fit(torch.rand(64, 1, 4, 4) * 2 - 1, epochs=2, batch_size=16)
        >>> len(history), sorted(history[-1])
        (2, ['d_fake', 'd_loss', 'd_real', 'epoch', 'g_loss', 'steps', 'time'])
    """

    def __init__(
        self,
        generator: Generator,
        discriminator: Discriminator,
        loss: GANLoss | str = "non_saturating",
        *,
        g_optimizer: OptimizerSpec | None = None,
        d_optimizer: OptimizerSpec | None = None,
        g_lr: float = 2e-4,
        d_lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        d_steps: int = 1,
        terms: Sequence[LossTerm] = (),
        callbacks: Sequence[Callback] = (),
        device: str | torch.device = "auto",
        seed: int | None = None,
        precision: str = "32",
        compile: bool = False,
        skip_nonfinite_steps: int = 0,
        log_every_n_steps: int = 50,
        handle_sigint: bool = True,
    ) -> None:
        if not isinstance(generator, Generator):
            raise TypeError(
                f"generator must be a pygan Generator (subclass pygan.Generator), got "
                f"{type(generator).__name__}."
            )
        if not isinstance(discriminator, Discriminator):
            raise TypeError(
                f"discriminator must be a pygan Discriminator (subclass pygan.Discriminator), "
                f"got {type(discriminator).__name__}."
            )
        if generator.output_shape != discriminator.input_shape:
            raise ValueError(
                f"The generator makes images of shape {generator.output_shape} but the "
                f"discriminator takes {discriminator.input_shape}; give both the same shape."
            )
        self.loss: GANLoss = LOSSES.create(loss) if isinstance(loss, str) else loss
        if not isinstance(self.loss, GANLoss):
            raise TypeError(f"loss must be a GANLoss or a registered name, got {loss!r}.")
        self.d_steps = check_int("d_steps", d_steps)
        self.terms = [*self.loss.terms(), *_check_terms(terms)]
        for term in self.terms:
            term.setup(generator, discriminator)
        self.g_lr = check_positive_float("g_lr", g_lr)
        self.d_lr = check_positive_float("d_lr", d_lr)
        if (
            not isinstance(betas, (tuple, list))
            or len(betas) != 2
            or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas)
        ):
            raise ValueError(f"Expected betas to be two numbers in [0, 1), got {betas!r}.")
        self.betas = (float(betas[0]), float(betas[1]))
        if precision not in PRECISIONS:
            raise ValueError(
                f"Expected precision to be one of {', '.join(map(repr, PRECISIONS))}, got "
                f"{precision!r}."
            )
        if isinstance(callbacks, Callback) or not isinstance(callbacks, Iterable):
            raise TypeError(
                f"Expected callbacks to be a list of pygan Callbacks such as [ModelCheckpoint()], "
                f"got {type(callbacks).__name__}."
            )
        self.callbacks: list[Callback] = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be pygan Callbacks, got {type(cb).__name__}.")
        if seed is not None:
            check_int("seed", seed, minimum=0)
        self.seed = seed
        self.skip_nonfinite_steps = check_int("skip_nonfinite_steps", skip_nonfinite_steps, minimum=0)
        self.log_every_n_steps = check_int("log_every_n_steps", log_every_n_steps)
        self.handle_sigint = check_bool("handle_sigint", handle_sigint)
        self.compile = check_bool("compile", compile)
        self.precision = precision

        self.device = dist.process_device(resolve_device(device))
        if precision == "16" and self.device.type != "cuda":
            raise ValueError('precision="16" needs a CUDA device; use "bf16" on the CPU.')
        self.rank, self.world_size = dist.setup(self.device)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.g_optimizer = self._make_optimizer(g_optimizer, self.generator, self.g_lr, "g_optimizer")
        self.d_optimizer = self._make_optimizer(d_optimizer, self.discriminator, self.d_lr, "d_optimizer")
        # The step calls G and D through these: wrapped for DistributedDataParallel when
        # several processes train, and compiled on request. The generator step runs D
        # unwrapped, with its weights frozen: D's gradients are neither needed nor synced there.
        maybe_compile: Callable[[nn.Module], Any] = torch.compile if self.compile else (lambda m: m)
        self._g_forward = maybe_compile(dist.wrap(self.generator, self.device))
        self._d_forward = maybe_compile(dist.wrap(self.discriminator, self.device))
        self._d_frozen_forward = maybe_compile(self.discriminator)
        self._joint_d_pass = not discriminator.has_batch_statistics
        self._heads_needed = any(term.needs_heads for term in self.terms)
        self._g_real_logits = self.loss.needs_real_logits or any(t.needs_real_logits for t in self.terms)
        self._log_keys = ("d_loss", "g_loss", *_term_keys(self.terms), "d_real", "d_fake")
        self._scalers = {
            "g": torch.amp.GradScaler("cuda", enabled=precision == "16"),
            "d": torch.amp.GradScaler("cuda", enabled=precision == "16"),
        }
        # The data order: from ``seed``, else from torch's initial seed (which
        # ``torch.manual_seed`` sets); under torchrun rank 0's, so all ranks shuffle alike.
        self.shuffle_rng = torch.Generator()
        shuffle_seed = (torch.initial_seed() if seed is None else seed) % 2**63  # fits an int64
        self.shuffle_rng.manual_seed(dist.broadcast_int(shuffle_seed, self.device))

        self.history = History()
        self.epoch = 0
        self.completed_epochs = 0
        self.max_epochs = 0
        self.global_step = 0
        self.step_in_epoch = 0
        self.batch_size = 0
        self.should_stop = False
        self.at_step_boundary = True
        self.resumed_from: str | None = None
        self._epoch_rng_state: torch.Tensor | None = None
        self._epoch_sums: dict[str, float] = {}
        self._epoch_steps = 0
        self._window: list[torch.Tensor] = []
        self._skipped_steps = 0
        self._bad_gradients: dict[int, str] = {}  # step -> network, with skip_nonfinite_steps
        self._d_trainable: list[nn.Parameter] = []

    # ------------------------------------------------------------------ public
    @property
    def is_global_zero(self) -> bool:
        """Whether this process writes files and prints (rank 0, or the only process)."""
        return self.rank == 0

    def fit(
        self,
        data: Any,
        *,
        epochs: int,
        batch_size: int = 64,
        resume_from: str | None = None,
    ) -> History:
        """Train for ``epochs`` epochs in total and return the :class:`History`.

        Args:
            data: A tensor of images ``(N, C, H, W)`` (or ``(N, H, W)`` for one channel) in
                [-1, 1] (or ``uint8`` 0-255), a ``Dataset`` whose items are images or
                ``(image, label)``, or a ``DataLoader``.
            epochs: Total epochs; a resumed run continues up to this number. It is kept in
                ``trainer.max_epochs``: a callback that lowers it ends the run after the
                current epoch, normally (``on_fit_end`` runs), e.g. to keep to a time budget.
            batch_size: Images per discriminator batch (ignored for a DataLoader).
            resume_from: A checkpoint to continue from: weights, optimizers, callbacks, epoch,
                step and random states are restored, so the run ends as if never stopped.

        Raises:
            ValueError: Bad arguments or data, found before any training.
            NonFiniteLossError: A loss became NaN or infinite.
        """
        epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        if resume_from is not None:
            check_path("resume_from", resume_from)
        batches = make_batches(
            data,
            self.batch_size,
            self.generator.output_shape,
            self.device,
            shard=(self.rank, self.world_size),
        )
        state = None
        if resume_from is not None:
            from pygan.checkpoint import load_checkpoint

            state = load_checkpoint(resume_from)
            self.load_state_dict(state, restore_callbacks=False)
            self.resumed_from = str(resume_from)
        elif self.seed is not None:
            torch.manual_seed(self.seed)
            self.shuffle_rng.manual_seed(self.seed)
        self.max_epochs = epochs
        self._d_trainable = [p for p in self.discriminator.parameters() if p.requires_grad]
        with self._sigint_guard():
            try:
                self._dispatch("on_fit_start")
                if state is not None:
                    self._load_callback_states(state.get("callbacks", {}))
                    _set_rng_state(state["rng"])
                self._run(batches)
                self._dispatch("on_fit_end")
            except BaseException as error:
                if self.world_size > 1:
                    dist.mark_failed()
                reported = self._settle(error)
                self._dispatch("on_exception", reported)
                if reported is not error:
                    raise reported from error
                raise
        return self.history

    def state_dict(self) -> dict[str, Any]:
        """The whole training state: what a checkpoint holds (see :mod:`pygan.checkpoint`)."""
        from pygan.checkpoint import part_spec

        return {
            "generator": part_spec(self.generator, "generator"),
            "discriminator": part_spec(self.discriminator, "discriminator"),
            "loss": part_spec(self.loss, "loss"),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "scalers": {k: s.state_dict() for k, s in self._scalers.items()},
            "callbacks": self._callback_states(),
            "epoch": self.completed_epochs,
            "step_in_epoch": self.step_in_epoch,
            "global_step": self.global_step,
            "epoch_sums": dict(self._epoch_sums),
            "epoch_steps": self._epoch_steps,
            "history": [dict(r) for r in self.history],
            "rng": _get_rng_state(self.shuffle_rng, self._epoch_rng_state if self.step_in_epoch else None),
        }

    def load_state_dict(self, state: dict[str, Any], *, restore_callbacks: bool = True) -> None:
        """Restore a state from :meth:`state_dict` (what ``fit(resume_from=...)`` does)."""
        from pygan.checkpoint import load_weights

        load_weights(self.generator, state["generator"]["state_dict"], "generator")
        load_weights(self.discriminator, state["discriminator"]["state_dict"], "discriminator")
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        for key, scaler in self._scalers.items():
            if state.get("scalers", {}).get(key):
                scaler.load_state_dict(state["scalers"][key])
        self.global_step = int(state["global_step"])
        self.completed_epochs = self.epoch = int(state["epoch"])
        self.step_in_epoch = int(state.get("step_in_epoch", 0))
        self._epoch_sums = dict(state.get("epoch_sums", {}))
        self._epoch_steps = int(state.get("epoch_steps", 0))
        self.history = History(state.get("history", []))
        self.shuffle_rng.set_state(state["rng"]["shuffle"])
        epoch_state = state["rng"].get("epoch_shuffle")
        self._epoch_rng_state = epoch_state if self.step_in_epoch else None
        if restore_callbacks:
            self._load_callback_states(state.get("callbacks", {}))

    def save_checkpoint(self, path: str) -> None:
        """Write a checkpoint of the current state to ``path`` (atomically; rank 0 only)."""
        if not self.is_global_zero:
            return
        from pygan.checkpoint import save_checkpoint

        save_checkpoint(self.state_dict(), path)

    # ------------------------------------------------------------------ loop
    def _run(self, batches: BatchSource) -> None:
        steps_per_epoch = -(-batches.batches_per_epoch // self.d_steps)
        if batches.batches_per_epoch == 0:
            raise ValueError("The data yields no full batch; lower the batch size.")
        self.steps_per_epoch = steps_per_epoch
        while self.completed_epochs < self.max_epochs:  # a callback may lower max_epochs
            epoch = self.epoch = self.completed_epochs + 1
            resuming_inside = self.step_in_epoch > 0 and self._epoch_rng_state is not None
            if resuming_inside:
                self.shuffle_rng.set_state(self._epoch_rng_state)  # type: ignore[arg-type]
            else:
                self.step_in_epoch = 0
                self._epoch_sums, self._epoch_steps = {}, 0
            self._epoch_rng_state = self.shuffle_rng.get_state()
            if self.world_size > 1:
                self._seed_processes()
            self._dispatch("on_epoch_start")
            started = time.perf_counter()
            skip = self.step_in_epoch * self.d_steps
            for reals in _chunks(batches.epoch(self.shuffle_rng, skip=skip), self.d_steps):
                self.at_step_boundary = False
                logs = self._train_step(reals)
                self.at_step_boundary = True
                self.global_step += 1
                self.step_in_epoch += 1
                self._dispatch("on_batch_end", logs)
                if self.should_stop:
                    raise KeyboardInterrupt("Training stopped by Ctrl-C.")
            self._flush_window()
            dist.broadcast_buffers(self.generator)  # identical models on every rank
            dist.broadcast_buffers(self.discriminator)
            logs = {"epoch": epoch, **self._epoch_means(), "steps": self._epoch_steps}
            logs["time"] = time.perf_counter() - started
            self.completed_epochs, self.step_in_epoch = epoch, 0
            self.history.append(logs)  # the same dict: keys callbacks add below land in history
            self._dispatch("on_epoch_end", logs)

    def _train_step(self, reals: list[torch.Tensor]) -> dict[str, Any]:
        loss = self.loss
        for i, real in enumerate(reals):
            n = real.shape[0]
            z = self.generator.sample_latent(n)
            with torch.set_grad_enabled(i == len(reals) - 1), self._autocast():
                fake = self._g_forward(z)
            targets = Targets(real=1.0, fake=0.0, batch_size=n, device=self.device)
            self._dispatch("on_discriminator_step", targets)
            with self._autocast():
                d_step = self._discriminate("discriminator", self._d_forward, real, fake.detach(), z, True)
                d_loss = loss.discriminator_loss(d_step.real_logits, d_step.fake_logits, targets.real, targets.fake)
                _check_scalar(d_loss, "discriminator_loss", loss)
                penalty = loss.penalty(self.discriminator, real, d_step.fake)
                if penalty is not None:
                    d_loss = d_loss + penalty
                d_loss, d_terms = self._add_terms(d_loss, d_step)
            self._update(self.d_optimizer, d_loss, "d")
        logits = torch.stack([d_step.real_logits, d_step.fake_logits])  # type: ignore[list-item]

        # D is frozen for the generator's step: its weight gradients are neither computed
        # nor (under DDP, where this call bypasses the wrapper) synchronized.
        for p in self._d_trainable:
            p.requires_grad_(False)
        try:
            with self._autocast():
                g_step = self._discriminate("generator", self._d_frozen_forward, real, fake, z, self._g_real_logits)
                if loss.needs_real_logits:
                    g_loss = loss.generator_loss(g_step.fake_logits, real_logits=g_step.real_logits)
                else:
                    g_loss = loss.generator_loss(g_step.fake_logits)
                _check_scalar(g_loss, "generator_loss", loss)
                g_loss, g_terms = self._add_terms(g_loss, g_step)
            self._update(self.g_optimizer, g_loss, "g")
        finally:
            for p in self._d_trainable:
                p.requires_grad_(True)

        with torch.no_grad():  # d_loss, g_loss, D(x), D(G(z)), the terms: no sync
            figures = torch.cat([torch.stack([d_loss.float(), g_loss.float(), *d_terms, *g_terms]), logits.sigmoid().mean(1)])
        self._window.append(figures)
        if self.skip_nonfinite_steps or len(self._window) >= self.log_every_n_steps:
            self._flush_window()
        logs: dict[str, Any] = dict(zip(self._log_keys, figures.unbind()))
        logs.update(epoch=self.epoch, step=self.global_step + 1)
        return logs

    def _discriminate(
        self,
        phase: str,
        forward: Callable[..., Any],
        real: torch.Tensor,
        fake: torch.Tensor,
        z: torch.Tensor,
        with_real: bool,
    ) -> Step:
        """Run the discriminator over the generated images (and the real ones, when
        ``with_real``: as one batch unless it has batch statistics, real first), with the
        heads the terms read, and gather what the update's terms may need."""
        heads = self._heads_needed
        n = real.shape[0]

        def run(images: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            if not heads:
                return forward(images).float(), {}
            logits, outputs = forward(images, heads=True)
            return logits.float(), outputs

        real_logits, real_heads = None, {}
        if with_real and self._joint_d_pass:
            both, outputs = run(torch.cat([real, fake]))
            real_logits, fake_logits = both.view(2, n).unbind()
            real_heads = {name: out[:n] for name, out in outputs.items()}
            fake_heads = {name: out[n:] for name, out in outputs.items()}
        else:
            if with_real:
                real_logits, real_heads = run(real)  # real first: batch-norm statistics
            fake_logits, fake_heads = run(fake)
        return Step(
            phase,  # type: ignore[arg-type]
            real=real,
            fake=fake,
            z=z,
            real_labels=None,
            fake_labels=None,
            real_logits=real_logits,
            fake_logits=fake_logits,
            generator=self.generator,
            discriminator=self.discriminator,
            trainer=self,
            real_heads=real_heads,
            fake_heads=fake_heads,
        )

    def _add_terms(self, total: torch.Tensor, step: Step) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``total`` plus each term's weighted value in this update, and those values."""
        values = []
        for term in self.terms:
            if not _defines(term, step.phase):
                continue
            method = term.discriminator_term if step.phase == "discriminator" else term.generator_term
            value = method(step)
            if value is None:
                values.append(torch.zeros((), device=self.device))
                continue
            _check_term_value(value, term, method.__name__)
            weighted = term.weight * value
            total = total + weighted
            values.append(weighted.detach().float())
        return total, values

    def _update(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, which: str) -> None:
        optimizer.zero_grad(set_to_none=True)
        scaler = self._scalers[which]
        scaler.scale(loss).backward()
        if self.skip_nonfinite_steps:  # one host sync per update; none without the option
            checked = [loss.detach()]
            if not scaler.is_enabled():  # float16 loss scaling skips overflowing steps itself
                checked += [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            finite = torch.stack([torch.isfinite(t).all() for t in checked])
            if not dist.all_finite(torch.where(finite, 0.0, math.nan)):  # NaN marks a bad tensor
                if dist.all_finite(loss):  # else the step's figures record the loss
                    network = "discriminator" if which == "d" else "generator"
                    self._bad_gradients.setdefault(self.global_step + 1, network)
                return  # skipped; _flush_window counts it
        scaler.step(optimizer)
        scaler.update()

    # --------------------------------------------------------------- helpers
    def _flush_window(self, *, over_processes: bool = True) -> None:
        """Move buffered step figures to the host (averaged over processes under torchrun,
        unless ``over_processes`` is false), check them, and add them to the epoch."""
        if not self._window:
            return
        window = torch.stack(self._window)
        window = (dist.mean_over_processes(window) if over_processes else window).cpu()
        last_step = self.global_step + (not self.at_step_boundary)  # counted after the step
        first_step = last_step - len(self._window) + 1
        self._window = []
        for row, figures in enumerate(window.tolist()):
            d_loss, g_loss = figures[:2]
            bad_gradient = self._bad_gradients.pop(first_step + row, None)
            if math.isfinite(d_loss) and math.isfinite(g_loss) and not bad_gradient:
                for key, value in zip(self._log_keys, figures):
                    self._epoch_sums[key] = self._epoch_sums.get(key, 0.0) + value
                self._epoch_steps += 1
                continue
            self._skipped_steps += 1
            if self._skipped_steps > self.skip_nonfinite_steps:
                step = first_step + row
                if not math.isfinite(d_loss):
                    raise NonFiniteLossError("discriminator", self.epoch, step, d_loss)
                if not math.isfinite(g_loss):
                    raise NonFiniteLossError("generator", self.epoch, step, g_loss)
                raise NonFiniteLossError(bad_gradient, self.epoch, step, math.nan, "gradient")  # type: ignore[arg-type]
        # A non-finite gradient with finite losses shows in the weights: checked here, once per
        # flush (one transfer, no per-step sync), so no callback ever saves NaN weights.
        networks = {"generator": self.generator, "discriminator": self.discriminator}
        finite = torch.stack([_weights_finite(module, self.device) for module in networks.values()])
        for network, ok in zip(networks, finite.cpu().tolist()):
            if not ok:
                raise NonFiniteLossError(network, self.epoch, last_step, math.nan, "weights", first_step)

    def _seed_processes(self) -> None:
        """Under torchrun, seed each rank's random stream (latent noise, dropout) for the epoch:
        ranks sharing one stream would all draw the same noise. The seed comes from the
        epoch's data-order state, which every rank shares and checkpoints hold, so a run
        resumed from an epoch's checkpoint draws what the uninterrupted run drew."""
        epoch_rng = torch.Generator()
        epoch_rng.set_state(self.shuffle_rng.get_state())  # a copy: the data order is untouched
        torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=epoch_rng)) + self.rank)

    def _epoch_means(self) -> dict[str, float]:
        steps = max(self._epoch_steps, 1)
        return {key: self._epoch_sums.get(key, float("nan")) / steps for key in self._log_keys}

    def _settle(self, error: BaseException) -> BaseException:
        """Bring the step figures up to date after ``error``; return the error to report
        (a NaN found while doing so takes precedence: no callback should save that state)."""
        if self.at_step_boundary and not isinstance(error, NonFiniteLossError):
            try:  # this process's figures only: the others may not be at this step
                self._flush_window(over_processes=False)
            except NonFiniteLossError as nan_error:
                return nan_error
        return error

    def _dispatch(self, hook: str, *args: Any) -> None:
        """Call ``hook`` on every callback, in order: the only place hooks are called."""
        assert hook in HOOKS, hook
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    def _callback_states(self) -> dict[str, Any]:
        states: dict[str, Any] = {}
        for key, callback in self._keyed_callbacks():
            states[key] = callback.state_dict()
        return states

    def _load_callback_states(self, states: dict[str, Any]) -> None:
        for key, callback in self._keyed_callbacks():
            if key in states:
                callback.load_state_dict(states[key])

    def _keyed_callbacks(self) -> Iterator[tuple[str, Callback]]:
        seen: dict[str, int] = {}
        for callback in self.callbacks:
            key = callback.state_key
            seen[key] = seen.get(key, 0) + 1
            yield (key if seen[key] == 1 else f"{key}#{seen[key]}"), callback

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def _make_optimizer(
        self, spec: OptimizerSpec | None, module: nn.Module, lr: float, name: str
    ) -> torch.optim.Optimizer:
        if spec is None:
            return _fast_adam(module.parameters(), lr, self.betas)
        if isinstance(spec, torch.optim.Optimizer):
            owned = {id(p) for p in module.parameters()}
            given = {id(p) for group in spec.param_groups for p in group["params"]}
            if not given <= owned:
                network = "generator" if name == "g_optimizer" else "discriminator"
                raise ValueError(f"{name} holds parameters that are not the {network}'s.")
            return spec
        if callable(spec):
            optimizer = spec(module.parameters())
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise TypeError(f"{name} must build a torch Optimizer, got {type(optimizer).__name__}.")
            return optimizer
        raise TypeError(f"{name} must be a torch Optimizer or a function of parameters, got {spec!r}.")

    @contextlib.contextmanager
    def _sigint_guard(self) -> Iterator[None]:
        if not self.handle_sigint or threading.current_thread() is not threading.main_thread():
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


def _fast_adam(
    parameters: Iterable[nn.Parameter], lr: float, betas: tuple[float, float]
) -> torch.optim.Adam:
    """Adam with torch's fused kernel where the device and torch version have one (on the
    CPU it makes an MLP GAN epoch 10-25% faster than ``foreach``; see benchmarks/speed.py),
    else the ``foreach`` implementation."""
    parameters = list(parameters)
    try:  # torch's own list (CPU from torch 2.4 on); private, hence the fallback
        from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

        fused_devices = set(_get_fused_kernels_supported_devices())
    except ImportError:
        fused_devices = {"cuda"}
    fused = all(p.device.type in fused_devices and p.is_floating_point() for p in parameters)
    implementation = {"fused": True} if fused else {"foreach": True}
    return torch.optim.Adam(parameters, lr=lr, betas=betas, **implementation)


def _weights_finite(module: nn.Module, device: torch.device) -> torch.Tensor:
    """Whether all of ``module``'s weights are finite, as a tensor on ``device`` (no sync).

    A tensor's max and min are NaN or infinite exactly when an element is: two cheap
    reductions, for any dtype and device (15x less work than ``isfinite(p).all()``).
    """
    extremes = [x for p in module.parameters() if p.numel() for x in (p.detach().amax(), p.detach().amin())]
    if not extremes:
        return torch.tensor(True, device=device)
    return torch.stack(extremes).isfinite().all()


def _chunks(batches: Iterator[torch.Tensor], size: int) -> Iterator[list[torch.Tensor]]:
    chunk: list[torch.Tensor] = []
    for batch in batches:
        chunk.append(batch)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_terms(terms: Any) -> list[LossTerm]:
    if isinstance(terms, LossTerm) or not isinstance(terms, Iterable):
        raise TypeError(
            f"Expected terms to be a list of pygan LossTerms such as [InfoTerm(weight=0.1)], got "
            f"{type(terms).__name__}."
        )
    terms = list(terms)
    for term in terms:
        if not isinstance(term, LossTerm):
            raise TypeError(
                f"terms must be pygan LossTerms (subclass pygan.LossTerm, or name a registered "
                f"one in a config), got {type(term).__name__}: {term!r:.80}."
            )
    return terms


def _defines(term: LossTerm, phase: str) -> bool:
    """Whether ``term`` overrides the method of ``phase``'s update."""
    method = "discriminator_term" if phase == "discriminator" else "generator_term"
    return getattr(type(term), method) is not getattr(LossTerm, method)


def _term_keys(terms: Sequence[LossTerm]) -> list[str]:
    """The figure names of the terms' values: ``d_<name>`` for each discriminator side, then
    ``g_<name>`` for each generator side (``_2``, ``_3`` ... for repeated names)."""
    keys: list[str] = []
    for prefix, phase in (("d", "discriminator"), ("g", "generator")):
        for term in terms:
            if _defines(term, phase):
                key, count = f"{prefix}_{term.name}", 1
                while key in keys:
                    count += 1
                    key = f"{prefix}_{term.name}_{count}"
                keys.append(key)
    return keys


def _check_term_value(value: Any, term: LossTerm, method: str) -> None:
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(
            f"{type(term).__name__}.{method} must return a scalar tensor or None (reduce with "
            f".mean()), got {shape}."
        )


def _check_scalar(value: Any, method: str, loss: GANLoss) -> None:
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(
            f"{type(loss).__name__}.{method} must return a scalar tensor (reduce with .mean()), "
            f"got {shape}."
        )


def _get_rng_state(shuffle_rng: torch.Generator, epoch_state: torch.Tensor | None) -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "shuffle": shuffle_rng.get_state()}
    if epoch_state is not None:
        state["epoch_shuffle"] = epoch_state
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
