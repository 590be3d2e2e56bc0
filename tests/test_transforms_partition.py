"""Tests for lrx.partition (glob labels) and lrx.layerwise_decay.

Reference: article 003 §4.3 ("层级自适应学习率的实现"): parameters split
into groups θ = [θ_1, ..., θ_K], group k updated with its own rate,
θ_{k,t+1} = θ_{k,t} − η_k ∇J(θ_{k,t}); article 004 ("实践操作"):
``optim.SGD([{'params': vision, 'lr': 1e-2}, {'params': text, 'lr': 1e-3}], lr=1e-3,
momentum=0.9)``.
"""

from __future__ import annotations

import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
import lrx.optimizers
from lrx.transforms.paths import glob_match, param_paths
from tests.grads import JIT, maybe_jit


def _sgd(lib: str, lr, momentum: float = 0.0):
    if lib == "optax":
        return optax.sgd(lr, momentum=momentum or None)
    return lrx.sgd(lr, momentum=momentum)


def _adam(lib: str, lr):
    if lib == "optax":
        return optax.adam(lr)
    return lrx.adam(lr)


def _params():
    return {
        "vision": {
            "block_0": {"kernel": jnp.arange(6.0).reshape(2, 3), "bias": jnp.ones(3)},
            "block_1": {"kernel": jnp.full((3, 2), 0.5, jnp.float32), "bias": jnp.zeros(2)},
        },
        "text": {"embed": jnp.linspace(-1.0, 1.0, 4), "bias": jnp.full(1, 2.0, jnp.float32)},
    }


def _grads(params, seed: int):
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    return treedef.unflatten(
        [jax.random.normal(k, x.shape, x.dtype) for k, x in zip(keys, leaves, strict=True)]
    )


def _tagging(labels):
    """One ``optax.scale(-(i + 1))`` per label: the update of a leaf reveals its label."""
    return {label: optax.scale(float(i + 1)) for i, label in enumerate(labels)}


def _labels_of(tx_labels, params, *, patterns=None):
    """The label each parameter got, read back through the updates of ``_tagging``."""
    names = sorted(set(jax.tree.leaves(tx_labels if patterns is None else patterns)))
    tx = lrx.partition(_tagging(names), tx_labels, patterns=patterns)
    ones = jax.tree.map(jnp.ones_like, params)
    updates, _ = tx.update(ones, tx.init(params), params)
    return {
        path: names[int(np.asarray(u).ravel()[0]) - 1]
        for path, u in zip(param_paths(params), jax.tree.leaves(updates), strict=True)
    }


# -- glob syntax --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("vision/**", "vision/block_0/kernel", True),
        ("vision/**", "vision", True),  # ** matches zero segments
        ("vision/**", "visionx/kernel", False),
        ("**/bias", "vision/block_0/bias", True),
        ("**/bias", "bias", True),
        ("**/bias", "vision/bias_1", False),
        ("**", "a", True),
        ("**", "a/b/c", True),
        ("vision/**/kernel", "vision/kernel", True),
        ("vision/**/kernel", "vision/block_0/sub/kernel", True),
        ("vision/**/kernel", "text/block_0/kernel", False),
        ("vision/*", "vision/block_0", True),
        ("vision/*", "vision/block_0/kernel", False),  # * stays within one segment
        ("*/bias", "text/bias", True),
        ("*/bias", "vision/block_0/bias", False),
        ("vision/block_*/kernel", "vision/block_12/kernel", True),
        ("vision/block_?/kernel", "vision/block_12/kernel", False),
        ("vision/block_[01]/bias", "vision/block_1/bias", True),
        ("text/bias", "text/bias", True),  # exact path
        ("text/bias", "text/bias/x", False),
        ("text", "text/bias", False),  # patterns match whole paths
    ],
)
def test_glob_match(pattern, path, expected):
    """Glob semantics of partition patterns: * within a segment, ** any segments."""
    assert glob_match(pattern, path) is expected


def test_param_paths_of_containers():
    """Dict keys, sequence indices and dataclass attributes join with '/'."""
    params = {"layers": [{"w": jnp.ones(1)}, (jnp.ones(1),)], "scale": optax.EmptyState()}
    state = optax.ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=jnp.ones(1), nu=jnp.ones(1))
    assert param_paths(params) == ["layers/0/w", "layers/1/0"]
    assert param_paths({"opt": state}) == ["opt/count", "opt/mu", "opt/nu"]


