"""The categorical latent code, discriminator heads and InfoGAN's information term (``info``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from pygan import TERMS, InfoTerm, MLPDiscriminator, MLPGenerator, Trainer, load_generator
from pygan.config import load_config
from test_config import write_tiny_config

SHAPE = (1, 8, 8)


def coded_pair(categories: int = 4, seed: int = 0) -> tuple[MLPGenerator, MLPDiscriminator]:
    torch.manual_seed(seed)
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(32,), code_categories=categories)
    d = MLPDiscriminator(SHAPE, hidden=(32,), dropout=0.0, heads={"code": categories})
    return g, d


def code_accuracy(g: MLPGenerator, d: MLPDiscriminator, n: int = 2000) -> float:
    """How often D's code head names the code a generated image was made from."""
    z = g.sample_latent(n, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, heads = d(g.sample(n, z=z), heads=True)
    return float((heads["code"].argmax(1) == g.latent_code(z)).float().mean())


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


def test_heads_share_the_discriminator_and_leave_its_logits_alone() -> None:
    d = MLPDiscriminator(SHAPE, hidden=(16,), dropout=0.0, heads={"code": 5, "class": 3})
    assert d.head_names == ("code", "class")
    x = torch.randn(6, *SHAPE)
    logits, heads = d(x, heads=True)
    assert {name: tuple(out.shape) for name, out in heads.items()} == {"code": (6, 5), "class": (6, 3)}
    torch.testing.assert_close(logits, d(x))
    assert MLPDiscriminator(SHAPE, hidden=(16,)).head_names == ()


@pytest.mark.parametrize(
    ("heads", "error", "match"),
    [({"code": 0}, ValueError, "heads\\['code'\\]"), ([("code", 3)], TypeError, "mapping of names"), ({"": 2}, TypeError, "mapping")],
)
def test_bad_heads_are_refused(heads: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        MLPDiscriminator(SHAPE, hidden=(16,), heads=heads)  # type: ignore[arg-type]


def test_the_info_term_is_registered_and_reads_the_code_head() -> None:
    assert TERMS.get("info") is InfoTerm
    term = TERMS.create("info", weight=0.1, head="q")
    assert term.needs_heads == ("q",) and term.weight == 0.1 and term.name == "info"


@pytest.mark.parametrize(
    ("g_categories", "d_heads", "match"),
    [
        (0, {"code": 4}, "needs a generator with a categorical latent code"),
        (4, None, "reads the discriminator head\\(s\\) 'code'.*has heads: none"),
        (4, {"class": 4}, "has heads: class"),
    ],
)
def test_the_info_term_refuses_networks_without_a_code_or_its_head(
    g_categories: int, d_heads: dict[str, int] | None, match: str
) -> None:
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,), code_categories=g_categories)
    d = MLPDiscriminator(SHAPE, hidden=(16,), heads=d_heads)
    with pytest.raises(ValueError, match=match):
        Trainer(g, d, terms=[InfoTerm(weight=0.5)], device="cpu")


@pytest.mark.parametrize(("weight", "error"), [(-0.1, ValueError), (math.inf, ValueError), ("1", TypeError)])
def test_a_term_weight_must_be_a_finite_number_at_least_zero(weight: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="weight"):
        InfoTerm(weight=weight)  # type: ignore[arg-type]


@pytest.mark.parametrize("batch_norm", [False, True])  # one joint D pass, or two
def test_the_information_term_teaches_both_networks_the_code(tiny_data: torch.Tensor, batch_norm: bool) -> None:
    results = {}
    for weight in (0.0, 1.0):
        g, _ = coded_pair()
        d = MLPDiscriminator(SHAPE, hidden=(32,), dropout=0.0, norm="batch" if batch_norm else "none", heads={"code": 4})
        head = d.heads["code"].weight.detach().clone()
        terms = [InfoTerm(weight=weight)] if weight else []
        trainer = Trainer(g, d, terms=terms, g_lr=1e-3, d_lr=1e-3, device="cpu", seed=0)
        trainer.fit(tiny_data, epochs=40, batch_size=32)
        results[weight] = code_accuracy(g, d)
        assert torch.equal(d.heads["code"].weight, head) == (weight == 0)  # no term, no gradient
    assert results[0.0] < 0.5  # an untrained head: about chance (0.25)
    assert results[1.0] > 0.9


def test_the_information_term_is_part_of_both_losses_and_a_figure_of_its_own(tiny_data: torch.Tensor) -> None:
    figures = {}
    for weight in (0.0, 100.0):
        trainer = Trainer(*coded_pair(), terms=[InfoTerm(weight=weight)], device="cpu", seed=0)
        history = trainer.fit(tiny_data, epochs=1, batch_size=96)  # one step: the untrained head
        figures[weight] = history[-1]
    for side in ("d", "g"):  # cross-entropy ~ log 4 at the start, times 100
        assert 100 < figures[100.0][f"{side}_loss"] - figures[0.0][f"{side}_loss"] < 300
        assert 100 < figures[100.0][f"{side}_info"] < 300 and figures[0.0][f"{side}_info"] == 0.0


def test_a_config_trains_with_a_code_and_the_generator_reloads_with_it(tmp_path: Path) -> None:
    path = write_tiny_config(tmp_path)
    overrides = [
        "terms.info.weight=0.5",
        "generator.code_categories=3",
        "discriminator.heads={code = 3}",
    ]
    config = load_config(path, overrides)
    run = config.build(tmp_path / "run")
    assert [type(term) for term in run.trainer.terms] == [InfoTerm]
    history = run.fit()
    assert history[-1]["g_info"] > 0
    g = load_generator(run.last_checkpoint)
    assert g.code_categories == 3 and g.latent_code(torch.eye(g.latent_dim)[:3]).tolist() == [0, 1, 2]
    with pytest.raises(Exception, match="weight"):
        load_config(path, ["terms.info.weight=-1"]).build(tmp_path / "bad")
