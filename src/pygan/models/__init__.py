"""Generator and discriminator interfaces, the built-in models (``mlp``, ``dcgan``) and layers
for your own networks (:class:`MinibatchStd` for discriminators, :class:`UpsampleConv2d` for
generators)."""

from pygan.models._layers import MinibatchStd, UpsampleConv2d
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
    "MinibatchStd",
    "UpsampleConv2d",
]
