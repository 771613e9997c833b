"""Run configurations: a TOML file -> typed dataclasses -> a ready Trainer, data and callbacks.

Each part is a table with ``name = "..."`` (a registry name) plus its constructor arguments::

    [generator]
    name = "mlp"
    latent_dim = 64
    hidden = [256, 512, 1024]

    [discriminator]
    name = "mlp"
    dropout = 0.3

    [loss]                      # optional: non_saturating by default
    name = "non_saturating"

    [data]
    name = "mnist_5k"
    limit = 1000                # optional: a fixed random subset of at most 1000 images

    [optimizers.g]              # optional: Adam, lr 2e-4, betas (0.5, 0.999) by default
    name = "adam"               # any torch.optim class, lower case
    lr = 2e-4
    betas = [0.5, 0.999]

    [trainer]                   # any argument of Trainer and of Trainer.fit
    epochs = 30
    batch_size = 64
    seed = 0

    [[terms]]                   # optional: loss terms (GAN variants), one table each
    name = "gradient_penalty"
    weight = 10.0

    [[callbacks]]
    name = "label_smoothing"
    real = 0.9

Everything is checked when the config is read, before anything is built: an unknown section,
key or name, a missing argument or a value of the wrong type raises :class:`ConfigError`
naming the key path (``trainer.batch_size``), the value and what is allowed. Every section is
checked against the signature (and type hints) of what it builds, so plugins are checked the
same way, and a new Trainer argument is a ``[trainer]`` key without a change here.
``--set section.key=value`` overrides (:func:`apply_overrides`) go through the same checks.

:meth:`RunConfig.build` then creates the parts; values the type hints cannot express (a
positive width, a known precision) are checked by the constructors then. The generator's
``output_shape`` and the discriminator's ``input_shape`` default to the shape of the data's
images. Callback arguments that are paths (annotated ``os.PathLike``) are resolved inside the
run directory, and the callbacks a run directory needs (:data:`STANDARD_CALLBACKS`) are added
unless listed.
"""

from pygan.config._checking import ConfigError
from pygan.config._optimizers import OPTIMIZERS, OptimizerConfig, OptimizersConfig, default_optimizer
from pygan.config._parts import DataConfig, PartConfig
from pygan.config._run import STANDARD_CALLBACKS, Run, RunConfig, load_config
from pygan.config._toml import apply_overrides, parse_override, parse_value, read_toml
from pygan.config._trainer import TrainerConfig

__all__ = [
    "OPTIMIZERS",
    "STANDARD_CALLBACKS",
    "ConfigError",
    "DataConfig",
    "OptimizerConfig",
    "OptimizersConfig",
    "PartConfig",
    "Run",
    "RunConfig",
    "TrainerConfig",
    "apply_overrides",
    "default_optimizer",
    "load_config",
    "parse_override",
    "parse_value",
    "read_toml",
]

# Tracebacks, reprs and pickles name the public module, not the private one defining them.
for _obj in (ConfigError, OptimizerConfig, OptimizersConfig, DataConfig, PartConfig, Run, RunConfig, TrainerConfig):
    _obj.__module__ = __name__
del _obj
