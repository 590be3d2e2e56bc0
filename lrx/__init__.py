"""lrx: everything about the learning rate, for JAX.

Adaptive per-parameter transforms (momentum, AdaGrad, RMSprop, Adam), learning-rate
schedules as first-class objects, plateau reduction, layer-wise learning rates and the
learning-rate range test, all as optax-compatible ``GradientTransformation`` pieces.

The public API is exactly what this module re-exports, in the groups of the README and of
the API reference (docs/api/): types, transforms, optimizers, introspection, schedules,
the learning-rate range test and plots.
"""

# 1. Types -------------------------------------------------------------------------------
from optax import GradientTransformation as GradientTransformation
from optax import GradientTransformationExtraArgs as GradientTransformationExtraArgs

from lrx import compat as compat

# 7. Plots (matplotlib imported lazily inside each function) -----------------------------
from lrx import plot as plot
from lrx._types import ScalarOrSchedule as ScalarOrSchedule

# 6. Learning-rate range test ------------------------------------------------------------
from lrx.finder import LRFinderResult as LRFinderResult
from lrx.finder import find_lr as find_lr

# 4. Introspection -----------------------------------------------------------------------
from lrx.introspect import learning_rate as learning_rate
from lrx.introspect import next_learning_rate as next_learning_rate

# 3. Optimizers --------------------------------------------------------------------------
from lrx.optimizers import adagrad as adagrad
from lrx.optimizers import adam as adam
from lrx.optimizers import adamw as adamw
from lrx.optimizers import rmsprop as rmsprop
from lrx.optimizers import sgd as sgd
from lrx.schedules._base import Schedule as Schedule
from lrx.schedules._base import schedule_from_config as schedule_from_config
from lrx.schedules.compose import from_fn as from_fn
from lrx.schedules.compose import per_epoch as per_epoch
from lrx.schedules.compose import sequence as sequence
from lrx.schedules.cosine import cosine_annealing as cosine_annealing
from lrx.schedules.cosine import cosine_warm_restarts as cosine_warm_restarts
from lrx.schedules.cyclic import cyclical as cyclical
from lrx.schedules.cyclic import one_cycle as one_cycle

# 5. Schedules ---------------------------------------------------------------------------
from lrx.schedules.decay import constant as constant
from lrx.schedules.decay import exponential_decay as exponential_decay
from lrx.schedules.decay import inverse_sqrt as inverse_sqrt
from lrx.schedules.decay import inverse_time_decay as inverse_time_decay
from lrx.schedules.decay import linear_schedule as linear_schedule
from lrx.schedules.decay import multistep_decay as multistep_decay
from lrx.schedules.decay import polynomial_decay as polynomial_decay
from lrx.schedules.decay import step_decay as step_decay
from lrx.schedules.noise import lr_noise as lr_noise
from lrx.schedules.tanh import tanh_decay as tanh_decay
from lrx.schedules.warmup import warmup as warmup
from lrx.schedules.warmup import warmup_cosine as warmup_cosine
from lrx.schedules.warmup import warmup_stable_decay as warmup_stable_decay
from lrx.transforms.adagrad import scale_by_adagrad as scale_by_adagrad
from lrx.transforms.adam import scale_by_adam as scale_by_adam
from lrx.transforms.guards import skip_nonfinite as skip_nonfinite
from lrx.transforms.learning_rate import scale_by_learning_rate as scale_by_learning_rate
from lrx.transforms.learning_rate import scale_by_schedule as scale_by_schedule
from lrx.transforms.misc import add_decayed_weights as add_decayed_weights
from lrx.transforms.misc import apply_updates as apply_updates
from lrx.transforms.misc import chain as chain
from lrx.transforms.misc import clip_by_global_norm as clip_by_global_norm

# 2. Transforms --------------------------------------------------------------------------
from lrx.transforms.momentum import scale_by_momentum as scale_by_momentum
from lrx.transforms.partition import layerwise_decay as layerwise_decay
from lrx.transforms.partition import param_paths as param_paths
from lrx.transforms.partition import partition as partition
from lrx.transforms.plateau import observe as observe
from lrx.transforms.plateau import reduce_on_plateau as reduce_on_plateau
from lrx.transforms.rms import scale_by_rms as scale_by_rms

# 0.3.0 in progress: names whose modules are being written are resolved lazily (PEP 562)
# until each lands and is re-exported explicitly above.
_LAZY = {
    **dict.fromkeys(["prodigy"], "lrx.lr_free.prodigy"),
    **dict.fromkeys(["dadapt_adam", "dadapt_sgd", "dadapt_adagrad"], "lrx.lr_free.dadapt"),
    **dict.fromkeys(["dog", "ldog"], "lrx.lr_free.dog"),
    **dict.fromkeys(["mechanize"], "lrx.lr_free.mechanic"),
    **dict.fromkeys(
        ["schedule_free", "schedule_free_sgd", "schedule_free_adamw", "schedule_free_eval_params"],
        "lrx.lr_free.schedule_free",
    ),
    **dict.fromkeys(["cocob"], "lrx.lr_free.cocob"),
    **dict.fromkeys(["momo", "momo_adam"], "lrx.lr_free.momo"),
    **dict.fromkeys(["scale_by_trust_ratio"], "lrx.transforms.trust_ratio"),
    **dict.fromkeys(["scale_by_factored_rms"], "lrx.transforms.factored"),
    **dict.fromkeys(["lars", "lamb", "adafactor"], "lrx.optimizers"),
    **dict.fromkeys(
        [
            "constant_schedule",
            "polynomial_schedule",
            "cosine_decay_schedule",
            "warmup_constant_schedule",
            "warmup_cosine_decay_schedule",
            "warmup_exponential_decay_schedule",
            "piecewise_constant_schedule",
            "piecewise_interpolate_schedule",
            "join_schedules",
            "sgdr_schedule",
            "cosine_onecycle_schedule",
            "linear_onecycle_schedule",
        ],
        "lrx.schedules.optax_names",
    ),
    **dict.fromkeys(["one_cycle_momentum", "cyclical_momentum"], "lrx.schedules.cyclic"),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lrx' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__version__ = "0.2.0"  # the one place the version is written (pyproject reads it)
