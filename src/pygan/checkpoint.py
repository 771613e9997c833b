"""The checkpoint format: one file per save, safe to open, written atomically.

A checkpoint is a dict of tensors and plain containers only, so
``torch.load(path, weights_only=True)`` reads it and opening one never runs code. It holds:

- ``format_version``, ``pygan_version``;
- ``generator`` / ``discriminator`` / ``loss``: ``{"name": registry name or None,
  "class": "module.QualName", "kwargs": constructor arguments, "state_dict": weights}``;
- ``g_optimizer`` / ``d_optimizer`` state, ``callbacks`` (each callback's ``state_dict()``);
- ``epoch`` (completed), ``step_in_epoch``, ``global_step``, ``history``, random states.

A callback may offer generator weights to sample with (the EMA callback does) under the key
``generator_state_dict`` of its state; :func:`load_generator` prefers them.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import nn

from pygan import __version__
from pygan._init_args import init_args, plain_value_problem
from pygan.models.base import Generator
from pygan.registry import DISCRIMINATORS, GENERATORS, LOSSES, Registry

__all__ = [
    "FORMAT_VERSION",
    "UPGRADES",
    "CheckpointError",
    "build_part",
    "load_checkpoint",
    "load_generator",
    "load_weights",
    "part_spec",
    "remove_temporary_files",
    "save_checkpoint",
    "write_atomically",
]

FORMAT_VERSION = 1
"""The checkpoint format this pygan writes; it reads this and every older version."""

UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""``UPGRADES[v]`` turns a format ``v`` checkpoint into format ``v + 1``; :func:`load_checkpoint`
applies them in turn. Whoever raises :data:`FORMAT_VERSION` adds the step from the old one."""

_REGISTRIES: dict[str, Registry[Any]] = {
    "generator": GENERATORS,
    "discriminator": DISCRIMINATORS,
    "loss": LOSSES,
}
_REGISTER_HINT = {
    "generator": "GENERATORS",
    "discriminator": "DISCRIMINATORS",
    "loss": "LOSSES",
}


_TMP_SUFFIX = ".tmp"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read or used; the message says why and what to do."""


def part_spec(obj: Any, role: str) -> dict[str, Any]:
    """Describe a generator, discriminator or loss so a checkpoint can rebuild it.

    Args:
        obj: The part.
        role: ``"generator"``, ``"discriminator"`` or ``"loss"``.
    """
    kwargs = init_args(obj)
    problem = plain_value_problem(kwargs, "kwargs")
    spec: dict[str, Any] = {
        "name": _REGISTRIES[role].name_of(type(obj)),
        "class": f"{type(obj).__module__}.{type(obj).__qualname__}",
        "kwargs": None if problem else kwargs,
        "kwargs_problem": problem,
    }
    if isinstance(obj, nn.Module):
        spec["state_dict"] = obj.state_dict()
    return spec


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``state`` (a Trainer's ``state_dict()``) to ``path`` atomically.

    The data goes to a temporary file in the same directory, is flushed and fsynced, then
    renamed over ``path``: a crash leaves either the old file or the new one, never half.

    Raises:
        CheckpointError: The directory cannot be written (the message names the path); any
            file already at ``path`` is left intact.
    """
    payload = {"format_version": FORMAT_VERSION, "pygan_version": __version__, **state}
    return write_atomically(path, lambda handle: torch.save(payload, handle), "a checkpoint")


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], object], what: str = "a file"
) -> Path:
    """Call ``write(handle)`` on a temporary file next to ``path``, fsync it, rename it over
    ``path``: a crash at any moment leaves the old file or the new one, never half of one.

    Args:
        path: The file to write.
        write: Writes the content to the binary file handle it gets.
        what: What is written, for the error message (``"a checkpoint"``).

    Raises:
        CheckpointError: The file cannot be written (the message names the path); any file
            already at ``path`` is left intact.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    except OSError as error:
        raise CheckpointError(f"Cannot write {what} to {path}: {error}") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        _fsync_directory(path.parent)
    except BaseException as error:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise CheckpointError(f"Cannot write {what} to {path}: {error}") from error
        raise
    return path


def remove_temporary_files(directory: str | os.PathLike[str], name: str = "*") -> list[Path]:
    """Delete the temporary files that saves killed mid-write left in ``directory``.

    :func:`save_checkpoint` writes ``.NAME.XXXXXXXX.tmp`` next to ``NAME`` and renames it;
    a process killed before the rename leaves the hidden file behind (never a half-written
    ``NAME``). Call this only when no other process is saving into ``directory``.

    Args:
        directory: The checkpoint directory.
        name: Which checkpoints' temporary files to delete (a glob such as ``"epoch-*.ckpt"``).

    Returns:
        The deleted files, sorted.

    Example:
        >>> import tempfile
        >>> directory = Path(tempfile.mkdtemp())
        >>> _ = (directory / ".last.ckpt.k3j_x9.tmp").write_bytes(b"partial")
        >>> [p.name for p in remove_temporary_files(directory, "last.ckpt")]
        ['.last.ckpt.k3j_x9.tmp']
    """
    removed = sorted(Path(directory).glob(f".{name}.*{_TMP_SUFFIX}"))
    for tmp in removed:
        tmp.unlink(missing_ok=True)
    return removed


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)``: it never runs code.

    Raises:
        CheckpointError: The file is missing, is not a pygan checkpoint, holds anything but
            tensors and plain containers (a pickle that would run code is refused), or comes
            from a newer pygan format. An older format is upgraded through :data:`UPGRADES`.

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


def load_weights(module: nn.Module, state_dict: dict[str, torch.Tensor], role: str) -> None:
    """Load ``state_dict`` into ``module``, naming every mismatched shape or key on failure."""
    own = module.state_dict()
    problems = [
        f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key].shape)}"
        for key, value in state_dict.items()
        if key in own and own[key].shape != value.shape
    ]
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    if missing:
        problems.append(f"missing in checkpoint: {', '.join(missing[:5])}")
    if unexpected:
        problems.append(f"not in model: {', '.join(unexpected[:5])}")
    if problems:
        raise CheckpointError(
            f"The checkpoint's {role} does not fit this {role} ({type(module).__name__}); "
            f"it was saved from another architecture. " + "; ".join(problems[:6])
        )
    module.load_state_dict(state_dict)


def build_part(spec: dict[str, Any], role: str) -> Any:
    """Rebuild a generator, discriminator or loss from its checkpoint description."""
    registry = _REGISTRIES[role]
    if spec.get("name") is None:
        raise CheckpointError(
            f"The checkpoint's {role} class {spec.get('class')} is not registered, so it cannot "
            f"be rebuilt by name. Register it (@pygan.{_REGISTER_HINT[role]}.register(\"name\")) "
            f"before training and save again, or build it yourself and load the weights with "
            f"load_checkpoint()."
        )
    if spec.get("kwargs") is None:
        raise CheckpointError(
            f"The checkpoint's {role} {spec['name']!r} cannot be rebuilt: {spec.get('kwargs_problem')}."
        )
    try:
        cls = registry.get(spec["name"])
    except KeyError as error:
        raise CheckpointError(
            f"{error} The checkpoint needs the {role} {spec['name']!r} ({spec.get('class')}); "
            f"install or import the package that registers it."
        ) from None
    return cls(**spec["kwargs"])


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
    from pygan.trainer import resolve_device  # the trainer module imports this one

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
