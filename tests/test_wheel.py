"""The wheel users install: built from a copy of the source, it holds the package and its
``py.typed`` and nothing from tests/ or docs/, and installed into a fresh virtual environment
it imports and runs ``pygan list``.

pygan is not on PyPI, so a wheel built from the repository is how it travels. The build needs
no network (``--no-build-isolation``: the setuptools at hand builds it), and the fresh
environment borrows this one's packages (torch, ...) through a ``.pth`` file instead of
downloading them, so the test runs offline in ~20 s.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("pygan-*.whl")
    return built


def test_the_wheel_holds_the_package_and_py_typed_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "pygan/py.typed" in names
    assert "pygan/__init__.py" in names and "pygan/cli/__init__.py" in names
    packages = {n.split("/", 1)[0] for n in names}
    assert packages == {"pygan", next(p for p in packages if p.endswith(".dist-info"))}, packages
    assert not [n for n in names if n.startswith(("tests/", "docs/", "examples/", "benchmarks/"))]
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "pygan = pygan.cli:main" in entry_points


def test_the_wheel_installs_imports_and_lists(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True).strip())
    # torch and the other dependencies come from this environment, appended after the
    # fresh one's own site-packages: the pygan imported is the wheel's.
    borrowed = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()}
    (purelib / "borrowed.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        env=clean,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    imported = subprocess.run(
        [str(python), "-c", "import pygan, pathlib; print(pathlib.Path(pygan.__file__).parent); print(pygan.__version__)"],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    location, version = imported.stdout.split()
    assert Path(location) == purelib / "pygan" and (Path(location) / "py.typed").is_file()
    assert wheel.name.startswith(f"pygan-{version}-")
    script = python.parent / ("pygan.exe" if os.name == "nt" else "pygan")
    listed = subprocess.run(
        [str(script), "list"],
        capture_output=True,
        text=True,
        env={**clean, "PYGAN_DISABLE_PLUGIN_AUTOLOAD": "1"},
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "non_saturating" in listed.stdout and "checkpoint" in listed.stdout
