"""Pytree helpers: per-leaf maps returning several trees, and structure/state checks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from lrx._dtypes import check_floating

__all__ = [
    "check_state",
    "check_tree_match",
    "check_update",
    "is_variable",
    "tree_map_multi",
    "unwrap_variable",
]


def is_variable(x: Any) -> bool:
    """True for a ``flax.nnx.Variable`` (a parameter or ``nnx.Optimizer`` state leaf).

    Detected without importing flax: if ``flax.nnx`` was never imported, nothing is one.
    """
    nnx = sys.modules.get("flax.nnx")
    variable = getattr(nnx, "Variable", None) if nnx is not None else None
    return variable is not None and isinstance(x, variable)


def unwrap_variable(x: Any) -> Any:
    """The array inside a ``flax.nnx.Variable``; any other value unchanged."""
    return x.get_value() if is_variable(x) else x


def check_tree_match(name: str, updates: Any, reference: Any) -> None:
    """Raise ``ValueError`` unless ``updates`` has the structure and shapes of ``reference``.

    ``reference`` is a moment tree of the state made by ``init``. Structures and shapes are
    static, so this runs at trace time and costs nothing inside ``jit``.
    """
    u_def: Any  # jax's PyTreeDef is opaque to mypy
    u_leaves, u_def = jax.tree.flatten(updates)
    r_leaves, r_def = jax.tree.flatten(reference)
    if u_def != r_def:
        raise ValueError(
            f"{name}: the update tree does not match the state created by init "
            f"(init it with params of the same structure as the updates). "
            f"updates: {u_def}; state: {r_def}"
        )
    if all(jnp.shape(u) == jnp.shape(r) for u, r in zip(u_leaves, r_leaves, strict=True)):
        return  # the common case: no key paths built (they cost ~50 us per leaf)
    paths = jax.tree_util.tree_leaves_with_path(updates)
    for (path, u), r in zip(paths, r_leaves, strict=True):
        if jnp.shape(u) != jnp.shape(r):
            raise ValueError(
                f"{name}: the update at {jax.tree_util.keystr(path) or '<root>'} has shape "
                f"{jnp.shape(u)} but the state created by init has shape {jnp.shape(r)}"
            )


def tree_map_multi(
    fn: Callable[..., tuple[Any, ...]], n: int, tree: Any, *rest: Any
) -> tuple[Any, ...]:
    """Map ``fn`` (returning an ``n``-tuple) over the leaves of trees shaped like ``tree``.

    Returns ``n`` trees, each with the structure of ``tree``.
    """
    treedef: Any = jax.tree.structure(tree)  # PyTreeDef is opaque to mypy
    columns = [treedef.flatten_up_to(t) for t in (tree, *rest)]
    results = [fn(*xs) for xs in zip(*columns, strict=True)]
    return tuple(treedef.unflatten([r[i] for r in results]) for i in range(n))


def check_state(name: str, state: Any, expected: type | tuple[type, ...]) -> None:
    """Raise ``ValueError`` unless ``state`` is the state type ``init`` of ``name`` makes.

    Catches a state from another optimizer (or a checkpoint restored without a target)
    being passed to ``update``, which would otherwise fail with an ``AttributeError`` deep
    inside the math. Types are static: this costs nothing inside ``jit``.
    """
    if not isinstance(state, expected):
        types = expected if isinstance(expected, tuple) else (expected,)
        want = " or ".join(t.__name__ for t in types)
        raise ValueError(
            f"{name}: got a state of type {type(state).__name__}, expected {want}. Pass the "
            "state returned by this optimizer's init (a state made by another optimizer, or "
            "a checkpoint restored without this optimizer's state as target, does not fit)"
        )


def check_update(
    name: str, updates: Any, state: Any, expected: type | tuple[type, ...], moments: str
) -> None:
    """The checks an ``update`` of ``name`` starts with, in this order.

    :func:`check_state` (``state`` is what ``init`` makes), :func:`check_tree_match` (the
    updates have the structure and shapes of the state's tree ``state.<moments>``) and
    :func:`lrx._dtypes.check_floating` (every update leaf is floating or complex). The field
    is named, not passed, so that a foreign state fails the first check, not on the
    attribute. All three are static: nothing is traced.
    """
    check_state(name, state, expected)
    check_tree_match(name, updates, getattr(state, moments))
    check_floating(name, updates)
