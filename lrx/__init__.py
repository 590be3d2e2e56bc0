"""lrx: everything about the learning rate, for JAX.

Adaptive per-parameter transforms (momentum, AdaGrad, RMSprop, Adam), learning-rate
schedules as first-class objects, plateau reduction, layer-wise learning rates and the
learning-rate range test, all as optax-compatible ``GradientTransformation`` pieces.

The public API is exactly ``__all__`` (what this module re-exports), in the groups of the API
reference (docs/api/): types, transforms and their states, optimizers, learning rates you don't
choose, introspection, schedules, the learning-rate range test and plots. The verification
kit ``lrx.testing`` is imported on demand.
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
from lrx.transforms.adagrad import ScaleByAdagradCountState as ScaleByAdagradCountState
from lrx.transforms.adagrad import ScaleByAdagradState as ScaleByAdagradState
from lrx.transforms.adagrad import scale_by_adagrad as scale_by_adagrad
from lrx.transforms.adam import ScaleByAdamState as ScaleByAdamState
from lrx.transforms.adam import ScaleByAmsgradState as ScaleByAmsgradState
from lrx.transforms.adam import scale_by_adam as scale_by_adam
from lrx.transforms.factored import ScaleByFactoredRmsState as ScaleByFactoredRmsState
from lrx.transforms.factored import scale_by_factored_rms as scale_by_factored_rms
from lrx.transforms.guards import SkipNonfiniteState as SkipNonfiniteState
from lrx.transforms.guards import skip_nonfinite as skip_nonfinite
from lrx.transforms.layerwise import layerwise_decay as layerwise_decay
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
from lrx.transforms.partition import partition as partition
from lrx.transforms.paths import param_paths as param_paths
from lrx.transforms.plateau import ReduceOnPlateauState as ReduceOnPlateauState
from lrx.transforms.plateau import observe as observe
from lrx.transforms.plateau import reduce_on_plateau as reduce_on_plateau
from lrx.transforms.rms import ScaleByRmsCenteredState as ScaleByRmsCenteredState
from lrx.transforms.rms import ScaleByRmsState as ScaleByRmsState
from lrx.transforms.rms import scale_by_rms as scale_by_rms
from lrx.transforms.trust_ratio import ScaleByTrustRatioState as ScaleByTrustRatioState
from lrx.transforms.trust_ratio import layer_learning_rates as layer_learning_rates
from lrx.transforms.trust_ratio import scale_by_trust_ratio as scale_by_trust_ratio
from lrx.transforms.trust_ratio import trust_ratios as trust_ratios

# isort: split
# 3. Optimizers ------------------------------------------------------------------------
from lrx import compat as compat
from lrx.optimizers import adafactor as adafactor
from lrx.optimizers import adagrad as adagrad
from lrx.optimizers import adam as adam
from lrx.optimizers import adamw as adamw
from lrx.optimizers import lamb as lamb
from lrx.optimizers import lars as lars
from lrx.optimizers import rmsprop as rmsprop
from lrx.optimizers import sgd as sgd

# isort: split
# 4. Learning rates you don't choose ---------------------------------------------------
from lrx.lr_free import CocobState as CocobState
from lrx.lr_free import DAdaptAdaGradState as DAdaptAdaGradState
from lrx.lr_free import DAdaptAdamState as DAdaptAdamState
from lrx.lr_free import DAdaptSGDState as DAdaptSGDState
from lrx.lr_free import DoGState as DoGState
from lrx.lr_free import LDoGState as LDoGState
from lrx.lr_free import MechanicState as MechanicState
from lrx.lr_free import MomoAdamState as MomoAdamState
from lrx.lr_free import MomoState as MomoState
from lrx.lr_free import ProdigyState as ProdigyState
from lrx.lr_free import ScheduleFreeAdamWState as ScheduleFreeAdamWState
from lrx.lr_free import ScheduleFreeState as ScheduleFreeState
from lrx.lr_free import cocob as cocob
from lrx.lr_free import dadapt_adagrad as dadapt_adagrad
from lrx.lr_free import dadapt_adam as dadapt_adam
from lrx.lr_free import dadapt_sgd as dadapt_sgd
from lrx.lr_free import dog as dog
from lrx.lr_free import ldog as ldog
from lrx.lr_free import mechanize as mechanize
from lrx.lr_free import momo as momo
from lrx.lr_free import momo_adam as momo_adam
from lrx.lr_free import prodigy as prodigy
from lrx.lr_free import schedule_free as schedule_free
from lrx.lr_free import schedule_free_adamw as schedule_free_adamw
from lrx.lr_free import schedule_free_eval_params as schedule_free_eval_params
from lrx.lr_free import schedule_free_sgd as schedule_free_sgd

# isort: split
# 5. Introspection ---------------------------------------------------------------------
from lrx.introspect import learning_rate as learning_rate
from lrx.introspect import next_learning_rate as next_learning_rate

# isort: split
# 6. Schedules -------------------------------------------------------------------------
from lrx.schedules.compose import from_fn as from_fn
from lrx.schedules.compose import per_epoch as per_epoch
from lrx.schedules.compose import sequence as sequence
from lrx.schedules.cosine import cosine_annealing as cosine_annealing
from lrx.schedules.cosine import cosine_warm_restarts as cosine_warm_restarts
from lrx.schedules.cyclic import cyclical as cyclical
from lrx.schedules.cyclic import cyclical_momentum as cyclical_momentum
from lrx.schedules.cyclic import one_cycle as one_cycle
from lrx.schedules.cyclic import one_cycle_momentum as one_cycle_momentum
from lrx.schedules.decay import constant as constant
from lrx.schedules.decay import exponential_decay as exponential_decay
from lrx.schedules.decay import inverse_sqrt as inverse_sqrt
from lrx.schedules.decay import inverse_time_decay as inverse_time_decay
from lrx.schedules.decay import linear_schedule as linear_schedule
from lrx.schedules.decay import multistep_decay as multistep_decay
from lrx.schedules.decay import polynomial_decay as polynomial_decay
from lrx.schedules.decay import step_decay as step_decay
from lrx.schedules.noise import lr_noise as lr_noise
from lrx.schedules.optax_names import constant_schedule as constant_schedule
from lrx.schedules.optax_names import cosine_decay_schedule as cosine_decay_schedule
from lrx.schedules.optax_names import cosine_onecycle_schedule as cosine_onecycle_schedule
from lrx.schedules.optax_names import join_schedules as join_schedules
from lrx.schedules.optax_names import linear_onecycle_schedule as linear_onecycle_schedule
from lrx.schedules.optax_names import piecewise_constant_schedule as piecewise_constant_schedule
from lrx.schedules.optax_names import (
    piecewise_interpolate_schedule as piecewise_interpolate_schedule,
)
from lrx.schedules.optax_names import polynomial_schedule as polynomial_schedule
from lrx.schedules.optax_names import sgdr_schedule as sgdr_schedule
from lrx.schedules.optax_names import warmup_constant_schedule as warmup_constant_schedule
from lrx.schedules.optax_names import warmup_cosine_decay_schedule as warmup_cosine_decay_schedule
from lrx.schedules.optax_names import (
    warmup_exponential_decay_schedule as warmup_exponential_decay_schedule,
)
from lrx.schedules.tanh import tanh_decay as tanh_decay
from lrx.schedules.warmup import warmup as warmup
from lrx.schedules.warmup import warmup_cosine as warmup_cosine
from lrx.schedules.warmup import warmup_stable_decay as warmup_stable_decay

# isort: split
# 7. Learning-rate range test ----------------------------------------------------------
from lrx.finder import LRFinderResult as LRFinderResult
from lrx.finder import find_lr as find_lr

# isort: split
# 8. Plots (matplotlib imported lazily inside each function) ---------------------------
from lrx import plot as plot

# isort: split
__version__ = "0.3.0"

__all__ = [
    "CocobState",
    "DAdaptAdaGradState",
    "DAdaptAdamState",
    "DAdaptSGDState",
    "DoGState",
    "GradientTransformation",
    "GradientTransformationExtraArgs",
    "LDoGState",
    "LRFinderResult",
    "MechanicState",
    "MomoAdamState",
    "MomoState",
    "ProdigyState",
    "ReduceOnPlateauState",
    "ScalarOrSchedule",
    "ScaleByAdagradCountState",
    "ScaleByAdagradState",
    "ScaleByAdamState",
    "ScaleByAmsgradState",
    "ScaleByFactoredRmsState",
    "ScaleByLearningRateState",
    "ScaleByMomentumState",
    "ScaleByRmsCenteredState",
    "ScaleByRmsState",
    "ScaleByScheduleState",
    "ScaleByTrustRatioState",
    "Schedule",
    "ScheduleFreeAdamWState",
    "ScheduleFreeState",
    "SkipNonfiniteState",
    "adafactor",
    "adagrad",
    "adam",
    "adamw",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "clip_by_global_norm",
    "cocob",
    "compat",
    "constant",
    "constant_schedule",
    "cosine_annealing",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "cosine_warm_restarts",
    "cyclical",
    "cyclical_momentum",
    "dadapt_adagrad",
    "dadapt_adam",
    "dadapt_sgd",
    "dog",
    "exponential_decay",
    "find_lr",
    "from_fn",
    "inverse_sqrt",
    "inverse_time_decay",
    "join_schedules",
    "lamb",
    "lars",
    "layer_learning_rates",
    "layerwise_decay",
    "ldog",
    "learning_rate",
    "linear_onecycle_schedule",
    "linear_schedule",
    "lr_noise",
    "mechanize",
    "momo",
    "momo_adam",
    "multistep_decay",
    "next_learning_rate",
    "observe",
    "one_cycle",
    "one_cycle_momentum",
    "param_paths",
    "partition",
    "per_epoch",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "plot",
    "polynomial_decay",
    "polynomial_schedule",
    "prodigy",
    "reduce_on_plateau",
    "rmsprop",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_factored_rms",
    "scale_by_learning_rate",
    "scale_by_momentum",
    "scale_by_rms",
    "scale_by_schedule",
    "scale_by_trust_ratio",
    "schedule_free",
    "schedule_free_adamw",
    "schedule_free_eval_params",
    "schedule_free_sgd",
    "schedule_from_config",
    "sequence",
    "sgd",
    "sgdr_schedule",
    "skip_nonfinite",
    "step_decay",
    "tanh_decay",
    "trust_ratios",
    "warmup",
    "warmup_constant_schedule",
    "warmup_cosine",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
    "warmup_stable_decay",
]  # the one place the version is written (pyproject reads it)