# -- label resolution ---------------------------------------------------------------------
def test_patterns_first_match_wins():
    """The first matching pattern in insertion order gives the label."""
    params = _params()
    labels = _labels_of(
        None,
        params,
        patterns={
            "vision/block_0/bias": "special",
            "**/bias": "bias",
            "vision/**": "vision",
            "**": "rest",
        },
    )
    assert labels == {
        "text/bias": "bias",
        "text/embed": "rest",
        "vision/block_0/bias": "special",
        "vision/block_0/kernel": "vision",
        "vision/block_1/bias": "bias",
        "vision/block_1/kernel": "vision",
    }
    # Reordering changes the winner.
    labels = _labels_of(
        None, params, patterns={"vision/**": "vision", "**/bias": "bias", "**": "rest"}
    )
    assert labels["vision/block_1/bias"] == "vision"
    assert labels["text/bias"] == "bias"


def test_pytree_labels_full_and_prefix():
    """A mapping with the params' structure (or a prefix of it) is a label pytree."""
    params = _params()
    full = jax.tree.map(lambda _: "b", params)
    full["text"]["embed"] = "a"
    got = _labels_of(full, params)
    assert got["text/embed"] == "a"
    assert {v for k, v in got.items() if k != "text/embed"} == {"b"}
    prefix = {"vision": "v", "text": "t"}
    got = _labels_of(prefix, params)
    assert got == {p: p.split("/")[0][0] for p in param_paths(params)}


def test_tuple_and_callable_labels():
    """Non-mapping pytrees and callables pass through to optax's partition."""
    params = (jnp.ones(2), {"w": jnp.ones(1)})
    tx = lrx.partition(_tagging(["a", "b"]), ("a", "b"))
    updates, _ = tx.update(params, tx.init(params))
    chex.assert_trees_all_close(updates, (jnp.full(2, 1.0), {"w": jnp.full(1, 2.0)}))

    calls = []

    def label_fn(p):
        calls.append(1)
        return jax.tree.map(lambda x: "a" if x.ndim == 1 and x.shape[0] == 2 else "b", p)

    tx = lrx.partition(_tagging(["a", "b"]), label_fn)
    updates, _ = tx.update(params, tx.init(params))
    chex.assert_trees_all_close(updates, (jnp.full(2, 1.0), {"w": jnp.full(1, 2.0)}))
    assert len(calls) == 2  # once for init, once for update


def test_unmatched_paths_listed():
    """Every parameter no pattern matches is listed in the ValueError, with a hint."""
    params = _params()
    tx = lrx.partition({"v": optax.sgd(1.0)}, patterns={"vision": "v", "**/kernel": "v"})
    with pytest.raises(ValueError, match="no pattern matches 4 parameter path") as err:
        tx.init(params)
    message = str(err.value)
    for path in ["vision/block_0/bias", "vision/block_1/bias", "text/embed", "text/bias"]:
        assert f"  {path}\n" in message
    assert "kernel\n" not in message.split("patterns")[0]  # matched paths are not listed
    assert "'vision/**'" in message  # the hint for a pattern that names a sub-tree
    # Under jit, and in update, the same error.
    with pytest.raises(ValueError, match="no pattern matches"):
        jax.jit(tx.init)(params)


def test_unknown_labels():
    """Labels with no transform raise ValueError naming them (eagerly when static)."""
    with pytest.raises(ValueError, match=re.escape("label(s) ['x'] have no transform")):
        lrx.partition({"v": optax.sgd(1.0)}, patterns={"vision/**": "v", "**": "x"})
    with pytest.raises(ValueError, match=re.escape("['x']")):
        lrx.partition({"v": optax.sgd(1.0)}, ("v", "x"))
    tx = lrx.partition({"v": optax.sgd(1.0)}, lambda p: jax.tree.map(lambda _: "y", p))
    with pytest.raises(ValueError, match=re.escape("label(s) ['y'] returned by labels(params)")):
        tx.init(_params())


