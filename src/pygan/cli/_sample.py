"""The ``pygan sample`` and ``pygan export`` commands: a checkpoint's generator, used without
the training code."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import torch

from pygan._labels import check_label_range
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
        "  pygan sample runs/mnist_mlp/checkpoints/last.ckpt -n 10000 -o fakes.npy\n"
        "  pygan sample runs/cgan/checkpoints/last.ckpt --labels 7 -n 16 -o sevens.png\n"
        "  pygan sample runs/cgan/checkpoints/last.ckpt --labels all -n 100 -o digits.png\n\n"
        "With several classes (a list, or all) the n images are shared out over them in the\n"
        "order given, as evenly as n allows (equal numbers when n is a multiple of their\n"
        "count), and written grouped by class: the first n/k are the first class, and so on.\n"
        "A PNG grid then has one row per class. Without --labels, a conditional generator's\n"
        "classes are drawn from its class prior (uniform), seeded by --seed like the noise.",
    )
    add_checkpoint_arguments(sample)
    sample.add_argument("-n", type=positive_int, default=64, help="how many images (default: 64)")
    sample.add_argument("-o", "--output", metavar="FILE", help="where to write (default: samples.<format>)")
    sample.add_argument("--seed", type=non_negative_int, help="seed of the noise, for the same images every time")
    sample.add_argument("--format", choices=FORMATS, help="png, pt or npy (default: from the suffix of -o)")
    sample.add_argument(
        "--nrow", type=positive_int, help="images per row of a PNG grid (default: square; one class a row with several --labels)"
    )
    sample.add_argument(
        "--labels",
        type=_classes,
        metavar="CLASSES",
        help="the classes to draw, for a conditional generator: one (7), a list (0,3,5) or all (see below)",
    )
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
    classes = _asked_classes(args, generator)
    by_class = classes is not None and len(classes) > 1
    if by_class and fmt == "png" and args.nrow is not None:
        raise UsageError("--nrow does not apply with several --labels classes: the grid has one row per class.")
    counts = [args.n]  # images of each class asked for: as even as can be, the first ones more
    if classes is not None:
        counts = [args.n // len(classes) + (i < args.n % len(classes)) for i in range(len(classes))]
    images = _generate(generator, args.n, args.seed, classes, counts)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "png":
        from torchvision.utils import save_image

        if by_class:
            images, nrow = _rows_by_class(images, counts), max(counts)
        else:
            nrow = args.nrow or math.ceil(math.sqrt(args.n))
        save_image(images, output, nrow=nrow, normalize=True, value_range=(-1, 1))
    elif fmt == "pt":
        torch.save(images, output)
    else:
        import numpy as np

        np.save(output, images.numpy())
    shape = "x".join(map(str, images.shape[1:]))
    what = ("a grid, one row per class" if by_class else "a grid") if fmt == "png" else "values in [-1, 1]"
    of = "" if classes is None else f" of class{'es' if by_class else ''} {', '.join(map(str, classes))}"
    print(f"Wrote {args.n} images{of} ({shape}, {what}) to {output}.")
    return EXIT_OK


def _generate(
    generator: Any, n: int, seed: int | None, classes: list[int] | None, counts: list[int]
) -> torch.Tensor:
    """``n`` images on the CPU: ``counts[i]`` of ``classes[i]`` in turn when classes are asked
    for, else of classes from the generator's prior; noise and prior seeded by ``seed``."""
    rng = torch.Generator()
    if seed is not None:
        rng.manual_seed(seed)
    else:
        rng.seed()
    z = generator.sample_latent(n, generator=rng)
    labels = None
    if classes is not None:
        labels = torch.tensor(classes).repeat_interleave(torch.tensor(counts))
    elif generator.num_classes:
        labels = generator.sample_labels(n, generator=rng)
    chunks = [slice(start, start + 1024) for start in range(0, n, 1024)]
    return torch.cat(
        [generator.sample(len(z[c]), z=z[c], labels=None if labels is None else labels[c]).float().cpu() for c in chunks]
    )


def _classes(text: str) -> list[int] | str:
    """``--labels``: ``"all"``, or the classes of a comma-separated list."""
    if text.strip().lower() == "all":
        return "all"
    try:
        classes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected one class (7), a comma-separated list (0,3,5) or all, got {text!r}"
        ) from None
    return classes


def _asked_classes(args: argparse.Namespace, generator: Any) -> list[int] | None:
    """The classes ``--labels`` asks for, checked against the generator; ``None`` without it."""
    if args.labels is None:
        return None
    if not generator.num_classes:
        raise UsageError(
            f"--labels: the checkpoint's generator ({type(generator).__name__}) is unconditional "
            f"(num_classes=0) and cannot make a chosen class; leave --labels out, or sample a "
            f"conditional checkpoint."
        )
    classes = list(range(generator.num_classes)) if args.labels == "all" else args.labels
    try:
        check_label_range(torch.tensor(classes), generator.num_classes)
    except ValueError as error:
        raise UsageError(f"--labels: {error}") from None
    if len(classes) > args.n:
        raise UsageError(f"-n {args.n} is fewer than the {len(classes)} classes --labels asks for; use -n {len(classes)} or more.")
    return classes


def _rows_by_class(images: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """``images``, grouped by class with ``counts`` of each, laid out one class a row of
    ``max(counts)``; cells a class leaves empty are black, as the grid's padding."""
    width = max(counts)
    cells = images.new_full((len(counts) * width, *images.shape[1:]), -1.0)
    for row, group in enumerate(images.split(counts)):
        cells[row * width : row * width + len(group)] = group
    return cells


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
