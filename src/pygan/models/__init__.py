"""Generator and discriminator interfaces and the built-in models (``mlp``, ``dcgan``)."""

from pygan.models.base import Discriminator, Generator
from pygan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from pygan.models.mlp import MLPDiscriminator, MLPGenerator

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "Discriminator",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
]
