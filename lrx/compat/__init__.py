"""Compatibility presets that reproduce other libraries' optimizers number for number."""

from lrx.compat import hf as hf
from lrx.compat import torch as torch

__all__ = ["hf", "torch"]
