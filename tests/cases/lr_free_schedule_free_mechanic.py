"""Conformance and hyperparameter cases of Schedule-Free (SGD, AdamW, the wrapper) and Mechanic.

Schedule-Free AdamW and Mechanic have no complex version by their authors (AdamW's second
moment is ``g * g``, Mechanic's dot products are real): their ``init`` raises ``ValueError``
on complex parameters (``NO_COMPLEX``). Schedule-Free SGD and the wrapper are linear in the
parameters and take complex ones.
"""

from __future__ import annotations

import lrx

CASES = [
    ("schedule_free_sgd", lambda: lrx.schedule_free_sgd(0.1)),
    (
        "schedule_free_sgd_wd_warmup",
        lambda: lrx.schedule_free_sgd(0.1, weight_decay=1e-2, warmup_steps=2, r=0.5),
    ),
    ("schedule_free_adamw", lambda: lrx.schedule_free_adamw()),
    (
        "schedule_free_adamw_wd_warmup",
        lambda: lrx.schedule_free_adamw(
            1e-2, weight_decay=0.1, warmup_steps=2, weight_lr_power=1.0
        ),
    ),
    ("schedule_free_wrap_adam", lambda: lrx.schedule_free(lrx.adam(1e-2), learning_rate=1e-2)),
    (
        "schedule_free_wrap_sgd_schedule",
        lambda: lrx.schedule_free(
            lrx.sgd(lrx.step_decay(0.1, step_size=2)),
            learning_rate=lrx.step_decay(0.1, step_size=2),
            warmup_steps=2,
        ),
    ),
    ("mechanize_sgd", lambda: lrx.mechanize(lrx.sgd(0.1))),
    ("mechanize_adam", lambda: lrx.mechanize(lrx.adam(1e-2), s_decay=0.1, betas=(0.9, 0.99))),
]

HYPER_CASES = [
    (
        "schedule_free_sgd",
        lrx.schedule_free_sgd,
        dict(
            learning_rate=0.1, b1=0.8, weight_decay=0.01, warmup_steps=2, r=0.5, weight_lr_power=1.5
        ),
        (),
    ),
    (
        "schedule_free_adamw",
        lrx.schedule_free_adamw,
        dict(
            learning_rate=0.01,
            b1=0.8,
            b2=0.99,
            eps=1e-6,
            weight_decay=0.1,
            warmup_steps=2,
            r=0.5,
            weight_lr_power=1.5,
        ),
        (),
    ),
    (
        "schedule_free",
        lrx.schedule_free,
        dict(inner=lrx.sgd(0.1), learning_rate=0.1, b1=0.8, warmup_steps=2, r=0.5),
        ("inner",),
    ),
    (
        "mechanize",
        lrx.mechanize,
        dict(inner=lrx.adam(1e-2), s_decay=0.05, s_init=1e-6, eps=1e-6),
        ("inner",),
    ),
]

NO_COMPLEX = {
    "schedule_free_adamw",
    "schedule_free_adamw_wd_warmup",
    "mechanize_sgd",
    "mechanize_adam",
}
