"""Parameter paths and glob patterns: how :func:`lrx.partition` names and matches leaves.

A parameter's path is its pytree key path joined with '/' (``"encoder/layer_0/kernel"``);
patterns are globs over those paths where ``*`` matches within one segment and ``**`` any
number of segments (``"vision/**"``, ``"**/bias"``).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import optax

from lrx._tree import is_variable

__all__ = ["glob_match", "param_paths"]


# -- paths -----------------------------------------------------------------------------------
def key_str(key: Any) -> str:
    for attr in ("key", "name", "idx"):  # DictKey / FlattenedIndexKey, GetAttrKey, SequenceKey
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def is_slot(x: Any) -> bool:
    """One parameter position: an array, an nnx Variable, or an empty slot (``None``, or the
    ``MaskedNode`` that ``optax.masked`` puts where a parameter is masked out)."""
    return x is None or isinstance(x, optax.MaskedNode) or is_variable(x)


def keyed(tree: Any) -> tuple[list[tuple[str, ...]], list[Any], Any]:
    """(key path of each slot as a tuple of segments, the slots, the treedef)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_slot)
    return [tuple(key_str(k) for k in path) for path, _ in leaves], [x for _, x in leaves], treedef


def flatten(tree: Any) -> tuple[list[str], Any]:
    """'/'-joined paths of the parameters of ``tree`` (an nnx Variable counts as one)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_variable)
    return ["/".join(key_str(k) for k in path) for path, _ in leaves], treedef


def param_paths(params: Any) -> list[str]:
    """The '/'-joined path of every parameter of ``params``, in leaf order.

    Path segments are dict keys, dataclass / flax struct attribute names and sequence
    indices; a ``flax.nnx.Variable`` counts as one parameter (its ``value`` attribute is not
    part of the path), so ``nnx.state(model, nnx.Param)`` and its pure-array form give the
    same paths. These are the strings the patterns of :func:`partition` are matched against.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> lrx.param_paths({"vision": {"w": jnp.ones(2)}, "heads": [jnp.ones(1), jnp.ones(1)]})
        ['heads/0', 'heads/1', 'vision/w']
    """
    return flatten(params)[0]


# -- glob matching ---------------------------------------------------------------------------
def segment_match(pattern: str, segment: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(segment, pattern)


@functools.lru_cache(maxsize=4096)
def glob_match(pattern: str, path: str) -> bool:
    """Whether the '/'-joined ``path`` matches the glob ``pattern``.

    ``*`` matches any characters within one segment (``?`` and ``[abc]`` as in
    :mod:`fnmatch`), a whole segment ``**`` matches any number of segments, zero included.

    Example:
        >>> from lrx.transforms.paths import glob_match
        >>> glob_match("vision/**", "vision/block_0/w"), glob_match("**/bias", "bias")
        (True, True)
        >>> glob_match("vision/*", "vision/block_0/w"), glob_match("vision", "vision/w")
        (False, False)
    """
    pat = pattern.split("/")
    seg = path.split("/")
    # Iterative dynamic programme (no recursion: a path may have thousands of segments).
    # row[j]: pattern segments pat[i:] match path segments seg[j:].
    row = [False] * len(seg) + [True]  # i == len(pat): only the empty rest matches
    for i in range(len(pat) - 1, -1, -1):
        new = [False] * (len(seg) + 1)
        for j in range(len(seg), -1, -1):
            if pat[i] == "**":
                new[j] = row[j] or (j < len(seg) and new[j + 1])
            else:
                new[j] = j < len(seg) and segment_match(pat[i], seg[j]) and row[j + 1]
        row = new
    return row[0]


def short(obj: Any, limit: int = 300) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"


def show_path(path: tuple[str, ...]) -> str:
    return "/".join(path) if path else "<root>"
