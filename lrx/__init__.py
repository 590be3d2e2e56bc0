"""lrx: everything about the learning rate, for JAX.

Adaptive per-parameter transforms (momentum, AdaGrad, RMSprop, Adam), learning-rate
schedules as first-class objects, plateau reduction, layer-wise learning rates and the
learning-rate range test, all as optax-compatible ``GradientTransformation`` pieces.

The public API is exactly what this module re-exports, in the groups of the README and of
the API reference (docs/api/): types, transforms, optimizers, introspection, schedules,
the learning-rate range test and plots.
"""

# isort: split
# 1. Types -----------------------------------------------------------------------------
from optax import GradientTransformation as GradientTransformation
from optax import GradientTransformationExtraArgs as GradientTransformationExtraArgs

from lrx._types import ScalarOrSchedule as ScalarOrSchedule
from lrx.schedules._base import Schedule as Schedule
from lrx.schedules._base import schedule_from_config as schedule_from_config

# isort: split
# 2. Transforms (and their states) -----------------------------------------------------
from lrx.transforms.adagrad import ScaleByAdagradState as ScaleByAdagradState
from lrx.transforms.adagrad import scale_by_adagrad as scale_by_adagrad
from lrx.transforms.adam import ScaleByAdamState as ScaleByAdamState
from lrx.transforms.adam import ScaleByAmsgradState as ScaleByAmsgradState
from lrx.transforms.adam import scale_by_adam as scale_by_adam
from lrx.transforms.guards import SkipNonfiniteState as SkipNonfiniteState
from lrx.transforms.guards import skip_nonfinite as skip_nonfinite
from lrx.transforms.learning_rate import ScaleByLearningRateState as ScaleByLearningRateState
from lrx.transforms.learning_rate import ScaleByScheduleState as ScaleByScheduleState
from lrx.transforms.learning_rate import scale_by_learning_rate as scale_by_learning_rate
from lrx.transforms.learning_rate import scale_by_schedule as scale_by_schedule
from lrx.transforms.misc import add_decayed_weights as add_decayed_weights
from lrx.transforms.misc import apply_updates as apply_updates
from lrx.transforms.misc import chain as chain
from lrx.transforms.misc import clip_by_global_norm as clip_by_global_norm
from lrx.transforms.momentum import ScaleByMomentumState as ScaleByMomentumState
from lrx.transforms.momentum import scale_by_momentum as scale_by_momentum
from lrx.transforms.partition import layerwise_decay as layerwise_decay
from lrx.transforms.partition import param_paths as param_paths
from lrx.transforms.partition import partition as partition
from lrx.transforms.plateau import ReduceOnPlateauState as ReduceOnPlateauState
from lrx.transforms.plateau import observe as observe
from lrx.transforms.plateau import reduce_on_plateau as reduce_on_plateau
from lrx.transforms.rms import ScaleByRmsCenteredState as ScaleByRmsCenteredState
from lrx.transforms.rms import ScaleByRmsState as ScaleByRmsState
from lrx.transforms.rms import scale_by_rms as scale_by_rms

# isort: split
# 3. Optimizers ------------------------------------------------------------------------
from lrx import compat as compat
from lrx.optimizers import adagrad as adagrad
from lrx.optimizers import adam as adam
from lrx.optimizers import adamw as adamw
from lrx.optimizers import rmsprop as rmsprop
from lrx.optimizers import sgd as sgd

# isort: split
# 4. Introspection ---------------------------------------------------------------------
from lrx.introspect import learning_rate as learning_rate
from lrx.introspect import next_learning_rate as next_learning_rate

# isort: split
# 5. Schedules -------------------------------------------------------------------------
from lrx.schedules.compose import from_fn as from_fn
from lrx.schedules.compose import per_epoch as per_epoch
from lrx.schedules.compose import sequence as sequence
from lrx.schedules.cosine import cosine_annealing as cosine_annealing
from lrx.schedules.cosine import cosine_warm_restarts as cosine_warm_restarts
from lrx.schedules.cyclic import cyclical as cyclical
from lrx.schedules.cyclic import one_cycle as one_cycle
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

# isort: split
# 6. Learning-rate range test ----------------------------------------------------------
from lrx.finder import LRFinderResult as LRFinderResult
from lrx.finder import find_lr as find_lr

# isort: split
# 7. Plots (matplotlib imported lazily inside each function) ---------------------------
from lrx import plot as plot

# isort: split
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


__version__ = "0.2.0"

__all__ = [
    "GradientTransformation",
    "GradientTransformationExtraArgs",
    "LRFinderResult",
    "ReduceOnPlateauState",
    "ScalarOrSchedule",
    "ScaleByAdagradState",
    "ScaleByAdamState",
    "ScaleByAmsgradState",
    "ScaleByLearningRateState",
    "ScaleByMomentumState",
    "ScaleByRmsCenteredState",
    "ScaleByRmsState",
    "ScaleByScheduleState",
    "Schedule",
    "SkipNonfiniteState",
    "adagrad",
    "adam",
    "adamw",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "clip_by_global_norm",
    "compat",
    "constant",
    "cosine_annealing",
    "cosine_warm_restarts",
    "cyclical",
    "exponential_decay",
    "find_lr",
    "from_fn",
    "inverse_sqrt",
    "inverse_time_decay",
    "layerwise_decay",
    "learning_rate",
    "linear_schedule",
    "lr_noise",
    "multistep_decay",
    "next_learning_rate",
    "observe",
    "one_cycle",
    "param_paths",
    "partition",
    "per_epoch",
    "plot",
    "polynomial_decay",
    "reduce_on_plateau",
    "rmsprop",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_momentum",
    "scale_by_rms",
    "scale_by_schedule",
    "schedule_from_config",
    "sequence",
    "sgd",
    "skip_nonfinite",
    "step_decay",
    "tanh_decay",
    "warmup",
    "warmup_cosine",
    "warmup_stable_decay",
]  # the one place the version is written (pyproject reads it)
