"""Learning-rate schedules: frozen, hashable, serializable objects mapping a count to a rate.

Every public schedule function is re-exported here (and from ``lrx``).
"""

from lrx.schedules._base import Schedule as Schedule
from lrx.schedules._base import schedule_from_config as schedule_from_config
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

__all__ = [
    "Schedule",
    "constant",
    "constant_schedule",
    "cosine_annealing",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "cosine_warm_restarts",
    "cyclical",
    "cyclical_momentum",
    "exponential_decay",
    "from_fn",
    "inverse_sqrt",
    "inverse_time_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "lr_noise",
    "multistep_decay",
    "one_cycle",
    "one_cycle_momentum",
    "per_epoch",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_decay",
    "polynomial_schedule",
    "schedule_from_config",
    "sequence",
    "sgdr_schedule",
    "step_decay",
    "tanh_decay",
    "warmup",
    "warmup_constant_schedule",
    "warmup_cosine",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
    "warmup_stable_decay",
]
