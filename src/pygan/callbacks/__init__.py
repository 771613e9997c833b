"""The :class:`Callback` interface and the built-in callbacks, one file each."""

from pygan.callbacks.base import (
    Callback,
    Targets,
    callback_keys,
    callback_states,
    load_callback_states,
)
from pygan.callbacks.checkpoint import ModelCheckpoint
from pygan.callbacks.csv_logger import CSVLogger
from pygan.callbacks.ema import EMA
from pygan.callbacks.evaluation import Evaluation
from pygan.callbacks.label_smoothing import LabelSmoothing
from pygan.callbacks.loss_plot import LossPlot
from pygan.callbacks.lr_decay import LinearDecay
from pygan.callbacks.progress_bar import ProgressBar
from pygan.callbacks.sample_grid import SampleGrid, write_gif
from pygan.callbacks.tensorboard import TensorBoardLogger
from pygan.callbacks.time_limit import TimeLimit

__all__ = [
    "CSVLogger",
    "Callback",
    "EMA",
    "Evaluation",
    "LabelSmoothing",
    "LinearDecay",
    "LossPlot",
    "ModelCheckpoint",
    "ProgressBar",
    "SampleGrid",
    "Targets",
    "TensorBoardLogger",
    "TimeLimit",
    "callback_keys",
    "callback_states",
    "load_callback_states",
    "write_gif",
]
