"""The :class:`Trainer`: wires the parts of a GAN together and runs the fit loop.

The work is split as Lightning splits it: :class:`~pygan.training.TrainingState` holds
where a run is (what checkpoints save and callbacks read), ``pygan.training.step`` computes
one step's updates with their loss terms, and ``pygan.training.loop`` runs the epochs and
calls the callbacks' hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, get_args

import torch
from torch import nn

from pygan import _distributed as dist
from pygan._device import resolve_device
from pygan._parts import load_weights, part_spec
from pygan._validation import check_bool, check_int, check_path, check_positive_float
from pygan.callbacks.base import Callback, callback_states, load_callback_states
from pygan.checkpoint import load_checkpoint, save_checkpoint
from pygan.data.loader import make_batches
from pygan.losses.base import GANLoss
from pygan.models.base import Discriminator, Generator
from pygan.registry import LOSSES
from pygan.terms.base import LossTerm
from pygan.training.figures import NonFiniteLossError
from pygan.training.loop import FitLoop
from pygan.training.state import History, TrainingState, global_rng_states, set_global_rng_states

__all__ = ["History", "NonFiniteLossError", "OptimizerSpec", "Precision", "Trainer", "resolve_device"]

OptimizerSpec = torch.optim.Optimizer | Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
"""What ``g_optimizer`` and ``d_optimizer`` take: a ready optimizer over the network's
parameters, or a function of the parameters that builds one (``lambda p: torch.optim.SGD(p,
lr=0.01)``)."""

Precision = Literal["32", "bf16", "16"]
"""What ``precision`` takes: float32, bfloat16 autocast, or float16 autocast with loss scaling."""

PRECISIONS: tuple[str, ...] = get_args(Precision)


class _Delegated:
    """An attribute of the Trainer kept on one of its parts (``state`` or the loop)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def __set_name__(self, cls: type, name: str) -> None:
        self.name = name

    def __get__(self, trainer: Any, cls: type | None = None) -> Any:
        return self if trainer is None else getattr(getattr(trainer, self.owner), self.name)

    def __set__(self, trainer: Any, value: Any) -> None:
        setattr(getattr(trainer, self.owner), self.name, value)


