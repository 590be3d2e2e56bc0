"""Golden twin (no torch needed) of the live test of ReduceLROnPlateau with NaN/inf metrics.

tests/reference/plateau_golden.json (``python tests/reference/gen_plateau_golden.py``) holds
torch's learning rate, best and bad-epoch count after each ``scheduler.step(metric)`` for
random configs whose metrics hold NaN and +-inf; ``lrx.reduce_on_plateau`` must give the
same numbers epoch for epoch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrx
from tests.reference import golden
from tests.reference.gen_plateau import lrx_kwargs

GOLDEN = golden.load("plateau_golden")


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: f"seed{c['seed']}")
def test_nan_and_inf_metrics_golden(case):
    metrics = [float(m) for m in case["metrics"]]
    assert any(np.isnan(metrics)) and any(np.isinf(metrics))
    base_lr = GOLDEN["base_lr"]
    tx = lrx.reduce_on_plateau(**lrx_kwargs(base_lr, case["torch"]))
    state = tx.init(jnp.zeros(2))
    update = jax.jit(tx.update)
    lrs, best, bad = [], [], []
    for m in metrics:
        _, state = update(jnp.ones(2), state, value=jnp.float32(m))
        lrs.append(base_lr * float(state.scale))
        best.append(float(state.best))
        bad.append(int(state.num_bad_epochs))
    np.testing.assert_allclose(lrs, case["lr"], rtol=1e-5)
    np.testing.assert_allclose(best, case["best"], rtol=1e-6)
    assert bad == case["num_bad_epochs"]
    assert len(set(case["lr"])) > 2  # the rate changes: the comparison can fail
