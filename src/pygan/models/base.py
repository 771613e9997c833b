"""The two model interfaces: :class:`Generator` and :class:`Discriminator`.

A subclass writes ``forward`` and calls ``super().__init__`` with its shapes; everything else
(latent sampling, eval-mode sampling, the device) has a working default. A model built with
``num_classes > 0`` is conditional: it takes the class labels of its images as
``forward(z, labels)`` / ``forward(x, labels)``; an unconditional one is never given labels, so
a subclass written as ``forward(z)`` or ``forward(x)`` works unchanged. The arguments a
model was built with are recorded, so a checkpoint can rebuild a registered model by name.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from pygan._init_args import RecordsInitArgs, init_args
from pygan._labels import Labels, as_labels
from pygan._validation import check_int, check_shape

__all__ = ["Discriminator", "Generator", "module_device"]


def module_device(module: nn.Module) -> torch.device:
    """Return the device of the module's first parameter or buffer (CPU if it has none)."""
    tensors: Iterator[torch.Tensor] = itertools.chain(module.parameters(), module.buffers())
    first = next(tensors, None)  # lazily: the trainer asks once per step
    return first.device if first is not None else torch.device("cpu")


class Generator(nn.Module, metaclass=RecordsInitArgs):
    """Maps latent noise to images in [-1, 1].

    Subclass contract: call ``super().__init__(latent_dim=..., output_shape=...)`` and write
    :meth:`forward`. Register the class (``@GENERATORS.register("name")``) so configs can name
    it and checkpoints can rebuild it. A conditional generator passes ``num_classes`` and
    writes ``forward(z, labels)``; it is called with the labels of the images to make.

    Args:
        latent_dim: Size of the noise vector ``z``.
        output_shape: Shape of one image, channels first, e.g. ``(1, 28, 28)``.
        num_classes: How many classes the generator can be asked for; 0 (the default) for an
            unconditional generator.

    Example:
        >>> class Tiny(Generator):
        ...     def __init__(self):
        ...         super().__init__(latent_dim=8, output_shape=(1, 4, 4))
        ...         self.net = torch.nn.Linear(8, 16)
        ...     def forward(self, z):
        ...         return torch.tanh(self.net(z)).view(-1, *self.output_shape)
        >>> Tiny().sample(3).shape
        torch.Size([3, 1, 4, 4])
    """

    def __init__(self, latent_dim: int, output_shape: Sequence[int], num_classes: int = 0) -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim)
        self.output_shape = check_shape("output_shape", output_shape)
        self.num_classes = check_int("num_classes", num_classes, minimum=0)

    @property
    def device(self) -> torch.device:
        """The device the generator's weights are on."""
        return module_device(self)

    @property
    def config(self) -> dict:
        """The keyword arguments this generator was constructed with."""
        return init_args(self)

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` latent vectors (standard normal here) on the generator's device.

        Every part of pygan that needs noise for this generator (training, sample grids,
        evaluation, ``pygan sample``) draws it here, so a subclass that overrides this method
        (a categorical code, another prior) is trained and sampled on the same latent
        distribution. An override draws from ``generator`` on that generator's device.

        Args:
            n: How many vectors.
            generator: Optional random number generator to draw from. The noise is drawn on
                its device, then moved to this generator's device: a seeded CPU generator
                gives the same noise on every device.

        Returns:
            A tensor of shape ``(n, latent_dim)`` on :attr:`device`.

        Example:
            >>> from pygan import MLPGenerator
            >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
            >>> a = g.sample_latent(3, generator=torch.Generator().manual_seed(0))
            >>> b = g.sample_latent(3, generator=torch.Generator().manual_seed(0))
            >>> a.shape, torch.equal(a, b)
            (torch.Size([3, 8]), True)
        """
        n = check_int("n", n, minimum=0)
        device = self.device if generator is None else generator.device
        return torch.randn(n, self.latent_dim, device=device, generator=generator).to(self.device)

    def sample_labels(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw the classes of ``n`` images to generate: the class prior, uniform here.

        The Trainer draws the generated images' labels here, and so do the samplers when no
        labels are asked for; a subclass may override it (with the training data's class
        frequencies, say). Drawn from ``generator`` on its device, then moved, as
        :meth:`sample_latent` does.

        Returns:
            ``int64`` labels of shape ``(n,)`` on :attr:`device`.

        Raises:
            ValueError: The generator is unconditional (``num_classes`` is 0).

        Example:
            >>> from pygan import MLPGenerator
            >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,), num_classes=3)
            >>> labels = g.sample_labels(1000, generator=torch.Generator().manual_seed(0))
            >>> labels.shape, sorted(labels.unique().tolist())
            (torch.Size([1000]), [0, 1, 2])
        """
        if not self.num_classes:
            raise ValueError(f"{type(self).__name__} is unconditional (num_classes=0): it has no classes to draw.")
        n = check_int("n", n, minimum=0)
        device = self.device if generator is None else generator.device
        return torch.randint(0, self.num_classes, (n,), device=device, generator=generator).to(self.device)

    @abc.abstractmethod
    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``z`` of shape ``(n, latent_dim)`` (and, for a conditional generator, ``(n,)``
        class labels) to images of shape ``(n, *output_shape)``."""

    @torch.no_grad()
    def sample(self, n: int, *, z: torch.Tensor | None = None, labels: Labels | None = None) -> torch.Tensor:
        """Generate ``n`` images in eval mode, without gradients, then restore the mode.

        Args:
            n: How many images.
            z: Latent vectors to use instead of fresh noise (shape ``(n, latent_dim)``).
            labels: For a conditional generator, the class of each image: an int for all, a
                sequence or a ``(n,)`` tensor; drawn by :meth:`sample_labels` when left out.

        Returns:
            Images of shape ``(n, *output_shape)`` in [-1, 1].

        Raises:
            ValueError: ``labels`` for an unconditional generator, a label outside
                ``[0, num_classes)``, or not ``n`` labels.

        Example:
            >>> from pygan import MLPGenerator
            >>> g = MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,), num_classes=10)
            >>> g.sample(4, labels=7).shape, g.sample(2, labels=[0, 9]).shape
            (torch.Size([4, 1, 4, 4]), torch.Size([2, 1, 4, 4]))
        """
        if labels is not None and not self.num_classes:
            raise ValueError(
                f"labels were given, but {type(self).__name__} is unconditional (num_classes=0) and "
                f"cannot make a chosen class: leave labels out, or train a conditional generator "
                f"(num_classes > 0)."
            )
        if z is None:
            z = self.sample_latent(n)
        if self.num_classes:
            labels = self.sample_labels(n) if labels is None else as_labels(labels, n, self.num_classes)
        was_training = self.training
        self.eval()
        try:
            return self(z) if labels is None else self(z, labels.to(self.device))  # type: ignore[union-attr]
        finally:
            self.train(was_training)


class Discriminator(nn.Module, metaclass=RecordsInitArgs):
    """Scores images: one raw logit per image (higher means "real").

    Subclass contract: call ``super().__init__(input_shape=...)`` and write :meth:`forward`
    returning logits of shape ``(n,)``, not probabilities. A discriminator with auxiliary
    outputs (a class or code head) declares them in :attr:`head_names` and returns them from
    ``forward(x, heads=True)``. A conditional discriminator passes ``num_classes`` and writes
    ``forward(x, labels)``: it is given each image's class (the real images' from the data,
    the generated ones' from :meth:`Generator.sample_labels`).

    Args:
        input_shape: Shape of one image, channels first, e.g. ``(1, 28, 28)``.
        num_classes: How many classes the labels it reads have; 0 (the default) for an
            unconditional discriminator, which is never given labels.

    Example:
        >>> class Tiny(Discriminator):
        ...     def __init__(self):
        ...         super().__init__(input_shape=(1, 4, 4))
        ...         self.net = torch.nn.Linear(16, 1)
        ...     def forward(self, x):
        ...         return self.net(x.flatten(1)).squeeze(1)
        >>> Tiny()(torch.zeros(5, 1, 4, 4)).shape
        torch.Size([5])
    """

    def __init__(self, input_shape: Sequence[int], num_classes: int = 0) -> None:
        super().__init__()
        self.input_shape = check_shape("input_shape", input_shape)
        self.num_classes = check_int("num_classes", num_classes, minimum=0)

    @property
    def device(self) -> torch.device:
        """The device the discriminator's weights are on."""
        return module_device(self)

    @property
    def config(self) -> dict:
        """The keyword arguments this discriminator was constructed with."""
        return init_args(self)

    @property
    def head_names(self) -> tuple[str, ...]:
        """The names of the discriminator's auxiliary heads; ``()`` (the default) for none.

        A head is an extra output computed from the same pass as the logits: InfoGAN's code
        head (``"code"``), ACGAN's class head (``"class"``), or any a subclass defines. A
        discriminator with heads lists them here and accepts ``forward(x, heads=True)``,
        returning ``(logits, {name: tensor})`` with one tensor per head, batch first. The
        Trainer asks for heads only when a :class:`~pygan.LossTerm` reads them
        (``needs_heads``), and checks the names when it is built; without heads it calls
        ``forward(x)``, so a discriminator without heads never sees the argument.
        :class:`~pygan.MLPDiscriminator` takes ``heads={"code": 10}``: a linear head of
        that size on its last hidden layer.
        """
        return ()

    @property
    def has_batch_statistics(self) -> bool:
        """Whether any layer mixes samples of a batch (batch norm, or a layer whose
        ``mixes_batch`` is true, such as the minibatch standard deviation): then real and
        generated images must go through separately rather than as one concatenated batch."""
        return any(
            isinstance(m, nn.modules.batchnorm._BatchNorm) or getattr(m, "mixes_batch", False) for m in self.modules()
        )

    @abc.abstractmethod
    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Map images of shape ``(n, *input_shape)`` (and, for a conditional discriminator,
        their ``(n,)`` class labels) to raw logits of shape ``(n,)``."""
