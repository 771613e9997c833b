"""Step figures on their way to the epoch's means: buffered on the device, moved to the host
in windows, and checked there for NaN (:class:`NonFiniteLossError`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pygan import _distributed as dist
from pygan.training.state import TrainingState

__all__ = ["FigureWindow", "NonFiniteLossError"]


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


class FigureWindow:
    """The figures of the steps since the last flush, kept on the device.

    Args:
        keys: The figure names, in the order of each step's figures (``d_loss`` and
            ``g_loss`` first).
        networks: The networks whose weights a flush checks, by name.
        skip_nonfinite_steps: How many non-finite steps to leave out of the epoch's figures
            before raising :class:`NonFiniteLossError`.
        device: The device the figures and weights are on.
    """

    def __init__(
        self, keys: Sequence[str], networks: Mapping[str, nn.Module], skip_nonfinite_steps: int, device: torch.device
    ) -> None:
        self.keys = tuple(keys)
        self.device = device
        self.networks = dict(networks)
        self.skip_nonfinite_steps = skip_nonfinite_steps
        self.steps: list[torch.Tensor] = []
        self.skipped = 0

    def __len__(self) -> int:
        return len(self.steps)

    def append(self, figures: torch.Tensor) -> None:
        """Buffer one step's figures."""
        self.steps.append(figures)

    def flush(
        self,
        state: TrainingState,
        last_step: int,
        bad_gradients: dict[int, str],
        *,
        over_processes: bool = True,
    ) -> None:
        """Move the buffered figures to the host (averaged over processes under torchrun
        unless ``over_processes`` is false), add the finite ones to ``state``'s epoch sums
        and check the weights.

        Args:
            state: The run's state (its epoch sums grow; its ``epoch`` names errors).
            last_step: The global step number of the last buffered step.
            bad_gradients: Steps whose update was skipped for a non-finite gradient, by step
                number (entries for the flushed steps are removed).
            over_processes: Average over processes first.

        Raises:
            NonFiniteLossError: More non-finite steps than ``skip_nonfinite_steps``, or
                non-finite weights.
        """
        if not self.steps:
            return
        window = torch.stack(self.steps)
        window = (dist.mean_over_processes(window) if over_processes else window).cpu()
        first_step = last_step - len(self.steps) + 1
        self.steps = []
        for row, figures in enumerate(window.tolist()):
            d_loss, g_loss = figures[:2]
            bad_gradient = bad_gradients.pop(first_step + row, None)
            if math.isfinite(d_loss) and math.isfinite(g_loss) and not bad_gradient:
                state.add_step_figures(self.keys, figures)
                continue
            self.skipped += 1
            if self.skipped > self.skip_nonfinite_steps:
                step = first_step + row
                if not math.isfinite(d_loss):
                    raise NonFiniteLossError("discriminator", state.epoch, step, d_loss)
                if not math.isfinite(g_loss):
                    raise NonFiniteLossError("generator", state.epoch, step, g_loss)
                raise NonFiniteLossError(bad_gradient, state.epoch, step, math.nan, "gradient")  # type: ignore[arg-type]
        # A non-finite gradient with finite losses shows in the weights: checked here, once per
        # flush (one transfer, no per-step sync), so no callback ever saves NaN weights.
        finite = torch.stack([_weights_finite(module, self.device) for module in self.networks.values()])
        for network, ok in zip(self.networks, finite.cpu().tolist()):
            if not ok:
                raise NonFiniteLossError(network, state.epoch, last_step, math.nan, "weights", first_step)


def _weights_finite(module: nn.Module, device: torch.device) -> torch.Tensor:
    """Whether all of ``module``'s weights are finite, as a tensor on ``device`` (no sync).

    A tensor's max and min are NaN or infinite exactly when an element is: two cheap
    reductions, for any dtype and device (15x less work than ``isfinite(p).all()``).
    """
    extremes = [x for p in module.parameters() if p.numel() for x in (p.detach().amax(), p.detach().amin())]
    if not extremes:
        return torch.tensor(True, device=device)
    return torch.stack(extremes).isfinite().all()
