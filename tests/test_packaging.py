"""Release hygiene: the README quick start runs, the version has one home, the wheel holds
only the library and the sdist holds what the tests need.

The wheel and sdist are built with setuptools' PEP 517 backend in a subprocess, from a copy
of the sources in a temporary directory (no network, nothing written to the checkout).
CI (.ci/run) also installs the wheel into a fresh environment and smoke-tests it there.
"""

import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

import numpy as np
import pytest

import lrx

ROOT = pathlib.Path(__file__).resolve().parent.parent
SMOKE = ROOT / ".ci" / "smoke.py"


def _smoke_module():
    spec = importlib.util.spec_from_file_location("lrx_ci_smoke", SMOKE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # 250 eager steps, as the README writes them: ~5-25 s
def test_readme_quick_start_runs_and_converges(capsys):
    """The block CI runs against the installed wheel (same extraction), run here too."""
    code = _smoke_module().readme_quick_start((ROOT / "README.md").read_text())
    assert "lrx.warmup_cosine" in code and "lrx.learning_rate(state)" in code
    namespace: dict = {}
    exec(compile(code, "README.md (quick start)", "exec"), namespace)
    np.testing.assert_allclose(np.asarray(namespace["params"]["w"]), [1.0, -2.0, 3.0], atol=0.05)
    assert "warmup_cosine(peak_value=0.1" in capsys.readouterr().out


def test_version_is_defined_once():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lrx.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", lrx.__version__)
    assert pyproject["project"]["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]


def test_no_placeholder_urls():
    files = [ROOT / "pyproject.toml", ROOT / "mkdocs.yml", ROOT / "README.md"]
    files += sorted((ROOT / "docs").rglob("*.md"))
    hits = [str(f.relative_to(ROOT)) for f in files if "lrx-dev" in f.read_text()]
    assert not hits, f"placeholder project address in {hits}"


def _build(kind: str, tmp_path: pathlib.Path) -> pathlib.Path:
    """Build the wheel or sdist from a copy of the sources; return the archive's path."""
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("building needs setuptools >= 77 (SPDX license expression)")
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".*")
    src.mkdir()
    for name in ["pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "CHANGELOG.md"]:
        shutil.copy(ROOT / name, src / name)
    for name in ["conftest.py", "mkdocs.yml"]:
        shutil.copy(ROOT / name, src / name)
    for name in ["lrx", "tests", "examples", "docs"]:
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    out = tmp_path / "dist"
    hook = {"wheel": "build_wheel", "sdist": "build_sdist"}[kind]
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=src, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return out / res.stdout.strip().splitlines()[-1]


def test_wheel_holds_only_the_library(tmp_path):
    wheel = _build("wheel", tmp_path)
    assert wheel.name == f"lrx-{lrx.__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = f"lrx-{lrx.__version__}.dist-info/"
    outside = [n for n in names if not (n.startswith("lrx/") or n.startswith(dist_info))]
    assert not outside, outside
    assert "lrx/py.typed" in names and f"{dist_info}licenses/LICENSE" in names
    assert not [n for n in names if "conftest" in n or "/tests/" in n or "test_" in n]
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert f"Version: {lrx.__version__}" in metadata
    assert "Project-URL" not in metadata  # no address until the project has a real one


def test_sdist_holds_what_the_tests_need(tmp_path):
    sdist = _build("sdist", tmp_path)
    prefix = f"lrx-{lrx.__version__}/"
    names = {n.removeprefix(prefix) for n in tarfile.open(sdist).getnames()}
    needed = ["LICENSE", "README.md", "pyproject.toml", "conftest.py", "lrx/py.typed"]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("tests/**/*.py")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("tests/reference/*.json")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("examples/*.py")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("docs/api/*.md")]
    missing = sorted(n for n in needed if n not in names and "__pycache__" not in n)
    assert not missing, missing
