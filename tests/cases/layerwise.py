"""Conformance and hyperparameter cases: LARS, LAMB, the trust ratio, Adafactor (optax's and
transformers') and the pieces they are chained from."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

import lrx
from lrx.compat import hf
from lrx.transforms.factored import clip_by_block_rms, scale_by_ema, scale_by_param_block_rms

MASK = {"w": True, "b": False}

CASES: list[tuple[str, Any]] = [
    ("scale_by_trust_ratio", lambda: lrx.scale_by_trust_ratio()),
    ("scale_by_trust_ratio_min_norm", lambda: lrx.scale_by_trust_ratio(0.1, 0.5, 1e-6)),
    ("scale_by_factored_rms", lambda: lrx.scale_by_factored_rms(min_dim_size_to_factor=2)),
    ("scale_by_factored_rms_unfactored", lambda: lrx.scale_by_factored_rms(factored=False)),
    ("clip_by_block_rms", lambda: clip_by_block_rms(0.5)),
    ("scale_by_param_block_rms", lambda: scale_by_param_block_rms()),
    ("scale_by_ema", lambda: scale_by_ema(0.9)),
    ("lars", lambda: lrx.lars(0.1, weight_decay=1e-3, trust_ratio_mask=MASK)),
    ("lars_nesterov", lambda: lrx.lars(0.1, trust_coefficient=0.01, nesterov=True)),
    ("lamb", lambda: lrx.lamb(1e-2, weight_decay=1e-2, mask=MASK)),
    ("adafactor", lambda: lrx.adafactor(1e-2, min_dim_size_to_factor=2)),
    (
        "adafactor_momentum_wd",
        lambda: lrx.adafactor(
            lrx.step_decay(1e-2, step_size=2), momentum=0.9, weight_decay_rate=1e-3
        ),
    ),
    ("adafactor_no_lr", lambda: lrx.adafactor()),
    ("hf_adafactor", lambda: hf.adafactor()),
    ("hf_adafactor_warmup_beta1", lambda: hf.adafactor(warmup_init=True, beta1=0.9)),
    (
        "hf_adafactor_lr_wd",
        lambda: hf.adafactor(lr=1e-2, relative_step=False, weight_decay=0.1),
    ),
]

HYPER_CASES: list[tuple[str, Any, dict[str, Any], tuple[str, ...]]] = [
    (
        "scale_by_trust_ratio",
        lrx.scale_by_trust_ratio,
        dict(min_norm=0.1, trust_coefficient=0.5, eps=1e-3),
        (),
    ),
    (
        "scale_by_factored_rms",
        lrx.scale_by_factored_rms,
        dict(decay_rate=0.7, step_offset=0, epsilon=1e-20, min_dim_size_to_factor=2),
        ("min_dim_size_to_factor", "decay_rate_fn"),
    ),
    (
        "lars",
        lrx.lars,
        dict(
            learning_rate=0.1,
            weight_decay=1e-2,
            trust_coefficient=0.01,
            eps=1e-6,
            momentum=0.8,
            weight_decay_mask=MASK,
        ),
        (),
    ),
    (
        "lamb",
        lrx.lamb,
        dict(learning_rate=1e-2, b1=0.8, b2=0.99, eps=1e-4, eps_root=1e-8, weight_decay=0.1),
        (),
    ),
    (
        "adafactor",
        lrx.adafactor,
        dict(
            learning_rate=1e-2,
            min_dim_size_to_factor=2,
            decay_rate=0.7,
            decay_offset=0,
            clipping_threshold=0.5,
            momentum=0.8,
            dtype_momentum=jnp.float32,
            weight_decay_rate=1e-3,
            eps=1e-20,
        ),
        ("min_dim_size_to_factor", "dtype_momentum"),
    ),
    (
        "hf_adafactor",
        hf.adafactor,
        dict(clip_threshold=0.5, decay_rate=-0.7, beta1=0.8, weight_decay=0.1),
        (),
    ),
    (
        "hf_adafactor_lr",
        hf.adafactor,
        dict(lr=1e-2, relative_step=False, weight_decay=0.1),
        (),
    ),
]
