"""The checkpoint format: one file per save, safe to open, written atomically.

A checkpoint is a dict of tensors and plain containers only, so
``torch.load(path, weights_only=True)`` reads it and opening one never runs code. It holds:

- ``format_version``, ``pygan_version``;
- ``generator`` / ``discriminator`` / ``loss``: ``{"name": registry name or None,
  "class": "module.QualName", "kwargs": constructor arguments, "state_dict": weights}``;
- ``g_optimizer`` / ``d_optimizer`` state, ``callbacks`` (each callback's ``state_dict()``,
  under the key :func:`~pygan.callbacks.callback_keys` gives it);
- ``epoch`` (completed), ``step_in_epoch``, ``global_step``, ``history``, random states.

A callback may offer generator weights to sample with (the EMA callback does) under the key
``generator_state_dict`` of its state; :func:`load_generator` prefers them. A checkpoint of an
older format (pygan 0.1.0 wrote format 1) is upgraded when it is loaded.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from pygan._device import resolve_device
from pygan._errors import CheckpointError
from pygan._files import write_atomically
from pygan._parts import build_part, load_weights
from pygan._upgrades import UPGRADES
from pygan._version import __version__
from pygan.models.base import Generator

__all__ = ["FORMAT_VERSION", "CheckpointError", "load_checkpoint", "load_generator", "save_checkpoint"]

FORMAT_VERSION = 2
"""The checkpoint format this pygan writes; it reads this and every older version (format 1
is pygan 0.1.0's)."""


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``state`` (a Trainer's ``state_dict()``) to ``path`` atomically.

    The data goes to a temporary file in the same directory, is flushed and fsynced, then
    renamed over ``path``: a crash leaves either the old file or the new one, never half.

    Returns:
        ``path``, as a :class:`~pathlib.Path`.

    Raises:
        CheckpointError: The directory cannot be written (the message names the path); any
            file already at ``path`` is left intact.

    Example:
        >>> import tempfile, os
        >>> path = save_checkpoint({"epoch": 3}, os.path.join(tempfile.mkdtemp(), "state.ckpt"))
        >>> load_checkpoint(path)["epoch"]
        3
    """
    payload = {"format_version": FORMAT_VERSION, "pygan_version": __version__, **state}
    try:
        return write_atomically(path, lambda handle: torch.save(payload, handle), "a checkpoint")
    except OSError as error:
        raise CheckpointError(str(error)) from error


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)``: it never runs code.

    Raises:
        CheckpointError: The file is missing, is not a pygan checkpoint, holds anything but
            tensors and plain containers (a pickle that would run code is refused), or comes
            from a newer pygan format. An older format is upgraded to this one.

    Example:
        >>> import tempfile, os
        >>> from pygan import Trainer, MLPGenerator, MLPDiscriminator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> trainer = Trainer(g, MLPDiscriminator((1, 4, 4), hidden=(16,)), device="cpu")
        >>> path = os.path.join(tempfile.mkdtemp(), "model.ckpt")
        >>> trainer.save_checkpoint(path)
        >>> state = load_checkpoint(path)
        >>> state["generator"]["name"], state["epoch"]
        ('mlp', 0)
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    if not zipfile.is_zipfile(path):  # torch.save writes zip archives; never unpickle others
        raise CheckpointError(
            f"{path} is not a pygan checkpoint: pygan writes them with torch.save, as zip "
            f"archives, and this file is not a zip archive."
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"Refused to load {path}: it holds objects other than tensors and plain "
            f"containers, and loading it could run code. pygan checkpoints never do. "
            f"({str(error).splitlines()[0]})"
        ) from None
    except (RuntimeError, EOFError, OSError) as error:
        raise CheckpointError(f"Cannot read {path} as a checkpoint: {error}") from None
    if not isinstance(state, dict) or "format_version" not in state:
        raise CheckpointError(f"{path} is not a pygan checkpoint (no format_version).")
    version = state["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {version}, newer than the format {FORMAT_VERSION} "
            f"this pygan {__version__} reads (written by pygan {state.get('pygan_version')}). "
            f"Upgrade pygan to load it."
        )
    while version < FORMAT_VERSION:
        if version not in UPGRADES:
            raise CheckpointError(
                f"{path} has checkpoint format {version}, which this pygan {__version__} "
                f"cannot upgrade to format {FORMAT_VERSION}."
            )
        state = UPGRADES[version](state)
        version = state["format_version"] = version + 1
    return state


def load_generator(
    path: str | os.PathLike[str], *, ema: bool = True, device: str | torch.device = "cpu"
) -> Generator:
    """Rebuild the generator saved in a checkpoint, ready to sample (eval mode).

    Args:
        path: A checkpoint file written by pygan.
        ema: Use the averaged weights of the EMA callback when the checkpoint has them.
        device: Where to put the generator: a device name, or ``"auto"`` (cuda, then mps,
            then cpu).

    Raises:
        ValueError: ``device`` names no device (checked before the file is read).
        CheckpointError: The checkpoint cannot be read, or its generator is not registered.

    Example:
        >>> import tempfile, os
        >>> from pygan import Trainer, MLPGenerator, MLPDiscriminator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> trainer = Trainer(g, MLPDiscriminator((1, 4, 4), hidden=(16,)), device="cpu")
        >>> path = os.path.join(tempfile.mkdtemp(), "model.ckpt")
        >>> trainer.save_checkpoint(path)
        >>> load_generator(path).sample(2).shape
        torch.Size([2, 1, 4, 4])
    """
    device = resolve_device(device)
    state = load_checkpoint(path)
    spec = state["generator"]
    generator = build_part(spec, "generator")
    weights = spec["state_dict"]
    if ema:
        for callback_state in state.get("callbacks", {}).values():
            if isinstance(callback_state, dict) and "generator_state_dict" in callback_state:
                weights = callback_state["generator_state_dict"]
    load_weights(generator, weights, "generator")
    return generator.to(device).eval()
