"""The :class:`GANLoss` interface and the registered losses."""

from pygan.losses.base import GANLoss
from pygan.losses.relativistic import RelativisticAverageLoss, RelativisticLoss
from pygan.losses.standard import (
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    WassersteinLoss,
)

__all__ = [
    "GANLoss",
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "RelativisticAverageLoss",
    "RelativisticLoss",
    "WassersteinLoss",
]