def test_unused_transforms_allowed():
    """A transform no parameter uses is allowed and leaves updates alone."""
    params = _params()
    tx = lrx.partition(
        {"all": optax.scale(2.0), "unused": optax.scale(5.0)}, patterns={"**": "all"}
    )
    updates, _ = tx.update(params, tx.init(params))
    chex.assert_trees_all_close(updates, jax.tree.map(lambda x: 2 * x, params))


@pytest.mark.parametrize(
    ("transforms", "labels", "match"),
    [
        ([optax.sgd(1.0)], {"**": 0}, "transforms must be a mapping"),
        ({}, {"**": "a"}, "transforms must not be empty"),
        ({"a": "sgd"}, {"**": "a"}, re.escape("transforms['a'] must be a GradientTransformation")),
    ],
)
def test_bad_transforms(transforms, labels, match):
    with pytest.raises(ValueError, match=match):
        lrx.partition(transforms, patterns=labels)


def test_non_string_pattern_keys():
    with pytest.raises(ValueError, match="keys must be glob pattern strings"):
        lrx.partition({"a": optax.sgd(1.0)}, patterns={0: "a", 1: "a"})


# -- numbers: per-group transforms equal separate optimizers ------------------------------
@pytest.mark.parity
@pytest.mark.parametrize("lib", ["optax", "lrx"])
def test_article_004_vision_text_torch(lib):
    """Article 004's torch code with param groups, against lrx.partition (live torch)."""
    torch = pytest.importorskip("torch")
    params = _params()
    vision_names = ["vision/" + p for p in param_paths(params["vision"])]
    text_names = ["text/" + p for p in param_paths(params["text"])]
    flat = dict(zip(param_paths(params), jax.tree.leaves(params), strict=True))
    tp = {k: torch.tensor(np.asarray(v), requires_grad=True) for k, v in flat.items()}
    optim = torch.optim.SGD(
        [
            {"params": [tp[k] for k in vision_names], "lr": 1e-2},
            {"params": [tp[k] for k in text_names], "lr": 1e-3},
        ],
        lr=1e-3,
        momentum=0.9,
    )
    tx = lrx.partition(
        {"vision": _sgd(lib, 1e-2, momentum=0.9), "text": _sgd(lib, 1e-3, momentum=0.9)},
        patterns={"vision/**": "vision", "text/**": "text"},
    )
    state = tx.init(params)
    p = params
    for step in range(5):
        grads = _grads(params, 20 + step)
        flat_g = dict(zip(param_paths(grads), jax.tree.leaves(grads), strict=True))
        for k, t in tp.items():
            t.grad = torch.tensor(np.asarray(flat_g[k]))
        optim.step()
        updates, state = tx.update(grads, state, p)
        p = optax.apply_updates(p, updates)
    got = dict(zip(param_paths(p), jax.tree.leaves(p), strict=True))
    for k, t in tp.items():
        np.testing.assert_allclose(np.asarray(got[k]), t.detach().numpy(), rtol=1e-5, atol=1e-7)


# -- numbers with and without jit ---------------------------------------------------------


@JIT
@pytest.mark.parametrize("lib", ["optax", "lrx"])
def test_groups_equal_separate_optimizers(jit, lib):
    """Article 003 §4.3: group k follows its own transform; here Adam on vision, SGD on text."""
    # optax.adam's bias correction computes float ** int32, which the suite's strict
    # dtype promotion rejects: run the optax variant under standard promotion.
    promotion = "standard" if lib == "optax" else "strict"
    with jax.numpy_dtype_promotion(promotion):
        _check_groups_equal_separate_optimizers(jit, lib)


