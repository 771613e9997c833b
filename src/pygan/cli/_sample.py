"""The ``pygan sample`` and ``pygan export`` commands: a checkpoint's generator, used without
the training code."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import torch

from pygan.checkpoint import CheckpointError
from pygan.cli._common import (
    EXIT_OK,
    UsageError,
    add_checkpoint_arguments,
    fill,
    load_checkpoint_generator,
    non_negative_int,
    positive_int,
)

FORMATS = ("png", "pt", "npy")


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``sample`` and ``export`` commands to the ``pygan`` parser's subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    sample = commands.add_parser(
        "sample",
        parents=parents,
        formatter_class=formatter,
        help="generate images from a checkpoint",
        description=fill(
            "Generate images with the generator saved in a checkpoint (the EMA weights "
            "when it has them), without the training code: a PNG grid, or the raw values in "
            "[-1, 1] as a torch tensor (.pt) or a NumPy array (.npy) of shape (n, C, H, W)."
        ),
        epilog="examples:\n"
        "  pygan sample runs/mnist_mlp/checkpoints/last.ckpt -n 64 -o grid.png --seed 0\n"
        "  pygan sample runs/mnist_mlp/checkpoints/last.ckpt -n 10000 -o fakes.npy",
    )
    add_checkpoint_arguments(sample)
    sample.add_argument("-n", type=positive_int, default=64, help="how many images (default: 64)")
    sample.add_argument("-o", "--output", metavar="FILE", help="where to write (default: samples.<format>)")
    sample.add_argument("--seed", type=non_negative_int, help="seed of the noise, for the same images every time")
    sample.add_argument("--format", choices=FORMATS, help="png, pt or npy (default: from the suffix of -o)")
    sample.add_argument("--nrow", type=positive_int, help="images per row of a PNG grid (default: square)")
    sample.set_defaults(handler=_sample)


    export = commands.add_parser(
        "export",
        parents=parents,
        formatter_class=formatter,
        help="write a checkpoint's generator as safetensors plus a JSON config",
        description=fill(
            "Write the generator of a checkpoint (the EMA weights when it has them) as a "
            ".safetensors file, the format people share weights in, and its registry name and "
            "constructor arguments as a .json file beside it; "
            "pygan.export.load_exported_generator reads them back. Needs pip install 'pygan[export]'."
        ),
        epilog="example:\n  pygan export runs/mnist_mlp/checkpoints/last.ckpt -o generator.safetensors",
    )
    add_checkpoint_arguments(export, device=False)
    export.add_argument("-o", "--output", metavar="FILE", required=True, help="the .safetensors file to write")
    export.set_defaults(handler=_export)


def _sample(args: argparse.Namespace) -> int:
    output, fmt = _output_and_format(args.output, args.format)
    generator = load_checkpoint_generator(args)
    rng = torch.Generator()
    if args.seed is not None:
        rng.manual_seed(args.seed)
    else:
        rng.seed()
    z = generator.sample_latent(args.n, generator=rng)
    images = torch.cat([generator.sample(len(chunk), z=chunk).float().cpu() for chunk in z.split(1024)])
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "png":
        from torchvision.utils import save_image

        nrow = args.nrow or math.ceil(math.sqrt(args.n))
        save_image(images, output, nrow=nrow, normalize=True, value_range=(-1, 1))
    elif fmt == "pt":
        torch.save(images, output)
    else:
        import numpy as np

        np.save(output, images.numpy())
    shape = "x".join(map(str, images.shape[1:]))
    print(f"Wrote {args.n} images ({shape}, {'a grid' if fmt == 'png' else 'values in [-1, 1]'}) to {output}.")
    return EXIT_OK


def _output_and_format(output: str | None, fmt: str | None) -> tuple[Path, str]:
    if output is None:
        fmt = fmt or "png"
        return Path(f"samples.{fmt}"), fmt
    suffix = Path(output).suffix.lstrip(".").lower()
    if fmt is None:
        if suffix not in FORMATS:
            raise UsageError(
                f"-o {output}: cannot tell the format from the suffix {suffix!r}; name the file "
                f".png, .pt or .npy, or pass --format."
            )
        fmt = suffix
    elif suffix in FORMATS and suffix != fmt:
        raise UsageError(f"-o {output} has the suffix .{suffix} but --format is {fmt}; make them agree.")
    return Path(output), fmt




def _export(args: argparse.Namespace) -> int:
    from pygan.export import export_generator

    try:
        weights = export_generator(args.checkpoint, args.output, ema=not args.no_ema)
    except (CheckpointError, ValueError, ImportError) as error:
        raise UsageError(str(error)) from error
    print(f"Wrote the generator's weights to {weights} and its config to {weights.with_suffix('.json')}.")
    return EXIT_OK
