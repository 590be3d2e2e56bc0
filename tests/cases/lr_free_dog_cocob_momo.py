"""Conformance and hyperparameter cases of DoG / L-DoG, COCOB and MoMo / MomoAdam.

MoMo and MomoAdam read the loss (``update(grads, state, params, value=loss)``). The suite
calls ``update(grads, state, params)``, so their cases wrap the factory: ``update`` gets
``value=0.5`` unless a ``value`` is passed (the suite's chain test passes ``value=0.5``
too, so both paths give the same numbers). None of these methods has a complex version by
its authors: their ``init`` raises ``ValueError`` on complex parameters (``NO_COMPLEX``).
"""

from __future__ import annotations

import functools
from typing import Any

import optax

import lrx

FIXED_LOSS = 0.5


def _with_loss(factory: Any) -> Any:
    """``factory`` whose ``update`` gets ``value=FIXED_LOSS`` when none is passed."""

    @functools.wraps(factory)
    def make(*args: Any, **kwargs: Any) -> optax.GradientTransformationExtraArgs:
        tx = factory(*args, **kwargs)

        def update(updates: Any, state: Any, params: Any = None, **extra: Any) -> Any:
            extra.setdefault("value", FIXED_LOSS)
            return tx.update(updates, state, params, **extra)

        return optax.GradientTransformationExtraArgs(tx.init, update)

    return make


momo = _with_loss(lrx.momo)
momo_adam = _with_loss(lrx.momo_adam)

CASES = [
    ("dog", lambda: lrx.dog()),
    ("dog_wd_init_eta", lambda: lrx.dog(weight_decay=1e-2, init_eta=1e-3)),
    ("ldog", lambda: lrx.ldog()),
    ("ldog_wd", lambda: lrx.ldog(weight_decay=1e-2, reps_rel=1e-4)),
    ("cocob", lambda: lrx.cocob()),
    ("cocob_wd", lambda: lrx.cocob(alpha=10.0, weight_decay=1e-2)),
    ("momo", lambda: momo()),
    ("momo_bc_fstar", lambda: momo(bias_correction=True, use_fstar=True)),
    ("momo_wd", lambda: momo(weight_decay=1e-2)),
    ("momo_adam", lambda: momo_adam()),
    ("momo_adam_adamw", lambda: momo_adam(weight_decay=1e-2, divide=False)),
    ("momo_adam_fstar", lambda: momo_adam(use_fstar=True)),
    ("momo_schedule", lambda: momo(learning_rate=lrx.step_decay(0.5, step_size=1, gamma=0.5))),
]

HYPER_CASES = [
    ("dog", lrx.dog, {"learning_rate": 0.5, "reps_rel": 1e-4, "weight_decay": 1e-2}, ()),
    ("dog_init_eta", lrx.dog, {"init_eta": 1e-2, "weight_decay": 1e-2}, ()),
    ("ldog", lrx.ldog, {"reps_rel": 1e-4, "weight_decay": 1e-2}, ()),
    ("cocob", lrx.cocob, {"alpha": 10.0, "eps": 1e-4, "weight_decay": 1e-2}, ()),
    (
        "momo",
        momo,
        {"learning_rate": 0.5, "beta": 0.8, "lb": 0.1, "weight_decay": 1e-2},
        ("bias_correction", "use_fstar"),
    ),
    (
        "momo_fstar",
        momo,
        {"weight_decay": 1e-2, "use_fstar": True, "bias_correction": True},
        ("bias_correction", "use_fstar"),
    ),
    (
        "momo_adam",
        momo_adam,
        {"learning_rate": 0.1, "b1": 0.8, "b2": 0.99, "eps": 1e-6, "weight_decay": 1e-2},
        ("divide", "use_fstar"),
    ),
]

NO_COMPLEX = {c[0] for c in CASES}
