"""pygan: generative adversarial networks in PyTorch.

Small interfaces (:class:`Generator`, :class:`Discriminator`, :class:`GANLoss`,
:class:`Callback`), registries that plugins extend, a fast :class:`Trainer`, and checkpoints
that are safe to open.

Example:
    >>> import torch
    >>> from pygan import Trainer, GENERATORS, DISCRIMINATORS
    >>> g = GENERATORS.create("mlp", latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
    >>> d = DISCRIMINATORS.create("mlp", input_shape=(1, 4, 4), hidden=(16,))
    >>> history = Trainer(g, d, device="cpu", seed=0).fit(torch.rand(32, 1, 4, 4), epochs=1,
    ...                                                    batch_size=8)
    >>> g.sample(5).shape
    torch.Size([5, 1, 4, 4])
"""

from pygan._version import __version__
from pygan.callbacks import (
    EMA,
    Callback,
    Evaluation,
    CSVLogger,
    LabelSmoothing,
    LinearDecay,
    LossPlot,
    ModelCheckpoint,
    ProgressBar,
    SampleGrid,
    Targets,
    TensorBoardLogger,
    TimeLimit,
)
from pygan.checkpoint import CheckpointError, load_checkpoint, load_generator
from pygan.data import ImageDataset
from pygan.export import export_generator, load_exported_generator
from pygan.losses import (
    GANLoss,
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    RelativisticAverageLoss,
    RelativisticLoss,
    WassersteinLoss,
)
from pygan.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    Discriminator,
    Generator,
    MLPDiscriminator,
    MLPGenerator,
)
from pygan.registry import (
    CALLBACKS,
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    LOSSES,
    TERMS,
    Registry,
    UnknownNameError,
)
from pygan.terms import ACGANTerm, GradientPenalty, InfoTerm, LossTerm, R1Penalty, Step
from pygan.trainer import History, NonFiniteLossError, Trainer

__all__ = [
    "ACGANTerm",
    "CALLBACKS",
    "CSVLogger",
    "DATASETS",
    "DISCRIMINATORS",
    "EMA",
    "Evaluation",
    "GENERATORS",
    "LOSSES",
    "Callback",
    "CheckpointError",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "Discriminator",
    "GANLoss",
    "Generator",
    "GradientPenalty",
    "HingeLoss",
    "History",
    "ImageDataset",
    "InfoTerm",
    "LabelSmoothing",
    "LinearDecay",
    "LeastSquaresLoss",
    "LossPlot",
    "LossTerm",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinimaxLoss",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "NonSaturatingLoss",
    "ProgressBar",
    "R1Penalty",
    "Registry",
    "RelativisticAverageLoss",
    "RelativisticLoss",
    "SampleGrid",
    "Step",
    "TERMS",
    "Targets",
    "TensorBoardLogger",
    "TimeLimit",
    "Trainer",
    "UnknownNameError",
    "WassersteinLoss",
    "__version__",
    "export_generator",
    "load_checkpoint",
    "load_exported_generator",
    "load_generator",
]
