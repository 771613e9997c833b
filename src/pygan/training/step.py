"""One training step: ``d_steps`` discriminator updates, then one generator update, with
autocast, loss scaling, the loss terms and the skipping of non-finite updates."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from pygan import _distributed as dist
from pygan.callbacks.base import Targets
from pygan.data.loader import Batch
from pygan.losses.base import GANLoss
from pygan.terms.base import LossTerm, Step

if TYPE_CHECKING:
    from pygan.trainer import Trainer

__all__ = ["TrainingStep", "term_figure_keys"]


class TrainingStep:
    """The updates of one step, for the Trainer that owns the networks and optimizers.

    The discriminator's update sees real and generated images in one pass (real first, in
    two passes, when it has batch statistics), with the heads the terms read; the generator's
    update runs the discriminator with its weights frozen, adding the real images' pass only
    when the loss or a term needs their logits (``needs_real_logits``).

    Args:
        trainer: The Trainer whose networks, loss, terms, optimizers and settings to use.
        on_discriminator_step: Called with the :class:`~pygan.Targets` of each
            discriminator update before its loss (the callbacks' hook).
    """

    def __init__(self, trainer: Trainer, on_discriminator_step: Callable[[Targets], None]) -> None:
        self.trainer = trainer
        self.on_discriminator_step = on_discriminator_step
        device = trainer.device
        # G and D run through these: wrapped for DistributedDataParallel when several
        # processes train, and compiled on request. The generator's update runs D unwrapped,
        # its weights frozen: D's gradients are neither needed nor synced there.
        maybe_compile: Callable[[nn.Module], Any] = torch.compile if trainer.compile else (lambda m: m)
        self.g_forward = maybe_compile(dist.wrap(trainer.generator, device))
        self.d_forward = maybe_compile(dist.wrap(trainer.discriminator, device))
        self.d_frozen_forward = maybe_compile(trainer.discriminator)
        self.joint_pass = not trainer.discriminator.has_batch_statistics
        self.g_conditional = trainer.generator.num_classes > 0
        self.d_conditional = trainer.discriminator.num_classes > 0
        self.heads = any(term.needs_heads for term in trainer.terms)
        self.g_needs_real = trainer.loss.needs_real_logits or any(t.needs_real_logits for t in trainer.terms)
        self.scalers = {
            which: torch.amp.GradScaler("cuda", enabled=trainer.precision == "16") for which in ("g", "d")
        }
        self.figure_keys = ("d_loss", "g_loss", *term_figure_keys(trainer.terms), "d_real", "d_fake")
        self.bad_gradients: dict[int, str] = {}  # step -> network, with skip_nonfinite_steps
        self.d_trainable: list[nn.Parameter] = []
        self.guard_first_step = False

    def __call__(self, reals: Sequence[Batch]) -> torch.Tensor:
        """Train on ``reals`` (one batch per discriminator update); return the step's figures
        in the order of :attr:`figure_keys`, as one tensor on the device (no sync)."""
        undo = self._snapshot_discriminator() if self.guard_first_step else None
        try:
            d_step, fake, d_loss, d_terms = self._discriminator_updates(reals)
            g_loss, g_terms = self._generator_loss(d_step, fake)
        except ValueError:
            if undo is not None:
                undo()  # a bad value in the first step: no weight stays changed
            raise
        self.guard_first_step = False
        self._update(self.trainer.g_optimizer, g_loss, "g")
        with torch.no_grad():  # d_loss, g_loss, the terms, D(x), D(G(z)): no sync
            logits = torch.stack([d_step.real_logits, d_step.fake_logits])  # type: ignore[list-item]
            return torch.cat([torch.stack([d_loss.float(), g_loss.float(), *d_terms, *g_terms]), logits.sigmoid().mean(1)])

    def autocast(self) -> contextlib.AbstractContextManager:
        """The autocast context of the Trainer's precision (none for ``"32"``)."""
        precision = self.trainer.precision
        if precision == "32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast(self.trainer.device.type, dtype=dtype)

    def _discriminator_updates(
        self, reals: Sequence[Batch]
    ) -> tuple[Step, torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """One discriminator update per real batch; the last one's step, its generated images
        (with their graph, for the generator's update), loss and term values."""
        t = self.trainer
        for i, (real, real_labels) in enumerate(reals):
            z = t.generator.sample_latent(real.shape[0])
            fake_labels = t.generator.sample_labels(real.shape[0]) if self.g_conditional else None
            with torch.set_grad_enabled(i == len(reals) - 1), self.autocast():
                # the last batch's images keep their graph for G's update
                fake = self.g_forward(z) if fake_labels is None else self.g_forward(z, fake_labels)
            targets = Targets(real=1.0, fake=0.0, batch_size=real.shape[0], device=t.device)
            self.on_discriminator_step(targets)
            with self.autocast():
                step = self._discriminate(
                    "discriminator", self.d_forward, Batch(real, real_labels), Batch(fake.detach(), fake_labels), z, True
                )
                d_loss = t.loss.discriminator_loss(step.real_logits, step.fake_logits, targets.real, targets.fake)
                _check_scalar(d_loss, f"{type(t.loss).__name__}.discriminator_loss")
                penalty = t.loss.penalty(t.discriminator, real, step.fake)
                if penalty is not None:
                    d_loss = d_loss + penalty
                d_loss, d_terms = self._add_terms(d_loss, step)
            self._update(t.d_optimizer, d_loss, "d")
        return step, fake, d_loss, d_terms

    def _generator_loss(self, d_step: Step, fake: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The generator's loss on ``fake`` (the last discriminator update's images, with
        their graph) through D frozen, and its term values."""
        t = self.trainer
        for p in self.d_trainable:  # D frozen: its gradients are neither computed nor synced
            p.requires_grad_(False)
        try:
            with self.autocast():
                real, fake_batch = Batch(d_step.real, d_step.real_labels), Batch(fake, d_step.fake_labels)
                step = self._discriminate("generator", self.d_frozen_forward, real, fake_batch, d_step.z, self.g_needs_real)
                if t.loss.needs_real_logits:
                    g_loss = t.loss.generator_loss(step.fake_logits, real_logits=step.real_logits)  # type: ignore[call-arg]
                else:
                    g_loss = t.loss.generator_loss(step.fake_logits)
                _check_scalar(g_loss, f"{type(t.loss).__name__}.generator_loss")
                g_loss, g_terms = self._add_terms(g_loss, step)
        finally:
            for p in self.d_trainable:
                p.requires_grad_(True)
        return g_loss, g_terms

    def _discriminate(
        self,
        phase: str,
        forward: Callable[..., Any],
        real: Batch,
        fake: Batch,
        z: torch.Tensor,
        with_real: bool,
    ) -> Step:
        """Run D over the generated images (and the real ones when ``with_real``), with their
        labels when D is conditional and the heads the terms read, and gather what the
        update's loss and terms may need."""
        n = real.images.shape[0]

        def run(images: torch.Tensor, labels: torch.Tensor | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            args = (images, labels) if self.d_conditional else (images,)
            if not self.heads:
                return forward(*args).float(), {}
            logits, outputs = forward(*args, heads=True)
            return logits.float(), outputs

        real_logits, real_heads = None, {}
        if with_real and self.joint_pass:
            labels = torch.cat([real.labels, fake.labels]) if self.d_conditional else None  # type: ignore[list-item]
            both, outputs = run(torch.cat([real.images, fake.images]), labels)
            real_logits, fake_logits = both.view(2, n).unbind()
            real_heads = {name: out[:n] for name, out in outputs.items()}
            fake_heads = {name: out[n:] for name, out in outputs.items()}
        else:
            if with_real:
                real_logits, real_heads = run(*real)  # real first: batch-norm statistics
            fake_logits, fake_heads = run(*fake)
        t = self.trainer
        return Step(
            phase,  # type: ignore[arg-type]
            real=real.images,
            fake=fake.images,
            z=z,
            real_labels=real.labels,
            fake_labels=fake.labels,
            real_logits=real_logits,
            fake_logits=fake_logits,
            generator=t.generator,
            discriminator=t.discriminator,
            trainer=t,
            real_heads=real_heads,
            fake_heads=fake_heads,
        )

    def _add_terms(self, total: torch.Tensor, step: Step) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``total`` plus each term's weighted value in this update, and those values."""
        values = []
        for term in self.trainer.terms:
            if not _defines(term, step.phase):
                continue
            method = term.discriminator_term if step.phase == "discriminator" else term.generator_term
            value = method(step)
            if value is None:
                values.append(torch.zeros((), device=self.trainer.device))
                continue
            _check_scalar(value, f"{type(term).__name__}.{method.__name__}", "a scalar tensor or None")
            weighted = term.weight * value
            total = total + weighted
            values.append(weighted.detach().float())
        return total, values

    def _update(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, which: str) -> None:
        optimizer.zero_grad(set_to_none=True)
        scaler = self.scalers[which]
        scaler.scale(loss).backward()
        if self.trainer.skip_nonfinite_steps:  # one host sync per update; none without the option
            checked = [loss.detach()]
            if not scaler.is_enabled():  # float16 loss scaling skips overflowing steps itself
                checked += [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            finite = torch.stack([torch.isfinite(t).all() for t in checked])
            if not dist.all_finite(torch.where(finite, 0.0, math.nan)):  # NaN marks a bad tensor
                if dist.all_finite(loss):  # else the step's figures record the loss
                    network = "discriminator" if which == "d" else "generator"
                    self.bad_gradients.setdefault(self.trainer.global_step + 1, network)
                return  # skipped; the figures count it
        scaler.step(optimizer)
        scaler.update()

    def _snapshot_discriminator(self) -> Callable[[], None]:
        """A function that puts the discriminator's weights, optimizer and loss scaler back as
        they are now (the first step's guard: a term or loss returning a bad value in the
        generator's update must not leave the discriminator's update applied)."""
        t = self.trainer
        saved = copy.deepcopy(
            (t.discriminator.state_dict(), t.d_optimizer.state_dict(), self.scalers["d"].state_dict())
        )

        def undo() -> None:
            t.discriminator.load_state_dict(saved[0])
            t.d_optimizer.load_state_dict(saved[1])
            self.scalers["d"].load_state_dict(saved[2])

        return undo


def term_figure_keys(terms: Sequence[LossTerm]) -> list[str]:
    """The figure names of the terms' weighted values: ``d_<name>`` for each term with a
    discriminator side, then ``g_<name>`` for each with a generator side (``_2``, ``_3``, ...
    for repeated names).

    Example:
        >>> from pygan.terms import GradientPenalty, InfoTerm
        >>> term_figure_keys([InfoTerm(), GradientPenalty(), GradientPenalty()])
        ['d_info', 'd_gradient_penalty', 'd_gradient_penalty_2', 'g_info']
    """
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


def _defines(term: LossTerm, phase: str) -> bool:
    """Whether ``term`` overrides the method of ``phase``'s update."""
    method = "discriminator_term" if phase == "discriminator" else "generator_term"
    return getattr(type(term), method) is not getattr(LossTerm, method)


def _check_scalar(value: Any, where: str, expected: str = "a scalar tensor") -> None:
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f"{where} must return {expected} (reduce with .mean()), got {got}.")
