"""Reading a folder of images (one subfolder a class) into one ``uint8`` tensor."""

from __future__ import annotations

from pathlib import Path

import torch

from pygan.data._classes import Classes, class_list

__all__ = ["read_folder"]

_MODES = {1: "L", 3: "RGB"}


def _class_indices(classes: Classes, class_to_idx: dict[str, int]) -> set[int] | None:
    wanted = class_list(classes, names_allowed=True)
    if wanted is None:
        return None
    indices: set[int] = set()
    for item in wanted:
        index = class_to_idx.get(item) if isinstance(item, str) else item
        if index is None or index not in class_to_idx.values():
            choices = ", ".join(f"{i} ({name!r})" for name, i in class_to_idx.items())
            raise ValueError(
                f"classes={classes!r}: there is no class {item!r}. The class folders are, by "
                f"label: {choices}."
            )
        indices.add(index)
    return indices


def read_folder(
    root: Path, size: tuple[int, int] | None, channels: int, classes: Classes
) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode every image under ``root``'s class folders into ``(N, C, H, W)`` ``uint8``.

    Labels are the indices of the class folders in sorted order (torchvision's
    ``ImageFolder``), whichever classes are kept. Images are decoded with PIL through
    torchvision's loader, converted to ``channels`` and, with ``size``, resized to
    ``(height, width)``.

    Raises:
        FileNotFoundError: ``root`` has no class folders, or a class folder no images.
        ValueError: An unknown class, an image PIL cannot read, or images of different
            shapes with no ``size`` given.
    """
    from PIL import UnidentifiedImageError
    from torchvision.datasets import ImageFolder
    from torchvision.datasets.folder import pil_loader
    from torchvision.transforms.v2 import functional as F

    if not root.is_dir():
        raise FileNotFoundError(f"No image folder at {root}.")
    folder = ImageFolder(str(root))
    keep = _class_indices(classes, folder.class_to_idx)
    samples = [(p, label) for p, label in folder.samples if keep is None or label in keep]
    images: torch.Tensor | None = None
    for i, (path, _) in enumerate(samples):
        try:
            image = pil_loader(path).convert(_MODES[channels])
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"Could not read the image {path}: {error}") from error
        if size is not None:
            image = F.resize(image, list(size), antialias=True)
        pixels = F.pil_to_tensor(image)
        if images is None:
            images = torch.empty((len(samples), *pixels.shape), dtype=torch.uint8)
        elif pixels.shape != images.shape[1:]:
            raise ValueError(
                f"The image {path} is {pixels.shape[2]}x{pixels.shape[1]} pixels but "
                f"{samples[0][0]} is {images.shape[3]}x{images.shape[2]}: all images must have "
                f"one size. Pass size=(height, width) to resize them."
            )
        images[i] = pixels
    if images is None:  # ImageFolder already refuses class folders without images
        raise FileNotFoundError(f"No images in the class folders of {root}.")
    labels = torch.tensor([label for _, label in samples], dtype=torch.int64)
    return images, labels
