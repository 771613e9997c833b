"""examples/plugin: installed with pip, its generator and loss train by name through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from test_config import write_tiny_config

PLUGIN = Path(__file__).parent.parent / "examples" / "plugin"


@pytest.fixture(scope="module")
def plugin_path(install_distribution, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "pygan-example-plugin"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return install_distribution(source)  # a copy: building leaves no files in examples/


def test_the_plugin_parts_train_sample_and_list_by_name(plugin_path: Path, tmp_path: Path, run_python) -> None:
    extra = """
[[callbacks]]
name = "label_smoothing"
real = 0.9

[loss]
name = "focal"
gamma = 2.0
"""
    config = write_tiny_config(tmp_path, extra)
    text = config.read_text().replace('name = "mlp"\nlatent_dim = 8\nhidden = [16]', 'name = "residual_mlp"\nlatent_dim = 8\nwidth = 16\nblocks = 1')
    config.write_text(text)
    run_dir = tmp_path / "run"
    commands = [
        ["list", "generators"],
        ["list", "losses"],
        ["train", str(config), "--out", str(run_dir), "--set", "trainer.epochs=1"],
        ["sample", str(run_dir / "checkpoints" / "last.ckpt"), "-n", "4", "-o", str(tmp_path / "s.pt")],
        ["train", str(config), "--out", str(tmp_path / "bad"), "--set", "generator.depth=3", "--dry-run"],
    ]
    code = f"""
import contextlib, io, json
from pygan.cli import main
results = []
for args in {commands!r}:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    results.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""
    result = run_python(code, plugin_path)
    assert result.returncode == 0, result.stderr
    (generators, losses, train, sample, bad) = json.loads(result.stdout)
    assert generators[0] == 0 and "[plugin pygan_example_plugin:ResidualMLPGenerator]" in generators[1]
    assert losses[0] == 0 and "focal" in losses[1] and "Focal binary cross-entropy" in losses[1]
    assert train[0] == 0, train[2]
    assert "training residual_mlp vs mlp (focal loss)" in train[2]
    assert sample[0] == 0 and "Wrote 4 images (1x8x8" in sample[1]
    assert bad[0] == 2 and "generator.depth: Unknown residual_mlp generator argument 'depth'" in bad[2]
    assert "Available: blocks, latent_dim, output_shape, width." in bad[2]
