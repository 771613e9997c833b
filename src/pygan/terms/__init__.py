"""Loss terms: GAN variants as weighted additions to a step's updates, and the built-in ones."""

from pygan.terms.acgan import ACGANTerm
from pygan.terms.base import LossTerm, Step
from pygan.terms.info import InfoTerm
from pygan.terms.penalties import GradientPenalty, R1Penalty

__all__ = ["ACGANTerm", "GradientPenalty", "InfoTerm", "LossTerm", "R1Penalty", "Step"]
