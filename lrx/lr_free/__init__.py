"""Learning rates you don't choose: methods that estimate their own step size.

Prodigy, D-Adaptation (Adam, SGD, AdaGrad), DoG / L-DoG, Mechanic, Schedule-Free, COCOB and
MoMo, each equal step for step to its authors' PyTorch package. The estimate (``d``, ``eta``,
``s``, ...) is a state field; :func:`lrx.learning_rate` reads the effective rate.
"""

from lrx.lr_free.cocob import CocobState as CocobState
from lrx.lr_free.cocob import cocob as cocob
from lrx.lr_free.dadapt import DAdaptAdaGradState as DAdaptAdaGradState
from lrx.lr_free.dadapt import DAdaptAdamState as DAdaptAdamState
from lrx.lr_free.dadapt import DAdaptSGDState as DAdaptSGDState
from lrx.lr_free.dadapt import dadapt_adagrad as dadapt_adagrad
from lrx.lr_free.dadapt import dadapt_adam as dadapt_adam
from lrx.lr_free.dadapt import dadapt_sgd as dadapt_sgd
from lrx.lr_free.dog import DoGState as DoGState
from lrx.lr_free.dog import LDoGState as LDoGState
from lrx.lr_free.dog import dog as dog
from lrx.lr_free.dog import ldog as ldog
from lrx.lr_free.mechanic import MechanicState as MechanicState
from lrx.lr_free.mechanic import mechanize as mechanize
from lrx.lr_free.momo import MomoAdamState as MomoAdamState
from lrx.lr_free.momo import MomoState as MomoState
from lrx.lr_free.momo import momo as momo
from lrx.lr_free.momo import momo_adam as momo_adam
from lrx.lr_free.prodigy import ProdigyState as ProdigyState
from lrx.lr_free.prodigy import prodigy as prodigy
from lrx.lr_free.schedule_free import ScheduleFreeAdamWState as ScheduleFreeAdamWState
from lrx.lr_free.schedule_free import ScheduleFreeState as ScheduleFreeState
from lrx.lr_free.schedule_free import schedule_free as schedule_free
from lrx.lr_free.schedule_free import schedule_free_adamw as schedule_free_adamw
from lrx.lr_free.schedule_free import schedule_free_eval_params as schedule_free_eval_params
from lrx.lr_free.schedule_free import schedule_free_sgd as schedule_free_sgd

__all__ = [
    "CocobState",
    "DAdaptAdaGradState",
    "DAdaptAdamState",
    "DAdaptSGDState",
    "DoGState",
    "LDoGState",
    "MechanicState",
    "MomoAdamState",
    "MomoState",
    "ProdigyState",
    "ScheduleFreeAdamWState",
    "ScheduleFreeState",
    "cocob",
    "dadapt_adagrad",
    "dadapt_adam",
    "dadapt_sgd",
    "dog",
    "ldog",
    "mechanize",
    "momo",
    "momo_adam",
    "prodigy",
    "schedule_free",
    "schedule_free_adamw",
    "schedule_free_eval_params",
    "schedule_free_sgd",
]