def _check_groups_equal_separate_optimizers(jit, lib):
    params = _params()
    tx = lrx.partition(
        {"vision": _adam(lib, 1e-2), "text": _sgd(lib, 1e-3, momentum=0.9)},
        patterns={"vision/**": "vision", "text/**": "text"},
    )
    vision_tx, text_tx = _adam(lib, 1e-2), _sgd(lib, 1e-3, momentum=0.9)
    init, update = maybe_jit(jit, tx.init), maybe_jit(jit, tx.update)
    state = init(params)
    p, v_state, t_state = params, vision_tx.init(params["vision"]), text_tx.init(params["text"])
    ref = params
    for step in range(4):
        grads = _grads(params, step)
        updates, state = update(grads, state, p)
        p = optax.apply_updates(p, updates)
        v_up, v_state = vision_tx.update(grads["vision"], v_state, ref["vision"])
        t_up, t_state = text_tx.update(grads["text"], t_state, ref["text"])
        ref = {
            "vision": optax.apply_updates(ref["vision"], v_up),
            "text": optax.apply_updates(ref["text"], t_up),
        }
        chex.assert_trees_all_close(p, ref, rtol=1e-6, atol=1e-7)
    # The Adam group really moved at Adam's scale (about lr per coordinate).
    moved = jax.tree.map(lambda a, b: jnp.max(jnp.abs(a - b)), p["vision"], params["vision"])
    assert all(0.02 < float(m) <= 0.04 + 1e-6 for m in jax.tree.leaves(moved))


@JIT
@pytest.mark.parametrize("lib", ["optax", "lrx"])
def test_article_004_vision_text_numpy(jit, lib):
    """Article 004 (实践操作): SGD momentum 0.9, vision lr 1e-2, text lr 1e-3.

    NumPy reference of torch's SGD with momentum: b_t = μ b_{t−1} + g_t (b_1 = g_1),
    θ_{t+1} = θ_t − lr_group · b_t.
    """
    params = _params()
    tx = lrx.partition(
        {"vision": _sgd(lib, 1e-2, momentum=0.9), "text": _sgd(lib, 1e-3, momentum=0.9)},
        patterns={"vision/**": "vision", "text/**": "text"},
    )
    init, update = maybe_jit(jit, tx.init), maybe_jit(jit, tx.update)
    state = init(params)
    p = params
    ref = jax.tree.map(lambda x: np.asarray(x, np.float64), params)
    buf = jax.tree.map(np.zeros_like, ref)
    group_lr = {"vision": 1e-2, "text": 1e-3}
    for step in range(3):
        grads = _grads(params, 10 + step)
        updates, state = update(grads, state, p)
        p = optax.apply_updates(p, updates)
        for group in ("vision", "text"):
            buf[group] = jax.tree.map(
                lambda b, g: 0.9 * b + np.asarray(g, np.float64), buf[group], grads[group]
            )
            ref[group] = jax.tree.map(
                lambda x, b, lr=group_lr[group]: x - lr * b, ref[group], buf[group]
            )
        chex.assert_trees_all_close(p, ref, rtol=1e-5, atol=1e-7)


@JIT
@pytest.mark.parametrize("lib", ["optax", "lrx"])
def test_layerwise_decay_rates(jit, lib):
    """LLRD: with n layers ordered bottom to top, layer k's SGD rate is lr · decay^(n−1−k)."""
    params = _params()
    lr, decay, n = 0.1, 0.5, len(_LAYERS)
    tx = lrx.layerwise_decay(lambda r: _sgd(lib, r), lr, decay, _LAYERS)
    grads = _grads(params, 3)
    updates, _ = maybe_jit(jit, tx.update)(grads, maybe_jit(jit, tx.init)(params), params)
    factor = {
        "vision/block_0": decay ** (n - 1),
        "vision/block_1": decay ** (n - 2),
        "text": 1.0,
    }
    for path, g, u in zip(
        param_paths(params), jax.tree.leaves(grads), jax.tree.leaves(updates), strict=True
    ):
        layer = path.rsplit("/", 1)[0]
        np.testing.assert_allclose(u, -lr * factor[layer] * np.asarray(g), rtol=1e-6)


@JIT
def test_layerwise_decay_schedule_and_learning_rate(jit):
    """A schedule is scaled per layer at every step; lrx.learning_rate reads each layer."""
    params = {"a": jnp.ones(2), "b": jnp.ones(2)}
    sched = lrx.step_decay(1.0, step_size=1, gamma=0.5)
    tx = lrx.layerwise_decay(lambda r: lrx.scale_by_learning_rate(r), sched, 0.1, ["a", "b"])
    state = maybe_jit(jit, tx.init)(params)
    update = maybe_jit(jit, tx.update)
    for t in range(3):
        updates, state = update(jax.tree.map(jnp.ones_like, params), state, params)
        np.testing.assert_allclose(updates["b"], -(0.5**t) * np.ones(2), rtol=1e-6)
        np.testing.assert_allclose(updates["a"], -0.1 * 0.5**t * np.ones(2), rtol=1e-6)
        lrs = lrx.learning_rate(state)
        np.testing.assert_allclose(lrs["layer_1"], 0.5**t, rtol=1e-6)
        np.testing.assert_allclose(lrs["layer_0"], 0.1 * 0.5**t, rtol=1e-6)
    assert sorted(lrs) == ["layer_0", "layer_1"]


