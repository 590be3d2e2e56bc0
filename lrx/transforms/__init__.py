"""Gradient transformations: the adaptive transforms, the learning-rate step, plateau
reduction, partitions and layer-wise rates, guards and the small pieces around them.

Every public transform (and its state class) is re-exported here and from ``lrx``.
"""

from lrx.transforms.adagrad import ScaleByAdagradCountState as ScaleByAdagradCountState
from lrx.transforms.adagrad import ScaleByAdagradState as ScaleByAdagradState
from lrx.transforms.adagrad import scale_by_adagrad as scale_by_adagrad
from lrx.transforms.adam import ScaleByAdamState as ScaleByAdamState
from lrx.transforms.adam import ScaleByAmsgradState as ScaleByAmsgradState
from lrx.transforms.adam import scale_by_adam as scale_by_adam
from lrx.transforms.factored import ScaleByEmaState as ScaleByEmaState
from lrx.transforms.factored import ScaleByFactoredRmsState as ScaleByFactoredRmsState
from lrx.transforms.factored import clip_by_block_rms as clip_by_block_rms
from lrx.transforms.factored import decay_rate_pow as decay_rate_pow
from lrx.transforms.factored import factored_dims as factored_dims
from lrx.transforms.factored import flip_sign as flip_sign
from lrx.transforms.factored import scale_by_ema as scale_by_ema
from lrx.transforms.factored import scale_by_factored_rms as scale_by_factored_rms
from lrx.transforms.factored import scale_by_param_block_rms as scale_by_param_block_rms
from lrx.transforms.guards import SkipNonfiniteState as SkipNonfiniteState
from lrx.transforms.guards import skip_nonfinite as skip_nonfinite
from lrx.transforms.layerwise import layerwise_decay as layerwise_decay
from lrx.transforms.learning_rate import ScaleByLearningRateState as ScaleByLearningRateState
from lrx.transforms.learning_rate import ScaleByScheduleState as ScaleByScheduleState
from lrx.transforms.learning_rate import check_rate as check_rate
from lrx.transforms.learning_rate import scale_by_learning_rate as scale_by_learning_rate
from lrx.transforms.learning_rate import scale_by_schedule as scale_by_schedule
from lrx.transforms.misc import add_decayed_weights as add_decayed_weights
from lrx.transforms.misc import apply_updates as apply_updates
from lrx.transforms.misc import chain as chain
from lrx.transforms.misc import clip_by_global_norm as clip_by_global_norm
from lrx.transforms.momentum import ScaleByMomentumState as ScaleByMomentumState
from lrx.transforms.momentum import check_nesterov as check_nesterov
from lrx.transforms.momentum import scale_by_momentum as scale_by_momentum
from lrx.transforms.partition import partition as partition
from lrx.transforms.paths import glob_match as glob_match
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

__all__ = [
    "ReduceOnPlateauState",
    "ScaleByAdagradCountState",
    "ScaleByAdagradState",
    "ScaleByAdamState",
    "ScaleByAmsgradState",
    "ScaleByEmaState",
    "ScaleByFactoredRmsState",
    "ScaleByLearningRateState",
    "ScaleByMomentumState",
    "ScaleByRmsCenteredState",
    "ScaleByRmsState",
    "ScaleByScheduleState",
    "ScaleByTrustRatioState",
    "SkipNonfiniteState",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "check_nesterov",
    "check_rate",
    "clip_by_block_rms",
    "clip_by_global_norm",
    "decay_rate_pow",
    "factored_dims",
    "flip_sign",
    "glob_match",
    "layer_learning_rates",
    "layerwise_decay",
    "observe",
    "param_paths",
    "partition",
    "reduce_on_plateau",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_ema",
    "scale_by_factored_rms",
    "scale_by_learning_rate",
    "scale_by_momentum",
    "scale_by_param_block_rms",
    "scale_by_rms",
    "scale_by_schedule",
    "scale_by_trust_ratio",
    "skip_nonfinite",
    "trust_ratios",
]
