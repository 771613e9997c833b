"""The parts of the Trainer: the training state, one step's updates, and the fit loop."""

from pygan.training.state import History, TrainingState

__all__ = ["History", "TrainingState"]