def test_jit_traces_once_and_caches():
    """Pattern resolution happens at trace time: a second update does not retrace."""
    params = _params()
    tx = lrx.partition(
        {"v": optax.sgd(0.1), "t": optax.sgd(0.2)}, patterns={"vision/**": "v", "**": "t"}
    )

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    state = tx.init(params)
    p = params
    for seed in range(3):
        p, state = step(p, state, _grads(params, seed))
    assert set(state.inner_states) == {"v", "t"}


# -- Flax -------------------------------------------------------------------------------
def test_flax_linen_train_state():
    """lrx.partition inside flax.training.train_state.TrainState.apply_gradients."""
    nn = pytest.importorskip("flax.linen")
    from flax.training import train_state

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Dense(3, name="vision")(x)
            return nn.Dense(1, name="text")(x)

    model = Net()
    variables = model.init(jax.random.key(0), jnp.ones((1, 2)))
    assert param_paths(variables)[0] == "params/text/bias"
    tx = lrx.partition(
        {"vision": optax.sgd(1e-2), "text": optax.sgd(1e-3)},
        patterns={"params/vision/**": "vision", "params/text/**": "text"},
    )
    state = train_state.TrainState.create(apply_fn=model.apply, params=variables, tx=tx)
    grads = jax.tree.map(jnp.ones_like, variables)
    new = jax.jit(lambda s, g: s.apply_gradients(grads=g))(state, grads)
    delta = jax.tree.map(lambda a, b: a - b, state.params, new.params)
    expected = {
        "params": {
            "vision": jax.tree.map(lambda x: jnp.full_like(x, 1e-2), variables["params"]["vision"]),
            "text": jax.tree.map(lambda x: jnp.full_like(x, 1e-3), variables["params"]["text"]),
        }
    }
    chex.assert_trees_all_close(delta, expected, rtol=1e-4)


def test_flax_nnx_optimizer():
    """lrx.partition inside flax.nnx.Optimizer(model, tx, wrt=nnx.Param).

    nnx passes Variables to ``init`` and plain arrays to ``update``: both give the same
    paths. lrx.learning_rate reads the per-group rates from ``optimizer.opt_state``.
    """
    nnx = pytest.importorskip("flax.nnx")

    class Model(nnx.Module):
        def __init__(self, rngs):
            self.vision = nnx.Linear(2, 3, rngs=rngs)
            self.text = nnx.Linear(3, 1, rngs=rngs)

        def __call__(self, x):
            return self.text(self.vision(x))

    model = Model(nnx.Rngs(0))
    tx = lrx.partition(
        {
            "vision": lrx.scale_by_learning_rate(1e-2),
            "text": lrx.scale_by_learning_rate(lrx.step_decay(1e-3, step_size=1, gamma=0.5)),
        },
        patterns={"vision/**": "vision", "**/bias": "text", "text/kernel": "text"},
    )
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer, x):
        grads = nnx.grad(lambda m: jnp.sum(m(x)))(model)
        optimizer.update(model, grads)
        return grads

    before = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    grads = nnx.to_pure_dict(train_step(model, optimizer, jnp.ones((4, 2))))
    after = nnx.to_pure_dict(nnx.state(model, nnx.Param))
    expected = {
        "vision": jax.tree.map(lambda p, g: p - 1e-2 * g, before["vision"], grads["vision"]),
        "text": jax.tree.map(lambda p, g: p - 1e-3 * g, before["text"], grads["text"]),
    }
    chex.assert_trees_all_close(after, expected, rtol=1e-6)
    lrs = lrx.learning_rate(optimizer.opt_state)
    chex.assert_trees_all_close(lrs, {"vision": jnp.float32(1e-2), "text": jnp.float32(1e-3)})


