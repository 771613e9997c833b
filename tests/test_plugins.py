"""Entry-point plugins, through a real distribution installed with pip (tests/plugin_dist)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


PLUGIN_SOURCE = Path(__file__).parent / "plugin_dist"


@pytest.fixture(scope="module")
def plugin_path(install_distribution) -> Path:
    return install_distribution(PLUGIN_SOURCE)


def test_plugins_are_not_imported_by_import_pygan(plugin_path: Path, run_python) -> None:
    """Nor the slow one (its module sleeps 0.5 s): the first lookup in its registry pays that."""
    code = """
import json, os, sys, time
import pygan
imported = [name for name in sys.modules if name.startswith("pygan_test_plugin")]
marker = os.environ.get("PYGAN_TEST_PLUGIN_IMPORTED")
started = time.perf_counter()
found = "slow" in pygan.CALLBACKS
first = time.perf_counter()
"counter" in pygan.CALLBACKS
print(json.dumps([imported, marker, found, first - started, time.perf_counter() - first]))
"""
    result = run_python(code, plugin_path)
    assert result.returncode == 0, result.stderr
    imported, marker, found, first_lookup, second_lookup = json.loads(result.stdout)
    assert imported == [] and marker is None
    assert found and first_lookup >= 0.5 > second_lookup  # paid once, on first use


def test_plugins_load_on_first_use_and_broken_ones_warn(plugin_path: Path, run_python) -> None:
    code = """
import json, warnings
import pygan
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    names = pygan.LOSSES.names()
print(json.dumps({
    "losses": names,
    "warnings": [str(w.message) for w in caught],
    "hinge": pygan.LOSSES.get("hinge").__module__,
    "source": pygan.LOSSES.plugin_source("doubled"),
    "generators": pygan.GENERATORS.names(),
    "callbacks": "counter" in pygan.CALLBACKS,
    "datasets": len(pygan.DATASETS.create("stripes", n=4)),
}))
"""
    result = run_python(code, plugin_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert "doubled" in out["losses"] and "broken" not in out["losses"]
    assert out["hinge"] == "pygan.losses.standard"  # the clashing plugin did not replace it
    assert out["source"] == "pygan_test_plugin.parts:DoubledLoss"
    assert "constant" in out["generators"] and out["callbacks"] and out["datasets"] == 4
    broken = [w for w in out["warnings"] if "'broken'" in w]
    clash = [w for w in out["warnings"] if "'hinge'" in w]
    assert broken and "pygan_test_plugin.broken:BrokenLoss" in broken[0] and "broken on purpose" in broken[0]
    assert clash and "already taken" in clash[0]


def test_disable_autoload(plugin_path: Path, run_python) -> None:
    result = run_python(
        "import pygan; print('doubled' in pygan.LOSSES, 'constant' in pygan.GENERATORS)",
        plugin_path,
        env={"PYGAN_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_train_and_checkpoint_with_plugin_parts(plugin_path: Path, tmp_path: Path, run_python) -> None:
    code = f"""
import torch, pygan
g = pygan.GENERATORS.create("constant")
d = pygan.DISCRIMINATORS.create("mean")
trainer = pygan.Trainer(g, d, loss="doubled", device="cpu", seed=0,
                        callbacks=[pygan.CALLBACKS.create("counter")])
trainer.fit(pygan.DATASETS.create("stripes"), epochs=2, batch_size=8)
trainer.save_checkpoint({str(tmp_path / "plugin.ckpt")!r})
print(trainer.callbacks[0].steps, tuple(pygan.load_generator({str(tmp_path / "plugin.ckpt")!r}).sample(3).shape))
"""
    result = run_python(code, plugin_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8 (3, 1, 8, 8)"

