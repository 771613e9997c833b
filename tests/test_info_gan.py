"""The categorical latent code and InfoGAN's mutual-information term (``info_weight``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from pygan import MLPDiscriminator, MLPGenerator, Trainer, load_generator
from pygan.config import load_config
from test_config import write_tiny_config

SHAPE = (1, 8, 8)


def coded_pair(categories: int = 4, seed: int = 0) -> tuple[MLPGenerator, MLPDiscriminator]:
    torch.manual_seed(seed)
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(32,), code_categories=categories)
    d = MLPDiscriminator(SHAPE, hidden=(32,), dropout=0.0, code_categories=categories)
    return g, d


def code_accuracy(g: MLPGenerator, d: MLPDiscriminator, n: int = 2000) -> float:
    """How often D's code head names the code a generated image was made from."""
    z = g.sample_latent(n, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, code_logits = d(g.sample(n, z=z), with_code=True)
    return float((code_logits.argmax(1) == g.latent_code(z)).float().mean())


def test_the_code_is_the_one_hot_argmax_of_the_first_entries() -> None:
    g, _ = coded_pair(categories=3)
    z = torch.randn(500, 8, generator=torch.Generator().manual_seed(0))
    codes = g.latent_code(z)
    assert torch.equal(codes, z[:, :3].argmax(1))
    counts = torch.bincount(codes, minlength=3)
    assert counts.min() > 130  # uniform: ~167 each
    one_hot = torch.cat([F.one_hot(codes, 3).float(), z[:, 3:]], dim=1)
    g.eval()
    torch.testing.assert_close(g(z), g(one_hot))  # only the argmax of the code entries counts
    assert not torch.allclose(g(z), g(torch.cat([F.one_hot((codes + 1) % 3, 3).float(), z[:, 3:]], dim=1)))


def test_a_generator_without_a_code_has_none_and_refuses_to_read_one() -> None:
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,))
    assert g.code_categories == 0
    with pytest.raises(ValueError, match="has no categorical latent code"):
        g.latent_code(torch.zeros(2, 8))
    with pytest.raises(ValueError, match=r"code_categories \(9\) must be at most latent_dim \(8\)"):
        MLPGenerator(latent_dim=8, output_shape=SHAPE, code_categories=9)


def test_the_code_head_shares_the_discriminator_and_leaves_its_logits_alone() -> None:
    _, d = coded_pair(categories=5)
    x = torch.randn(6, *SHAPE)
    logits, code_logits = d(x, with_code=True)
    assert code_logits.shape == (6, 5)
    torch.testing.assert_close(logits, d(x))
    with pytest.raises(ValueError, match="no code head"):
        MLPDiscriminator(SHAPE, hidden=(16,))(x, with_code=True)


@pytest.mark.parametrize(
    ("g_categories", "d_categories"), [(0, 0), (4, 0), (0, 4), (4, 3)]
)
def test_info_weight_needs_the_same_code_on_both_networks(g_categories: int, d_categories: int) -> None:
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,), code_categories=g_categories)
    d = MLPDiscriminator(SHAPE, hidden=(16,), code_categories=d_categories)
    with pytest.raises(ValueError, match=f"code_categories={g_categories} and the discriminator {d_categories}"):
        Trainer(g, d, info_weight=0.5, device="cpu")
    Trainer(g, d, info_weight=0.0, device="cpu")  # off: any pair trains


@pytest.mark.parametrize(("weight", "error"), [(-0.1, ValueError), (math.inf, ValueError), ("1", TypeError)])
def test_info_weight_must_be_a_finite_number_at_least_zero(weight: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="info_weight"):
        Trainer(*coded_pair(), info_weight=weight, device="cpu")  # type: ignore[arg-type]


@pytest.mark.parametrize("batch_norm", [False, True])  # one joint D pass, or two
def test_the_information_term_teaches_both_networks_the_code(tiny_data: torch.Tensor, batch_norm: bool) -> None:
    results = {}
    for weight in (0.0, 1.0):
        g, _ = coded_pair()
        d = MLPDiscriminator(SHAPE, hidden=(32,), dropout=0.0, norm="batch" if batch_norm else "none", code_categories=4)
        head = d.code_head.weight.detach().clone()
        trainer = Trainer(g, d, info_weight=weight, g_lr=1e-3, d_lr=1e-3, device="cpu", seed=0)
        trainer.fit(tiny_data, epochs=40, batch_size=32)
        results[weight] = code_accuracy(g, d)
        assert torch.equal(d.code_head.weight, head) == (weight == 0)  # no term, no gradient
    assert results[0.0] < 0.5  # an untrained head: about chance (0.25)
    assert results[1.0] > 0.9


def test_the_information_term_is_part_of_both_losses(tiny_data: torch.Tensor) -> None:
    figures = {}
    for weight in (0.0, 100.0):
        trainer = Trainer(*coded_pair(), info_weight=weight, device="cpu", seed=0)
        history = trainer.fit(tiny_data, epochs=1, batch_size=96)  # one step: the untrained head
        figures[weight] = history[-1]
    for key in ("d_loss", "g_loss"):  # cross-entropy ~ log 4 at the start, times 100
        assert 100 < figures[100.0][key] - figures[0.0][key] < 300


def test_a_config_trains_with_a_code_and_the_generator_reloads_with_it(tmp_path: Path) -> None:
    path = write_tiny_config(tmp_path)
    overrides = [
        "trainer.info_weight=0.5",
        "generator.code_categories=3",
        "discriminator.code_categories=3",
    ]
    config = load_config(path, overrides)
    assert config.trainer.info_weight == 0.5
    run = config.build(tmp_path / "run")
    assert run.trainer.info_weight == 0.5
    run.fit()
    g = load_generator(run.last_checkpoint)
    assert g.code_categories == 3 and g.latent_code(torch.eye(g.latent_dim)[:3]).tolist() == [0, 1, 2]
    with pytest.raises(Exception, match="info_weight"):
        load_config(path, ["trainer.info_weight=-1"])
