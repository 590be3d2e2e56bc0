"""Load committed golden values: ``load("optim")`` reads ``tests/reference/optim.json``."""

from __future__ import annotations

import functools
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


@functools.cache
def load(group: str) -> dict:
    with open(HERE / f"{group}.json") as f:
        return json.load(f)
