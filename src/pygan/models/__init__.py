"""Generator and discriminator interfaces, the built-in models (``mlp``, ``dcgan``) and a layer
for your own discriminators (:class:`MinibatchStd`)."""

from pygan.models._layers import MinibatchStd
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
]