class Trainer:
    """Trains a generator against a discriminator: wires the networks, the loss and its terms,
    the optimizers and the callbacks together, and runs the fit loop over the data.

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

    A callback reads any attribute below through the ``trainer`` its hooks get. It may change
    only three things while ``fit`` runs: lower :attr:`max_epochs` (the run then ends
    normally after that epoch), set :attr:`should_stop` (it stops after the current step),
    and the optimizers' learning rates in their ``param_groups`` (as
    :class:`~pygan.callbacks.LinearDecay` does). Everything else is for reading: the
    counters belong to :attr:`state`, and the settings were checked when the Trainer was
    built.

    Attributes:
        generator: The generator being trained (on :attr:`device`).
        discriminator: The discriminator being trained.
        loss: The :class:`~pygan.GANLoss`.
        terms: Every :class:`~pygan.LossTerm` in the updates: the loss's own, then ``terms``.
        callbacks: The callbacks, in the order their hooks are called.
        g_optimizer: The generator's optimizer.
        d_optimizer: The discriminator's optimizer.
        device: The device the networks and the data are on.
        state: The :class:`~pygan.training.TrainingState`: the counters below, the epoch's
            running sums and the data order's random state; checkpoints hold it whole.
        epoch: The epoch running (from 1), or the last one run (read only).
        completed_epochs: Epochs finished (read only).
        max_epochs: The epoch ``fit`` stops after. A callback may lower it to end the run
            after the current epoch, normally (``on_fit_end`` runs).
        global_step: Training steps finished over all epochs (read only).
        step_in_epoch: Steps finished in the current epoch (read only).
        steps_per_epoch: Steps in an epoch: the discriminator batches divided by ``d_steps``,
            rounded up (the last step may have fewer discriminator updates); set before
            ``on_fit_start`` (read only).
        batch_size: Images per discriminator batch in the current ``fit`` (read only).
        history: The :class:`History` of finished epochs (read only; ``on_epoch_end`` may
            add keys to the epoch's dict, which is the history's last entry).
        should_stop: Set it to stop after the current step, as on Ctrl-C (``fit`` then
            raises ``KeyboardInterrupt`` after ``on_exception``).
        at_step_boundary: Whether no step is half done (read only; false while a step
            runs, e.g. when an error interrupts it).
        resumed_from: The checkpoint ``fit`` resumed from, or ``None`` (read only).
        shuffle_rng: The random generator of the data order (read only; checkpoints hold
            its state).
        rank: This process's rank under ``torchrun`` (0 otherwise).
        world_size: The number of training processes (1 without ``torchrun``).
        d_steps: Discriminator updates per step, as given.
        g_lr: The generator's learning rate as given (the default optimizer's).
        d_lr: The discriminator's learning rate as given.
        betas: Adam's betas of the default optimizers.
        seed: The seed, or ``None``.
        precision: The :data:`Precision`: ``"32"``, ``"bf16"`` or ``"16"``.
        compile: Whether the networks are compiled with ``torch.compile``.
        skip_nonfinite_steps: How many non-finite steps are skipped before the run stops.
        log_every_n_steps: How often step figures are moved to the host and checked.
        handle_sigint: Whether the first Ctrl-C finishes the step and saves.

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
        precision: Precision = "32",
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
        _check_classes(generator, discriminator, self.terms)
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
        # The data order: from ``seed``, else from torch's initial seed (which
        # ``torch.manual_seed`` sets); under torchrun rank 0's, so all ranks shuffle alike.
        self.state = TrainingState()
        shuffle_seed = (torch.initial_seed() if seed is None else seed) % 2**63  # fits an int64
        self.state.shuffle_rng.manual_seed(dist.broadcast_int(shuffle_seed, self.device))
        self.resumed_from: str | None = None
        self._loop = FitLoop(self)

    epoch = _Delegated("state")
    completed_epochs = _Delegated("state")
    max_epochs = _Delegated("state")
    global_step = _Delegated("state")
    step_in_epoch = _Delegated("state")
    steps_per_epoch = _Delegated("state")
    batch_size = _Delegated("state")
    history = _Delegated("state")
    shuffle_rng = _Delegated("state")
    should_stop = _Delegated("_loop")
    at_step_boundary = _Delegated("_loop")

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
            ValueError: Bad arguments or data, found before any training; or a loss or term
                that returns a non-scalar (found in the first step, before any weight
                changes).
            NonFiniteLossError: A loss became NaN or infinite.
        """
        epochs = check_int("epochs", epochs)
        self.state.batch_size = check_int("batch_size", batch_size)
        if resume_from is not None:
            check_path("resume_from", resume_from)
        batches = make_batches(
            data,
            self.state.batch_size,
            self.generator.output_shape,
            self.device,
            shard=(self.rank, self.world_size),
            num_classes=self.generator.num_classes,
        )
        restore = None
        if resume_from is not None:
            checkpoint = load_checkpoint(resume_from)
            self.load_state_dict(checkpoint, restore_callbacks=False)
            self.resumed_from = str(resume_from)

            def restore() -> None:  # after on_fit_start, as callbacks expect
                load_callback_states(self.callbacks, checkpoint.get("callbacks", {}))
                set_global_rng_states(checkpoint["rng"])

        elif self.seed is not None:
            torch.manual_seed(self.seed)
            self.state.shuffle_rng.manual_seed(self.seed)
        self.state.max_epochs = epochs
        self._loop.run(batches, on_start=restore)
        return self.history

    def state_dict(self) -> dict[str, Any]:
        """The whole training state: what a checkpoint holds (see :mod:`pygan.checkpoint`)."""
        return {
            "generator": part_spec(self.generator, "generator"),
            "discriminator": part_spec(self.discriminator, "discriminator"),
            "loss": part_spec(self.loss, "loss"),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "scalers": {k: s.state_dict() for k, s in self._loop.step.scalers.items()},
            "callbacks": callback_states(self.callbacks),
            **self.state.state_dict(global_rng_states()),
        }

    def load_state_dict(self, state: dict[str, Any], *, restore_callbacks: bool = True) -> None:
        """Restore a state from :meth:`state_dict` (what ``fit(resume_from=...)`` does)."""
        load_weights(self.generator, state["generator"]["state_dict"], "generator")
        load_weights(self.discriminator, state["discriminator"]["state_dict"], "discriminator")
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        for key, scaler in self._loop.step.scalers.items():
            if state.get("scalers", {}).get(key):
                scaler.load_state_dict(state["scalers"][key])
        self.state.load_state_dict(state)
        if restore_callbacks:
            load_callback_states(self.callbacks, state.get("callbacks", {}))

    def save_checkpoint(self, path: str) -> None:
        """Write a checkpoint of the current state to ``path`` (atomically; rank 0 only)."""
        if not self.is_global_zero:
            return
        save_checkpoint(self.state_dict(), path)

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


def _check_classes(generator: Generator, discriminator: Discriminator, terms: Sequence[LossTerm]) -> None:
    """Refuse a pair whose classes cannot train: a conditional discriminator with an
    unconditional generator (generated images would have no labels), different class counts,
    or a conditional generator whose classes nothing reads."""
    g_classes, d_classes = generator.num_classes, discriminator.num_classes
    if d_classes and g_classes != d_classes:
        raise ValueError(
            f"The discriminator is conditional with num_classes={d_classes} but the generator has "
            f"num_classes={g_classes}: give both the same num_classes (the generated images' "
            f"labels come from the generator)."
        )
    reads_labels = any(term.needs_labels for term in terms)
    if g_classes and not d_classes and not reads_labels:
        raise ValueError(
            f"The generator is conditional (num_classes={g_classes}) but the discriminator is not "
            f"and no loss term reads the labels, so the generator would never learn its classes. "
            f"Give the discriminator num_classes={g_classes} (a conditional GAN), or add a term "
            f"that reads them, such as ACGAN's (terms=[ACGANTerm()] with a class head)."
        )
