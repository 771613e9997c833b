"""One working part of each kind."""

import torch

import pygan


class DoubledLoss(pygan.NonSaturatingLoss):
    """The non-saturating loss, doubled."""

    def generator_loss(self, fake_logits):
        return 2 * super().generator_loss(fake_logits)


class ConstantGenerator(pygan.Generator):
    """A generator with one learnable image."""

    def __init__(self, latent_dim=4, output_shape=(1, 8, 8)):
        super().__init__(latent_dim=latent_dim, output_shape=output_shape)
        self.image = torch.nn.Parameter(torch.zeros(output_shape))

    def forward(self, z):
        return torch.tanh(self.image).expand(len(z), *self.output_shape) + 0 * z.sum()


class MeanDiscriminator(pygan.Discriminator):
    """A linear discriminator."""

    def __init__(self, input_shape=(1, 8, 8)):
        super().__init__(input_shape=input_shape)
        self.linear = torch.nn.Linear(int(torch.tensor(input_shape).prod()), 1)

    def forward(self, x):
        return self.linear(x.flatten(1)).squeeze(1)


class StepCounter(pygan.Callback):
    """Counts steps."""

    def __init__(self):
        self.steps = 0

    def on_batch_end(self, trainer, logs):
        self.steps += 1


def stripes(n=32):
    """Striped 8x8 images."""
    images = torch.zeros(n, 1, 8, 8, dtype=torch.uint8)
    images[:, :, ::2] = 255
    return pygan.ImageDataset(images)
