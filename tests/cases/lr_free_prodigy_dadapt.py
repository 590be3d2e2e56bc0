"""Conformance and hyperparameter cases of Prodigy and D-Adaptation (Adam, SGD, AdaGrad).

Their authors define no complex version: ``init`` raises ``ValueError`` on complex
parameters (``NO_COMPLEX``). ``slice_p`` sets the shape of Prodigy's state, so it is a
static argument of the injected factory.
"""

from __future__ import annotations

from typing import Any

import lrx

CASES: list[tuple[str, Any]] = [
    ("prodigy", lambda: lrx.prodigy()),
    (
        "prodigy_bias_wd_slice",
        lambda: lrx.prodigy(0.5, weight_decay=0.01, use_bias_correction=True, slice_p=2),
    ),
    ("prodigy_l2_b1zero", lambda: lrx.prodigy(b1=0.0, weight_decay=0.01, decouple=False)),
    ("dadapt_adam", lambda: lrx.dadapt_adam()),
    (
        "dadapt_adamw_bias",
        lambda: lrx.dadapt_adam(weight_decay=0.01, decouple=True, use_bias_correction=True),
    ),
    ("dadapt_sgd", lambda: lrx.dadapt_sgd(momentum=0.9, weight_decay=0.01)),
    ("dadapt_adagrad", lambda: lrx.dadapt_adagrad(momentum=0.5, weight_decay=0.01)),
]

HYPER_CASES: list[tuple[str, Any, dict[str, Any], tuple[str, ...]]] = [
    (
        "prodigy",
        lrx.prodigy,
        dict(
            learning_rate=0.5,
            b1=0.8,
            b2=0.99,
            b3=0.95,
            eps=1e-6,
            weight_decay=0.01,
            d0=1e-5,
            d_coef=0.7,
            growth_rate=1.5,
            slice_p=2,
            use_bias_correction=True,
        ),
        ("slice_p",),
    ),
    (
        "prodigy_l2_safeguard",
        lrx.prodigy,
        dict(
            learning_rate=0.7, weight_decay=0.02, decouple=False, safeguard_warmup=True, d_coef=2.0
        ),
        ("slice_p",),
    ),
    (
        "dadapt_adam",
        lrx.dadapt_adam,
        dict(
            learning_rate=0.5,
            b1=0.8,
            b2=0.99,
            eps=1e-6,
            weight_decay=0.01,
            d0=1e-5,
            growth_rate=1.5,
            decouple=True,
            use_bias_correction=True,
        ),
        (),
    ),
    (
        "dadapt_sgd",
        lrx.dadapt_sgd,
        dict(learning_rate=0.5, momentum=0.5, weight_decay=0.01, d0=1e-5, growth_rate=1.5),
        (),
    ),
    (
        "dadapt_adagrad",
        lrx.dadapt_adagrad,
        dict(
            learning_rate=0.5, momentum=0.5, weight_decay=0.01, eps=1e-4, d0=1e-5, growth_rate=1.5
        ),
        (),
    ),
]

NO_COMPLEX = {
    "prodigy",
    "prodigy_bias_wd_slice",
    "prodigy_l2_b1zero",
    "dadapt_adam",
    "dadapt_adamw_bias",
    "dadapt_sgd",
    "dadapt_adagrad",
}
