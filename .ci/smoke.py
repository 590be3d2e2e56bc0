"""Smoke test of an installed lrx wheel (run by .ci/run in a fresh virtual environment).

Run it from a directory outside the repository, so ``import lrx`` finds the installed
package and not the source tree:

    python .ci/smoke.py core README.md   # core install: import, README quick start, and the
                                        # demo's clear message without its extra
    python .ci/smoke.py demo            # with the demo extra: python -m lrx.demo --quick
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import pathlib
import re
import subprocess
import sys
import tempfile


def readme_quick_start(readme: str) -> str:
    """The first ```python block of README.md's "## Quick start" section."""
    section = readme.split("\n## Quick start", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    if match is None:
        raise SystemExit("README.md: no ```python block under '## Quick start'")
    return match.group(1)


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "lrx.demo", *args, "--out", out]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


def check_core(readme_path: str) -> None:
    import lrx

    where = pathlib.Path(lrx.__file__).resolve().parent
    assert "site-packages" in where.parts, f"lrx imported from {where}, not the installed wheel"
    assert lrx.__version__ == importlib.metadata.version("lrx"), lrx.__version__
    assert (where / "py.typed").is_file(), "py.typed missing from the wheel"
    assert not (where / "conftest.py").exists(), "the wheel ships a pytest conftest.py"
    dist = importlib.metadata.distribution("lrx")
    assert dist.metadata["License-Expression"] == "Apache-2.0", dist.metadata["License-Expression"]
    assert any(str(f).endswith("LICENSE") for f in dist.files or []), "LICENSE not in the wheel"
    print(f"import: lrx {lrx.__version__} from {where}")

    code = readme_quick_start(pathlib.Path(readme_path).read_text())
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(code, "README.md (quick start)", "exec"), {})
    printed = re.search(r"\[([^\]]*)\]", stdout.getvalue())  # params["w"], printed first
    w = [float(v) for v in printed.group(1).split()] if printed else []
    assert len(w) == 3, stdout.getvalue()
    assert max(abs(a - b) for a, b in zip(w, [1.0, -2.0, 3.0], strict=True)) < 0.05, w
    print("README quick start:", stdout.getvalue().strip()[:100])

    try:
        import flax  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("core check needs an environment without the demo extra (flax found)")
    res = demo("--quick")
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    assert "pip install 'lrx[demo]'" in res.stderr, res.stderr
    print("demo without its extra:", res.stderr.strip())


def check_demo() -> None:
    res = demo("--quick")
    assert res.returncode == 0, (res.returncode, res.stdout[-2000:], res.stderr[-2000:])
    print("python -m lrx.demo --quick:", res.stdout.strip().splitlines()[-1][:100])


if __name__ == "__main__":
    if sys.argv[1:2] == ["core"] and len(sys.argv) == 3:
        check_core(sys.argv[2])
    elif sys.argv[1:] == ["demo"]:
        check_demo()
    else:
        raise SystemExit(__doc__)
