"""Export a checkpoint's generator as safetensors, the format people share weights in.

:func:`export_generator` writes two files: ``NAME.safetensors`` with the generator's weights
(tensors only, no code) and ``NAME.json`` with what rebuilds the network: its registry name
and constructor arguments. :func:`load_exported_generator` reads them back. Both need the
optional ``safetensors`` package (``pip install 'pygan[export]'``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from pygan._files import write_atomically
from pygan._parts import build_part, load_weights, part_spec
from pygan._version import __version__
from pygan.checkpoint import CheckpointError, load_generator
from pygan.models.base import Generator

__all__ = ["EXPORT_FORMAT", "EXPORT_FORMAT_VERSION", "export_generator", "load_exported_generator"]

EXPORT_FORMAT = "pygan.generator"
"""The ``format`` field of an export's JSON file."""

EXPORT_FORMAT_VERSION = 1
"""The export format this pygan writes and reads (and every older one)."""

_SUFFIX = ".safetensors"


def _safetensors() -> ModuleType:
    """The safetensors package, with its torch functions imported."""
    try:
        import safetensors
        import safetensors.torch
    except ImportError:
        raise ImportError(
            "Exporting and loading safetensors needs the safetensors package: "
            "pip install 'pygan[export]' (or pip install safetensors)."
        ) from None
    return safetensors


def _config_path(path: Path) -> Path:
    if path.suffix != _SUFFIX:
        raise ValueError(f"Expected a path ending in {_SUFFIX} for the generator's weights, got {str(path)!r}.")
    return path.with_suffix(".json")


def export_generator(
    checkpoint: str | os.PathLike[str], path: str | os.PathLike[str], *, ema: bool = True
) -> Path:
    """Write the generator of ``checkpoint`` as ``path`` (safetensors) plus its JSON config.

    Args:
        checkpoint: A checkpoint file written by pygan.
        path: Where to write the weights; must end in ``.safetensors``. The config goes next
            to it with the suffix ``.json``. Both are written atomically.
        ema: Export the averaged weights of the EMA callback when the checkpoint has them.

    Returns:
        The path of the weights file.

    Raises:
        ImportError: safetensors is not installed.
        ValueError: ``path`` does not end in ``.safetensors``.
        CheckpointError: The checkpoint cannot be read, or its generator is not registered
            (so the export could not be rebuilt by name).
        OSError: A file cannot be written (the message names it); a file already there is
            intact.

    Example:
        >>> import os, tempfile
        >>> from pygan import Trainer, MLPGenerator, MLPDiscriminator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> trainer = Trainer(g, MLPDiscriminator((1, 4, 4), hidden=(16,)), device="cpu")
        >>> directory = tempfile.mkdtemp()
        >>> trainer.save_checkpoint(os.path.join(directory, "run.ckpt"))
        >>> weights = export_generator(os.path.join(directory, "run.ckpt"),
        ...                            os.path.join(directory, "generator.safetensors"))
        >>> sorted(os.listdir(directory))
        ['generator.json', 'generator.safetensors', 'run.ckpt']
        >>> load_exported_generator(weights).sample(2).shape
        torch.Size([2, 1, 4, 4])
    """
    safetensors = _safetensors()
    path = Path(path)
    config_path = _config_path(path)
    generator = load_generator(checkpoint, ema=ema)  # refuses unregistered generators
    spec = part_spec(generator, "generator")
    config = {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "pygan_version": __version__,
        "name": spec["name"],
        "class": spec["class"],
        "kwargs": spec["kwargs"],
        "latent_dim": generator.latent_dim,
        "output_shape": list(generator.output_shape),
        "num_classes": generator.num_classes,
        "weights": path.name,
    }
    # clone: safetensors refuses tensors that share memory, which a state_dict may hold
    tensors = {key: value.detach().contiguous().clone() for key, value in spec["state_dict"].items()}
    data = safetensors.torch.save(tensors, metadata={"format": "pt"})
    write_atomically(path, lambda handle: handle.write(data), "the generator's weights")
    text = json.dumps(config, indent=2) + "\n"
    write_atomically(config_path, lambda handle: handle.write(text.encode()), "the generator's config")
    return path


def load_exported_generator(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> Generator:
    """Rebuild a generator exported by :func:`export_generator`, ready to sample (eval mode).

    Args:
        path: The ``.safetensors`` file; its ``.json`` config must sit next to it.
        device: Where to put the generator.

    Raises:
        ImportError: safetensors is not installed.
        CheckpointError: A file is missing or unreadable, the config comes from a newer export
            format, the generator's name is not registered, or the weights do not fit it.

    Example:
        >>> import os, tempfile
        >>> from pygan import Trainer, MLPGenerator, MLPDiscriminator
        >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
        >>> trainer = Trainer(g, MLPDiscriminator((1, 4, 4), hidden=(16,)), device="cpu")
        >>> checkpoint = os.path.join(tempfile.mkdtemp(), "run.ckpt")
        >>> trainer.save_checkpoint(checkpoint)
        >>> weights = export_generator(checkpoint, checkpoint.replace(".ckpt", ".safetensors"))
        >>> generator = load_exported_generator(weights)
        >>> type(generator).__name__, generator.training
        ('MLPGenerator', False)
    """
    safetensors = _safetensors()
    path = Path(path)
    config_path = _config_path(path)
    for needed in (path, config_path):
        if not needed.is_file():
            raise CheckpointError(f"No exported generator file at {needed}.")
    try:
        config: Any = json.loads(config_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"Cannot read {config_path} as an exported generator's config: {error}") from None
    if not isinstance(config, dict) or config.get("format") != EXPORT_FORMAT:
        raise CheckpointError(f"{config_path} is not a pygan generator export (no format {EXPORT_FORMAT!r}).")
    version = config.get("format_version")
    if not isinstance(version, int) or version > EXPORT_FORMAT_VERSION:
        raise CheckpointError(
            f"{config_path} has export format {version}, newer than the format "
            f"{EXPORT_FORMAT_VERSION} this pygan {__version__} reads (written by pygan "
            f"{config.get('pygan_version')}). Upgrade pygan to load it."
        )
    generator = build_part(config, "generator")
    try:
        weights = safetensors.torch.load_file(str(path))
    except (OSError, safetensors.SafetensorError) as error:
        raise CheckpointError(f"Cannot read {path} as safetensors: {error}") from None
    load_weights(generator, weights, "generator")
    return generator.to(device).eval()