def test_mapping_mirroring_nnx_state_is_label_pytree():
    """A plain dict with an nnx.State's layout labels it (structures compared by paths)."""
    nnx = pytest.importorskip("flax.nnx")
    state = nnx.state(nnx.Linear(1, 1, rngs=nnx.Rngs(0)), nnx.Param)
    labels = {"kernel": "a", "bias": "b"}
    tx = lrx.partition(_tagging(["a", "b"]), labels)
    pure = nnx.as_pure(state)
    updates, _ = tx.update(jax.tree.map(jnp.ones_like, pure), tx.init(state), pure)
    assert float(updates["kernel"][0, 0]) == 1.0
    assert float(updates["bias"][0]) == 2.0


# -- layerwise_decay ----------------------------------------------------------------------
_LAYERS = ["vision/block_0/**", "vision/block_1/**", "text/**"]


def test_layerwise_decay_default_and_multi_pattern_layers():
    """Unmatched params join the top (default), the bottom, or raise; a layer may list patterns."""
    params = {"embed": jnp.ones(1), "pos": jnp.ones(1), "block": jnp.ones(1), "head": jnp.ones(1)}
    ones = jax.tree.map(jnp.ones_like, params)

    def rates(tx):
        updates, _ = tx.update(ones, tx.init(params), params)
        return {k: -float(v[0]) for k, v in updates.items()}

    top = lrx.layerwise_decay(optax.sgd, 1.0, 0.5, [("embed", "pos"), "block"])
    assert rates(top) == {"embed": 0.5, "pos": 0.5, "block": 1.0, "head": 1.0}
    bottom = lrx.layerwise_decay(optax.sgd, 1.0, 0.5, [("embed", "pos"), "block"], default="bottom")
    assert rates(bottom) == {"embed": 0.5, "pos": 0.5, "block": 1.0, "head": 0.5}
    strict = lrx.layerwise_decay(optax.sgd, 1.0, 0.5, ["embed", "block"], default="error")
    with pytest.raises(ValueError, match=r"(?s)no pattern matches 2.*head.*pos"):
        strict.init(params)
    # A parameter matching several layers joins the first (lowest) one.
    overlap = lrx.layerwise_decay(optax.sgd, 1.0, 0.5, ["*", "block"])
    assert rates(overlap)["block"] == 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"decay": 0.0}, "decay must be > 0.0, got 0.0"),
        ({"decay": -0.5}, "decay must be > 0.0"),
        ({"decay": float("nan")}, "decay must be finite"),
        ({"layers": []}, "layers must be a non-empty sequence"),
        ({"layers": "a/**"}, "layers must be a non-empty sequence"),
        ({"layers": ["a", ()]}, re.escape("layers[1] must be a glob pattern")),
        ({"layers": ["a", 3]}, re.escape("layers[1] must be a glob pattern")),
        ({"default": "middle"}, "default must be one of"),
        ({"learning_rate": -1.0}, "learning_rate must be >= 0.0, got -1.0"),
        ({"optimizer": 3}, "optimizer must be a callable"),
    ],
)
def test_layerwise_decay_validation(kwargs, match):
    args = {"optimizer": optax.sgd, "learning_rate": 0.1, "decay": 0.9, "layers": ["a", "b"]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        lrx.layerwise_decay(**args)


# -- 0.2.0: labels and patterns chosen explicitly ---------------------------------------------
def _two_towers(head=False):
    params = {"vision": {"w": jnp.ones(2)}, "text": {"w": jnp.ones(2)}}
    if head:
        params["head"] = {"w": jnp.ones(1)}
    return params


def test_label_tree_with_a_new_parameter_names_it_and_the_labels():
    """0.1.0 read {"vision": "vision", "text": "text"} as patterns once a head was added."""
    tx = lrx.partition(_tagging(["vision", "text"]), {"vision": "vision", "text": "text"})
    tx.init(_two_towers())  # a prefix label tree
    with pytest.raises(ValueError) as err:
        tx.init(_two_towers(head=True))
    message = str(err.value)
    assert "label tree" in message and "  head/w\n" in message
    assert "labels passed: {'vision': 'vision', 'text': 'text'}" in message
    assert "no pattern" not in message


def test_pattern_error_names_the_paths_and_the_patterns():
    tx = lrx.partition(_tagging(["v"]), patterns={"vision/**": "v"})
    with pytest.raises(ValueError) as err:
        tx.init(_two_towers())
    message = str(err.value)
    assert "  text/w\n" in message and "{'vision/**': 'v'}" in message


def test_positional_pattern_mapping_is_deprecated_but_works():
    with pytest.warns(DeprecationWarning, match="patterns="):
        tx = lrx.partition(_tagging(["v", "t"]), {"vision/**": "v", "**": "t"})
    updates, _ = tx.update(_two_towers(), tx.init(_two_towers()))
    assert float(updates["vision"]["w"][0]) == 1.0 and float(updates["text"]["w"][0]) == 2.0


def test_labels_and_patterns_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of labels"):
        lrx.partition(_tagging(["a"]), {"a": "a"}, patterns={"**": "a"})
    with pytest.raises(ValueError, match="exactly one of labels"):
        lrx.partition(_tagging(["a"]))


def test_keys_containing_slash_are_keys_not_paths():
    """flatten_dict(sep="/") style labels: the key "a/b" is one key, never the path a/b."""
    params = {"a/b": jnp.ones(1), "a": {"b": jnp.ones(1)}}
    labels = {"a/b": "x", "a": {"b": "y"}}
    tx = lrx.partition(_tagging(["x", "y"]), labels)
    updates, _ = tx.update(params, tx.init(params))
    assert float(updates["a/b"][0]) == 1.0 and float(updates["a"]["b"][0]) == 2.0


def test_none_leaves_and_optax_masked():
    """Label trees optax's partition accepts: None slots, inside optax.masked."""
    params = {"x": {"w": jnp.ones(2), "b": None}, "y": jnp.ones(1)}
    labels = {"x": {"w": "a", "b": None}, "y": "b"}
    tx = lrx.partition(_tagging(["a", "b"]), labels)
    updates, _ = tx.update(params, tx.init(params))
    assert float(updates["x"]["w"][0]) == 1.0 and float(updates["y"][0]) == 2.0
    params = {"x": {"w": jnp.ones(2)}, "y": jnp.ones(1)}
    inner = lrx.partition(_tagging(["a", "b"]), {"x": {"w": "a"}, "y": "b"})
    masked = optax.masked(inner, {"x": {"w": True}, "y": False})
    updates, _ = masked.update(params, masked.init(params))
    assert float(updates["x"]["w"][0]) == 1.0 and float(updates["y"][0]) == 1.0  # y untouched
    reference = optax.masked(
        optax.partition(_tagging(["a", "b"]), {"x": {"w": "a"}, "y": "b"}),
        {"x": {"w": True}, "y": False},
    )
    chex.assert_trees_all_close(updates, reference.update(params, reference.init(params))[0])


def test_glob_on_a_very_deep_path_is_not_a_recursion_error():
    path = "/".join(f"s{i}" for i in range(900))
    assert glob_match("**/s899", path)
    assert glob_match("s0/**", path)
    assert not glob_match("**/nope/**", path)


def test_foreign_state_is_a_value_error():
    tx = lrx.partition(_tagging(["a"]), {"w": "a"})
    with pytest.raises(ValueError):
        tx.update({"w": jnp.ones(1)}, lrx.sgd(0.1).init({"w": jnp.ones(1)}))


@pytest.mark.parametrize("decay", [1e20, 1e39, float("inf")])
def test_layerwise_decay_rejects_rates_beyond_float32(decay):
    with pytest.raises(ValueError, match="decay"):
        lrx.layerwise_decay(lrx.sgd, 0.1, decay, ["a", "b", "c"])


def test_layerwise_decay_accepts_a_traced_decay():
    params = {"a": jnp.ones(1), "b": jnp.ones(1)}

    @jax.jit
    def first_updates(decay):
        tx = lrx.layerwise_decay(lrx.sgd, 1.0, decay, ["a", "b"])
        return tx.update(jax.tree.map(jnp.ones_like, params), tx.init(params), params)[0]

    updates = first_updates(jnp.float32(0.5))
    assert float(updates["a"][0]) == -0.5 and float(updates["b"][0]) == -1.0
    swept = jax.vmap(first_updates)(jnp.array([0.5, 0.25], jnp.float32))
    np.testing.assert_allclose(swept["a"][:, 0], [-0.5, -0.25])
