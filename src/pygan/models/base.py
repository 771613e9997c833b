"""The two model interfaces: :class:`Generator` and :class:`Discriminator`.

A subclass writes ``forward`` and calls ``super().__init__`` with its shapes; everything else
(latent sampling, eval-mode sampling, the device) has a working default. The arguments a
model was built with are recorded, so a checkpoint can rebuild a registered model by name.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from pygan._init_args import RecordsInitArgs, init_args
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
    it and checkpoints can rebuild it.

    Args:
        latent_dim: Size of the noise vector ``z``.
        output_shape: Shape of one image, channels first, e.g. ``(1, 28, 28)``.

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

    def __init__(self, latent_dim: int, output_shape: Sequence[int]) -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim)
        self.output_shape = check_shape("output_shape", output_shape)

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

    @abc.abstractmethod
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map ``z`` of shape ``(n, latent_dim)`` to images of shape ``(n, *output_shape)``."""

    @torch.no_grad()
    def sample(self, n: int, *, z: torch.Tensor | None = None) -> torch.Tensor:
        """Generate ``n`` images in eval mode, without gradients, then restore the mode.

        Args:
            n: How many images.
            z: Latent vectors to use instead of fresh noise (shape ``(n, latent_dim)``).

        Returns:
            Images of shape ``(n, *output_shape)`` in [-1, 1].
        """
        if z is None:
            z = self.sample_latent(n)
        was_training = self.training
        self.eval()
        try:
            return self(z)
        finally:
            self.train(was_training)


class Discriminator(nn.Module, metaclass=RecordsInitArgs):
    """Scores images: one raw logit per image (higher means "real").

    Subclass contract: call ``super().__init__(input_shape=...)`` and write :meth:`forward`
    returning logits of shape ``(n,)``, not probabilities. A discriminator with auxiliary
    outputs (a class or code head) declares them in :attr:`head_names` and returns them from
    ``forward(x, heads=True)``.

    Args:
        input_shape: Shape of one image, channels first, e.g. ``(1, 28, 28)``.

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

    def __init__(self, input_shape: Sequence[int]) -> None:
        super().__init__()
        self.input_shape = check_shape("input_shape", input_shape)

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
        """Whether any layer mixes samples of a batch (batch norm): then real and generated
        images must go through separately rather than as one concatenated batch."""
        return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.modules())

    @abc.abstractmethod
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images of shape ``(n, *input_shape)`` to raw logits of shape ``(n,)``."""
