"""Pure tensor maths under the loss classes: GAN losses on logits (the relativistic ones
included) and gradient penalties."""

from pygan.functional.losses import (
    bce_discriminator_loss,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from pygan.functional.penalty import gradient_penalty, r1_penalty
from pygan.functional.relativistic import (
    relativistic_average_discriminator_loss,
    relativistic_average_generator_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
)

__all__ = [
    "bce_discriminator_loss",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
    "r1_penalty",
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
