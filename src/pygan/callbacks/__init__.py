"""The :class:`Callback` interface and the built-in callbacks, one file each."""

from pygan.callbacks.base import Callback, Targets
from pygan.callbacks.checkpoint import ModelCheckpoint
from pygan.callbacks.label_smoothing import LabelSmoothing

__all__ = [
    "Callback",
    "LabelSmoothing",
    "ModelCheckpoint",
    "Targets",
]
