"""Regenerate every golden file in tests/reference/ (needs the ``parity`` extra: torch).

    python tests/reference/generate.py            # all
    python tests/reference/generate.py optim      # one group: optim, schedules, plateau, peers

Each group lives in its own ``gen_<group>.py`` module exposing ``main()``, writing
``<group>.json`` beside this file. Golden files are committed so the default test run
needs no torch.
"""

from __future__ import annotations

import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
GROUPS = ["optim", "schedules", "plateau", "peers"]


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    for group in argv or GROUPS:
        module = importlib.import_module(f"gen_{group}")
        module.main()
        print(f"wrote {group}")


if __name__ == "__main__":
    main(sys.argv[1:])
