"""A GAN variant as a plugin: consistency regularization (tests/variant_plugin_dist), a loss term
added through public extension points only, installed with pip and used from Python and from a
config, in fresh interpreters."""

from __future__ import annotations

import ast
import csv
import importlib
import importlib.util
import json
import math
from pathlib import Path

import pytest
from test_config import write_tiny_config

SOURCE = Path(__file__).parent / "variant_plugin_dist"
PACKAGE = SOURCE / "pygan_consistency"


@pytest.fixture(scope="module")
def plugin_path(install_distribution) -> Path:
    return install_distribution(SOURCE)


def run_json(run_python, code: str, plugin_path: Path) -> dict:
    result = run_python(code, plugin_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_found_lazily_by_name_and_trains(plugin_path: Path, run_python) -> None:
    code = """
import doctest, json, math, sys, torch
import pygan
imported_by_import_pygan = [m for m in sys.modules if m.startswith("pygan_consistency")]
term = pygan.TERMS.create("consistency", weight=10.0)
torch.manual_seed(0)
g = pygan.MLPGenerator(latent_dim=8, output_shape=(1, 8, 8), hidden=(16,))
d = pygan.MLPDiscriminator(input_shape=(1, 8, 8), hidden=(16,))
data = torch.rand(64, 1, 8, 8) * 2 - 1
history = pygan.Trainer(g, d, terms=[term], device="cpu", seed=0).fit(data, epochs=2, batch_size=16)
import pygan_consistency.augment, pygan_consistency.term
doctests = [doctest.testmod(m) for m in (pygan_consistency.augment, pygan_consistency.term)]
print(json.dumps({
    "imported_by_import_pygan": imported_by_import_pygan,
    "source": pygan.TERMS.plugin_source("consistency"),
    "class": f"{type(term).__module__}.{type(term).__qualname__}",
    "name": term.name,
    "config": term.config,
    "keys": sorted(history[-1]),
    "d_consistency": history["d_consistency"],
    "d_loss": history["d_loss"],
    "doctests": [[r.failed, r.attempted] for r in doctests],
}))
"""
    out = run_json(run_python, code, plugin_path)
    assert out["imported_by_import_pygan"] == []  # lazily: on the first lookup, not on import
    assert out["source"] == "pygan_consistency:ConsistencyTerm"
    assert out["class"] == "pygan_consistency.term.ConsistencyTerm"
    assert out["name"] == "consistency" and out["config"] == {"weight": 10.0}
    assert "d_consistency" in out["keys"] and "g_consistency" not in out["keys"]
    assert all(0 < value < 1e3 for value in out["d_consistency"])
    assert all(math.isfinite(loss) for loss in out["d_loss"])
    assert all(failed == 0 and attempted > 0 for failed, attempted in out["doctests"])


def test_term_compares_the_optimized_pass_with_one_over_augmented_images(plugin_path: Path, run_python) -> None:
    code = """
import json, torch
import pygan
from pygan_consistency import ConsistencyTerm, translate_and_flip
torch.manual_seed(0)
d = pygan.MLPDiscriminator(input_shape=(1, 8, 8), hidden=(16,), dropout=0.0)
real = torch.rand(12, 1, 8, 8) * 2 - 1
def step(real_logits):
    return pygan.Step("discriminator", real=real, fake=real, z=torch.zeros(12, 8), real_labels=None,
                      fake_labels=None, real_logits=real_logits, fake_logits=real_logits,
                      generator=None, discriminator=d, trainer=None)
given = d(real) + 1.0  # not D(x): the term must read D(x) from the step, not recompute it
torch.manual_seed(1)
value = ConsistencyTerm().discriminator_term(step(given))
torch.manual_seed(1)
augmented = d(translate_and_flip(real, 2, True))
expected = (given - augmented).pow(2).mean()
recomputed = (d(real) - augmented).pow(2).mean()  # what a term that ran D(x) again would give
value.backward()
identity = ConsistencyTerm(max_shift=0, flip=False).discriminator_term(step(d(real)))
print(json.dumps({
    "value": value.item(), "expected": expected.item(), "recomputed": recomputed.item(),
    "identity": identity.item(),
    "grads": all(p.grad.abs().sum() > 0 for p in d.parameters() if p.dim() > 1),  # weights, not the last bias
    "generator_term": ConsistencyTerm().generator_term(step(given)),
}))
"""
    out = run_json(run_python, code, plugin_path)
    assert out["value"] == pytest.approx(out["expected"], rel=1e-6)
    assert abs(out["value"] - out["recomputed"]) > 0.1  # D(x) came from the step
    assert out["identity"] == 0.0  # T = identity: the two passes agree exactly
    assert out["grads"] and out["generator_term"] is None


def test_augmentation_shifts_and_flips_within_bounds(plugin_path: Path, run_python) -> None:
    code = """
import json, torch
from pygan_consistency import translate_and_flip
images = torch.full((400, 1, 8, 8), -1.0)
images[:, :, 3, 2] = 1.0  # one bright pixel, off the vertical axis: a flip moves it
def where_bright(max_shift, flip):
    out = translate_and_flip(images, max_shift, flip, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert ((out == 1.0).flatten(1).sum(1) == 1).all()  # moved, never lost nor doubled
    return sorted(set(map(tuple, (out == 1.0).nonzero()[:, 2:].tolist())))
print(json.dumps([where_bright(2, False), where_bright(1, True), where_bright(0, True)]))
"""
    shifted, both, flipped = run_json(run_python, code, plugin_path)
    assert [tuple(p) for p in shifted] == [(r, c) for r in range(1, 6) for c in range(5)]  # each shift in -2..2
    assert [tuple(p) for p in flipped] == [(3, 2), (3, 5)]  # as it was, or mirrored
    assert [tuple(p) for p in both] == [(r, c) for r in (2, 3, 4) for c in (1, 2, 3, 4, 5, 6)]


def test_term_refuses_what_it_cannot_work_with(plugin_path: Path, run_python) -> None:
    code = """
import json, pygan
def error(make):
    try:
        make()
    except (TypeError, ValueError) as e:
        return str(e)
flat_g = pygan.MLPGenerator(latent_dim=8, output_shape=(64,), hidden=(16,))
flat_d = pygan.MLPDiscriminator(input_shape=(64,), hidden=(16,))
g = pygan.MLPGenerator(latent_dim=8, output_shape=(1, 2, 2), hidden=(16,))
d = pygan.MLPDiscriminator(input_shape=(1, 2, 2), hidden=(16,))
print(json.dumps([
    error(lambda: pygan.TERMS.create("consistency", max_shift=-1)),
    error(lambda: pygan.TERMS.create("consistency", weight=-1.0)),
    error(lambda: pygan.Trainer(flat_g, flat_d, terms=[pygan.TERMS.create("consistency")], device="cpu")),
    error(lambda: pygan.Trainer(g, d, terms=[pygan.TERMS.create("consistency")], device="cpu")),
]))
"""
    shift, weight, flat, small = run_json(run_python, code, plugin_path)
    assert "max_shift" in shift and "-1" in shift
    assert "weight" in weight and "-1" in weight
    assert "(64,)" in flat and "(channels, height, width)" in flat
    assert "max_shift=2" in small and "(1, 2, 2)" in small


def test_pygan_train_with_a_terms_table(plugin_path: Path, tmp_path: Path, run_python) -> None:
    """Needs ``[[terms]]`` in configs."""
    config = write_tiny_config(tmp_path, extra='\n[[terms]]\nname = "consistency"\nweight = 10.0\nmax_shift = 1\n')
    run_dir = tmp_path / "run"
    code = f"""
import sys
from pygan.cli import main
sys.exit(main(["train", {str(config)!r}, "--out", {str(run_dir)!r}]))
"""
    result = run_python(code, plugin_path)
    assert result.returncode == 0, result.stderr
    with (run_dir / "metrics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(float(row["d_consistency"]) > 0 for row in rows)
    assert 'name = "consistency"' in (run_dir / "config.toml").read_text()


# ----------------------------------------------------------------- public names only
def non_public_pygan_imports(source: str) -> tuple[int, list[str]]:
    """How many imports from pygan ``source`` makes, and those that reach past the public API:
    a module with a ``_private`` part, or a name that is not in its module's ``__all__`` (nor
    a public submodule)."""
    imports: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imports += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imports += [(node.module, alias.name) for alias in node.names]
    imports = [(module, name) for module, name in imports if module.split(".")[0] == "pygan"]
    problems = []
    for module, name in imports:
        if any(part.startswith("_") for part in module.split(".")):
            problems.append(f"{module}: a private module")
            continue
        exported = getattr(importlib.import_module(module), "__all__", ())
        submodule = not name.startswith("_") and importlib.util.find_spec(f"{module}.{name}") is not None if name else False
        if name is not None and name not in exported and not submodule:
            problems.append(f"{module}.{name}: not in {module}.__all__")
    return len(imports), problems


def test_the_plugin_uses_public_names_only() -> None:
    checked = 0
    for path in sorted(PACKAGE.glob("*.py")):
        count, problems = non_public_pygan_imports(path.read_text(encoding="utf-8"))
        assert not problems, f"{path.name} reaches past pygan's public API: {problems}"
        checked += count
    assert checked >= 1  # the check saw the plugin's imports from pygan


def test_the_public_names_check_catches_private_ones() -> None:
    source = """
import pygan
import pygan._distributed
from pygan import LossTerm, functional
from pygan._validation import check_int
from pygan.trainer import _fast_adam
from pygan import NotAName
from pygan_consistency.term import ConsistencyTerm
"""
    count, problems = non_public_pygan_imports(source)
    assert count == 7  # one per imported name
    assert problems == [
        "pygan._distributed: a private module",
        "pygan._validation: a private module",
        "pygan.trainer._fast_adam: not in pygan.trainer.__all__",
        "pygan.NotAName: not in pygan.__all__",
    ]
