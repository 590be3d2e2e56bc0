"""lrx.testing: check an optimizer against a formula, a reference or torch, step by step.

Build a :class:`Trajectory` of any ``GradientTransformation`` with :func:`trajectory` (or
of a torch optimizer with :func:`torch_trajectory`, or of a NumPy formula with
:func:`lrx.testing.reference.reference_trajectory`), compare two with
:func:`assert_trajectories_close` (the failure names the first step and leaf that differ
and tabulates the error per step), or let :func:`check_transform` do both under jit, no
jit and vmap on every backend. Imported on demand (``import lrx.testing``); it needs only
NumPy, JAX and optax (torch is imported by :func:`torch_trajectory` when called).
"""

from lrx.testing import reference as reference
from lrx.testing._assert import assert_trajectories_close as assert_trajectories_close
from lrx.testing._check import available_backends as available_backends
from lrx.testing._check import check_transform as check_transform
from lrx.testing._torch import torch_trajectory as torch_trajectory
from lrx.testing._trajectory import Trajectory as Trajectory
from lrx.testing._trajectory import trajectory as trajectory
from lrx.testing.reference import reference_trajectory as reference_trajectory

__all__ = [
    "Trajectory",
    "assert_trajectories_close",
    "available_backends",
    "check_transform",
    "reference",
    "reference_trajectory",
    "torch_trajectory",
    "trajectory",
]
