"""``partition``: per-group (layer-wise) transforms, labelled by glob patterns or label trees.

Layer-wise learning rates (article 003 §2.3 and §4.3): the parameters
``θ = [θ_1, ..., θ_K]`` are split into ``K`` groups and group ``k`` is updated with its own
rate, ``θ_{k,t+1} = θ_{k,t} − η_k ∇J(θ_{k,t})``. Article 004 (its hands-on section) gives
the PyTorch form, different rates for the vision and text models::

    optim.SGD([{'params': vision, 'lr': 1e-2}, {'params': text, 'lr': 1e-3}],
              lr=1e-3, momentum=0.9)

lrx builds on :func:`optax.transforms.partition` (its state is optax's ``PartitionState``,
``inner_states`` a dict label -> state, read by :func:`lrx.learning_rate`); what lrx adds is
how labels are given: glob patterns over '/'-joined parameter paths (``patterns=``), or a
label tree matched by key paths, with errors that say what did not match.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from typing import Any

import jax
import optax
from optax.transforms import partition as _optax_partition

from lrx._tree import check_state, is_variable
from lrx.transforms.paths import flatten, glob_match, keyed, short, show_path

__all__ = ["partition"]

Labels = Any  # a pytree of labels, a callable params -> labels, or a Mapping pattern -> label


def _label_tree(labels: Any, params: Any) -> Any:
    """The label pytree ``labels`` stands for, shaped like ``params``; ``ValueError`` if not.

    ``labels`` has the params' structure or a prefix of it (as optax allows:
    ``{"vision": "v", "text": "t"}`` labels whole sub-trees). Structures are compared by
    key paths, segment by segment (a dict key containing '/' is one segment, never a path),
    so a plain dict of labels mirrors a ``FrozenDict`` or ``nnx.State`` of the same layout.
    Empty slots (``None``, optax's ``MaskedNode``) take the label at their position, or
    stay empty when ``labels`` has none there.
    """
    label_paths, label_leaves, _ = keyed(labels)
    by_path = dict(zip(label_paths, label_leaves, strict=True))
    paths, slots, treedef = keyed(params)
    resolved: list[Any] = []
    used: set[tuple[str, ...]] = set()
    missing: list[tuple[str, ...]] = []
    for path, slot in zip(paths, slots, strict=True):
        hits = [path[:i] for i in range(len(path), -1, -1) if path[:i] in by_path]
        if hits:
            used.add(hits[0])
            label = by_path[hits[0]]
            resolved.append(slot if slot is None else label)
        elif slot is None or isinstance(slot, optax.MaskedNode):
            # no parameter there and no label: the empty slot itself keeps the structure
            # (a None where params hold a MaskedNode is another node type to tree_map)
            resolved.append(slot)
        else:
            missing.append(path)
            resolved.append(None)
    extra = [p for p in label_paths if p not in used and by_path[p] is not None]
    if missing or extra:
        lines = [
            "partition: labels is a label tree but does not match the params' structure.",
        ]
        if missing:
            lines.append(f"parameters with no label ({len(missing)}):")
            lines += [f"  {show_path(p)}" for p in missing[:20]]
            lines += [f"  ... and {len(missing) - 20} more"] if len(missing) > 20 else []
        if extra:
            lines.append(f"labels at paths that are not parameters ({len(extra)}):")
            lines += [f"  {show_path(p)}" for p in extra[:20]]
        lines.append(f"labels passed: {short(labels)}")
        lines.append(
            "Give every parameter (or a sub-tree above it) a label, use a callable "
            "params -> labels, or pass glob patterns with patterns={...}."
        )
        raise ValueError("\n".join(lines))
    return treedef.unflatten(resolved)


def _resolve_patterns(patterns: Mapping[str, Hashable], params: Any) -> list[Hashable]:
    """The label of each parameter of ``params`` (leaf order): its first matching pattern's."""
    paths, _ = flatten(params)
    labels: list[Hashable] = []
    unmatched: list[str] = []
    for path in paths:
        for pattern, label in patterns.items():
            if glob_match(pattern, path):
                labels.append(label)
                break
        else:
            unmatched.append(path)
            labels.append(None)
    if unmatched:
        hints = sorted(
            {
                f"{p!r} matches whole paths only; use '{p}/**' for everything under it"
                for p in patterns
                if any(glob_match(p + "/**", path) for path in unmatched)
            }
        )
        raise ValueError(
            f"partition: no pattern matches {len(unmatched)} parameter path(s):\n"
            + "".join(f"  {path}\n" for path in unmatched)
            + f"patterns passed (first match wins): {short(dict(patterns))}\n"
            + "".join(f"hint: {h}\n" for h in hints)
            + "Add patterns for them, or '**' as the last pattern to catch the rest."
        )
    return labels


def _check_pattern_keys(patterns: Mapping[Any, Any]) -> None:
    bad = [k for k in patterns if not isinstance(k, str)]
    if bad:
        raise ValueError(f"patterns keys must be glob pattern strings, got {bad!r}")
    for pattern, label in patterns.items():
        try:
            hash(label)
        except TypeError:
            raise ValueError(
                f"patterns[{pattern!r}] must be a label (a key of transforms), got "
                f"{short(label)}: a pattern maps to one label"
            ) from None


def _check_known(used: Any, transforms: Mapping[Any, Any], where: str = "") -> None:
    missing = sorted({label for label in used if label not in transforms}, key=repr)
    if missing:
        raise ValueError(
            f"partition: label(s) {missing!r}{where} have no transform; transforms has "
            f"labels {sorted(transforms, key=repr)!r}"
        )


# -- partition -------------------------------------------------------------------------------
class PatternLabels:
    """``params -> label pytree`` from a pattern mapping, cached by tree structure."""

    def __init__(self, patterns: Mapping[str, Hashable], transforms: Mapping[Any, Any]):
        _check_pattern_keys(patterns)
        _check_known(patterns.values(), transforms)  # the labels are known now
        self.patterns = dict(patterns)
        self.transforms = transforms
        self._cache: dict[Any, list[Hashable]] = {}

    def __call__(self, params: Any) -> Any:
        leaves, treedef = jax.tree_util.tree_flatten(params, is_leaf=is_variable)
        del leaves
        try:
            cached = self._cache.get(treedef)
        except TypeError:  # an unhashable treedef (exotic node metadata): no cache
            cached = None
        if cached is None:
            cached = _resolve_patterns(self.patterns, params)
            _check_known(cached, self.transforms)
            try:
                self._cache[treedef] = cached
            except TypeError:
                pass
        return jax.tree_util.tree_unflatten(treedef, cached)


_GLOB = ("*", "?", "[")


def _looks_like_patterns(labels: Any) -> bool:
    """A mapping whose string keys use glob syntax: 0.1.0's positional pattern mapping."""
    return (
        isinstance(labels, Mapping)
        and bool(labels)
        and all(isinstance(k, str) for k in labels)
        and any(c in k for k in labels for c in _GLOB)
        and all(not isinstance(v, Mapping) for v in labels.values())
    )


class _Labels:
    """Label resolution for :func:`partition`: a label pytree or a callable."""

    def __init__(self, labels: Labels, transforms: Mapping[Any, Any]):
        self.labels = labels
        self.transforms = transforms
        self._is_fn = callable(labels) and not isinstance(labels, Mapping)
        if not self._is_fn:
            _check_known(jax.tree.leaves(labels), transforms)

    def __call__(self, params: Any) -> Any:
        if self._is_fn:
            labels = self.labels(params)
            _check_known(jax.tree.leaves(labels), self.transforms, " returned by labels(params)")
            return labels
        return _label_tree(self.labels, params)


def partition(
    transforms: Mapping[Any, optax.GradientTransformation],
    labels: Labels = None,
    *,
    patterns: Mapping[str, Hashable] | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Apply a different transform to each group of parameters (layer-wise learning rates).

    Formula (article 003 §4.3): with the parameters split into groups
    ``θ = [θ_1, ..., θ_K]``, group ``k`` follows its own transform, e.g.
    ``θ_{k,t+1} = θ_{k,t} − η_k ∇J(θ_{k,t})`` with a per-group rate ``η_k``. This is
    torch's ``param_groups`` (article 004), built on :func:`optax.transforms.partition`.

    Which group each parameter belongs to is given in exactly one of two ways, chosen
    explicitly (the meaning never depends on the params):

    * ``labels``: a pytree of labels with the params' structure or a prefix of it (as
      optax allows: ``{"vision": "v", "text": "t"}`` labels whole sub-trees), or a callable
      ``params -> labels``. Every label tree ``optax.transforms.partition`` accepts works:
      ``None`` slots, optax's ``MaskedNode`` (inside ``optax.masked``), a plain dict
      mirroring a ``FrozenDict`` or ``nnx.State``. Trees are compared key by key (a dict
      key containing '/' is one key, never a path). A parameter without a label raises
      ``ValueError`` naming it and showing the labels passed.
    * ``patterns=``: a mapping from glob patterns over '/'-joined parameter paths to
      labels, e.g. ``{"vision/**": "vision", "**/bias": "no_decay", "**": "rest"}``. The
      first matching pattern wins (mappings keep insertion order). ``*`` matches within one
      path segment, a whole segment ``**`` matches any number of segments (zero included);
      ``?`` and ``[...]`` as in :mod:`fnmatch`. A path joins dict keys, dataclass / flax
      struct attribute names and sequence indices with '/' (``params/Dense_0/kernel``); an
      ``nnx.Variable`` is one parameter. A parameter no pattern matches raises
      ``ValueError`` listing every unmatched path and the patterns passed.

    Deprecated: a glob pattern mapping passed as ``labels`` (0.1.0) still works, with a
    ``DeprecationWarning``; pass it as ``patterns=`` instead.

    Labels and patterns are resolved on the static tree structure when ``init``/``update``
    are traced (patterns cached per structure): nothing is added to the compiled step.

    Args:
        transforms: mapping label -> ``GradientTransformation`` (each may be an lrx or optax
            optimizer with its own learning rate or schedule). Labels used by parameters
            but missing here raise ``ValueError`` naming them (at construction for
            pattern / pytree labels, at ``init`` for a callable); unused entries are allowed
            and keep an empty state.
        labels: a label pytree or a callable, as above.
        patterns: glob patterns -> labels, as above (keyword only).

    Returns:
        A ``GradientTransformationExtraArgs`` (extra keyword arguments such as ``value=``
        for :func:`lrx.reduce_on_plateau` reach every group). Its state is optax's
        ``PartitionState`` whose ``inner_states`` maps each label to its group's state;
        :func:`lrx.learning_rate` reads it as a dict label -> learning rate.

    Raises:
        ValueError: for a parameter without a label, an unknown label, both or neither of
            ``labels`` and ``patterns``, or a pattern mapping with non-string keys.

    Example:
        Article 004's two learning rates, the vision model at 1e-2 and the text model at
        1e-3, both SGD with momentum 0.9:

        >>> import jax, jax.numpy as jnp, lrx
        >>> params = {"vision": {"w": jnp.ones(2)}, "text": {"w": jnp.ones(2)}}
        >>> tx = lrx.partition(
        ...     {"vision": lrx.sgd(1e-2, momentum=0.9), "text": lrx.sgd(1e-3, momentum=0.9)},
        ...     {"vision": "vision", "text": "text"})  # a label tree (a prefix of params)
        >>> state = tx.init(params)
        >>> updates, state = tx.update(jax.tree.map(jnp.ones_like, params), state, params)
        >>> updates["vision"]["w"].tolist()  # -1e-2 * g
        [-0.009999999776482582, -0.009999999776482582]
        >>> updates["text"]["w"].tolist()  # -1e-3 * g
        [-0.0010000000474974513, -0.0010000000474974513]
        >>> {k: v.item() for k, v in sorted(lrx.learning_rate(state).items())}
        {'text': 0.0010000000474974513, 'vision': 0.009999999776482582}

        The same with glob patterns:

        >>> tx = lrx.partition(
        ...     {"vision": lrx.sgd(1e-2), "text": lrx.sgd(1e-3)},
        ...     patterns={"vision/**": "vision", "**": "text"})
        >>> sorted(lrx.learning_rate(tx.init(params)))
        ['text', 'vision']
    """
    if not isinstance(transforms, Mapping):
        raise ValueError(
            f"transforms must be a mapping label -> GradientTransformation, got {transforms!r}"
        )
    if not transforms:
        raise ValueError("transforms must not be empty")
    for label, tx in transforms.items():
        if not isinstance(tx, optax.GradientTransformation):
            raise ValueError(f"transforms[{label!r}] must be a GradientTransformation, got {tx!r}")
    transforms = dict(transforms)
    if isinstance(labels, PatternLabels) and patterns is None:
        return _checked(_optax_partition(transforms, labels))  # layerwise_decay's resolver
    if (labels is None) == (patterns is None):
        raise ValueError(
            "partition: pass exactly one of labels (a label tree or a callable) and "
            f"patterns (glob pattern -> label), got labels={short(labels)} and "
            f"patterns={short(patterns)}"
        )
    if patterns is None and _looks_like_patterns(labels):
        warnings.warn(
            "partition(transforms, {glob: label}) is deprecated: a mapping passed as labels "
            "is a label tree; pass glob patterns as partition(transforms, patterns={...})",
            DeprecationWarning,
            stacklevel=2,
        )
        patterns, labels = labels, None
    if patterns is not None:
        if not isinstance(patterns, Mapping):
            raise ValueError(
                f"patterns must be a mapping glob pattern -> label, got {short(patterns)}"
            )
        resolver: Any = PatternLabels(patterns, transforms)
    else:
        resolver = _Labels(labels, transforms)
    return _checked(_optax_partition(transforms, resolver))


def _checked(tx: optax.GradientTransformationExtraArgs) -> optax.GradientTransformationExtraArgs:
    """``tx`` whose update rejects a state that is not a ``PartitionState`` (ValueError)."""

    def update_fn(updates: Any, state: Any, params: Any = None, **extra: Any) -> Any:
        check_state("partition", state, optax.transforms.PartitionState)
        return tx.update(updates, state, params, **extra)

    return optax.GradientTransformationExtraArgs(tx.init, update_fn)


# -- layer-wise learning-rate decay ----------------------------------------------------------
