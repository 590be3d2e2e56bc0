"""Golden twin (no torch needed) of the live test of ``lrx.partition`` vs torch param groups.

tests/reference/partition_golden.json (``python tests/reference/gen_partition_golden.py``)
holds torch optimizers whose two param groups carry their own options (learning rate,
momentum, nesterov, dampening, weight decay, betas, amsgrad) and the parameters after
every step; ``lrx.partition`` with one ``lrx.compat.torch`` preset per group (the group's
options over the optimizer's defaults, as torch merges them) must give the same numbers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.compat import torch as ltorch
from tests.reference import golden

GOLDEN = golden.load("partition_golden")
RTOL, ATOL = 1e-5, 1e-6


def _nest(flat: dict) -> dict:
    out: dict = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = jnp.asarray(np.asarray(value, np.float32))
    return out


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in tree.items():
        path = f"{prefix}{k}"
        out.update(_flat(v, path + "/") if isinstance(v, dict) else {path: np.asarray(v)})
    return out


def _preset(cls: str, options: dict) -> optax.GradientTransformation:
    kw = {k: tuple(v) if k == "betas" else v for k, v in options.items()}
    return getattr(ltorch, cls.lower())(**kw)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["id"])
def test_partition_equals_torch_param_groups_golden(case):
    groups = {
        name: _preset(case["cls"], {**case["defaults"], **opts})
        for name, opts in case["groups"].items()
    }
    tx = lrx.partition(groups, patterns={f"{name}/**": name for name in groups})
    params = _nest(GOLDEN["inputs"]["params"])
    state = tx.init(params)

    @jax.jit
    def step(g, state, p):
        u, state = tx.update(g, state, p)
        return optax.apply_updates(p, u), state

    start = _flat(params)
    for g, want in zip(GOLDEN["inputs"]["grads"], case["params"], strict=True):
        params, state = step(_nest(g), state, params)
        got = _flat(params)
        assert sorted(got) == sorted(want)
        for k in got:
            np.testing.assert_allclose(got[k], np.asarray(want[k]), rtol=RTOL, atol=ATOL, err_msg=k)
    # both groups moved far beyond the tolerance: the comparison can fail
    for name in case["groups"]:
        moved = max(
            np.max(np.abs(np.asarray(case["params"][-1][k]) - start[k]))
            for k in start
            if k.startswith(name + "/")
        )
        assert moved > 100 * ATOL, (name, moved)
