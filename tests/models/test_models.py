"""Every registered model: shapes, ranges, gradients; plus the base-class contract."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import pygan
from pygan import DISCRIMINATORS, GENERATORS, Discriminator, Generator
from pygan.models import MinibatchStd, UpsampleConv2d
from pygan.models._layers import Dropout
from pygan.models.dcgan import dcgan_base_size

SHAPES = [(1, 28, 28), (3, 32, 32)]
SMALL = {"mlp": {"hidden": (16,)}, "dcgan": {"base_channels": 4}}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", GENERATORS.names())
def test_every_generator_shape_range_and_gradients(name: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    g = GENERATORS.create(name, latent_dim=8, output_shape=shape, **SMALL.get(name, {}))
    assert isinstance(g, Generator)
    out = g(g.sample_latent(4))
    assert out.shape == (4, *shape)
    assert out.min() >= -1 and out.max() <= 1
    out.sum().backward()
    assert all(p.grad is not None for p in g.parameters())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_every_discriminator_shape_and_gradients(name: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    d = DISCRIMINATORS.create(name, input_shape=shape, **SMALL.get(name, {}))
    assert isinstance(d, Discriminator)
    x = torch.randn(4, *shape, requires_grad=True)
    logits = d(x)
    assert logits.shape == (4,)
    logits.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in d.parameters())


@pytest.mark.parametrize(
    ("kwargs", "widths"),
    [
        # the classic tutorials' networks
        ({"latent_dim": 64, "hidden": (512, 1024), "activation": "relu"}, [64, 512, 1024, 784]),
        ({"latent_dim": 100, "hidden": (256, 512, 1024)}, [100, 256, 512, 1024, 784]),
    ],
)
def test_mlp_generator_is_configured_by_widths(kwargs: dict, widths: list[int]) -> None:
    g = pygan.MLPGenerator(**kwargs)
    linears = [m for m in g.modules() if isinstance(m, torch.nn.Linear)]
    assert [linears[0].in_features] + [m.out_features for m in linears] == widths


@pytest.mark.parametrize("norm", ["none", "batch", "layer", "spectral"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "gelu", "silu", "tanh"])
def test_mlp_options(norm: str, activation: str) -> None:
    g = pygan.MLPGenerator(8, (1, 4, 4), hidden=(8,), activation=activation, norm=norm, dropout=0.2)
    d = pygan.MLPDiscriminator((1, 4, 4), hidden=(8,), activation=activation, norm=norm)
    assert d(g(torch.randn(3, 8))).shape == (3,)
    assert any(isinstance(m, torch.nn.Dropout) for m in g.modules())


@pytest.mark.parametrize("norm", ["none", "batch", "layer", "spectral"])
@pytest.mark.parametrize("shape", SHAPES)
def test_mlp_generator_conv_head_makes_the_image_through_a_feature_map(norm: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    g = pygan.MLPGenerator(8, shape, hidden=(16,), norm=norm, conv_head=6, code_categories=3, num_classes=2)
    convs = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(6, 3), (3, shape[0])]
    assert not any(isinstance(m, torch.nn.Linear) and m.out_features == shape[0] * shape[1] * shape[2] for m in g.modules())
    out = g(g.sample_latent(4), torch.tensor([0, 1, 0, 1]))
    assert out.shape == (4, *shape) and out.min() >= -1 and out.max() <= 1
    out.sum().backward()
    assert all(p.grad is not None for p in g.parameters())
    # neighbouring pixels share filters: a 28x28 image from a 7x7 map of 6 channels and two 4x4 filters
    assert sum(p.numel() for p in convs[0].parameters()) == 6 * 3 * 16 + (3 if norm != "batch" else 0)


@pytest.mark.parametrize("norm", ["none", "batch", "spectral"])
def test_mlp_generator_conv_head_can_upsample_then_convolve(norm: str) -> None:
    torch.manual_seed(0)
    g = pygan.MLPGenerator(8, (3, 32, 32), hidden=(16,), norm=norm, conv_head=6, conv_head_upsampling="nearest")
    layers = [m for m in g.modules() if isinstance(m, UpsampleConv2d)]
    assert [(c.in_channels, c.out_channels) for c in layers] == [(6, 3), (3, 3)]
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in g.modules())
    out = g(torch.randn(4, 8))
    assert out.shape == (4, 3, 32, 32) and out.min() >= -1 and out.max() <= 1
    out.sum().backward()
    assert all(p.grad is not None for p in g.parameters())
    # 3x3 filters: fewer weights than the transposed head's 4x4
    assert layers[0].weight.shape == (3, 6, 3, 3)


@pytest.mark.parametrize("bias", [True, False])
def test_upsample_conv_is_nearest_upsampling_then_a_3x3_convolution(bias: bool) -> None:
    torch.manual_seed(0)
    layer = UpsampleConv2d(5, 4, bias=bias).double()
    x = torch.randn(2, 5, 7, 9, dtype=torch.float64, requires_grad=True)
    expected = F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), layer.weight, layer.bias, padding=1)
    out = layer(x)
    assert out.shape == (2, 4, 14, 18)
    assert torch.allclose(out, expected, atol=1e-12)
    # the same function, so the same gradients for the weights and the input
    grads = torch.autograd.grad(out.sum(), [layer.weight, x])
    expected_grads = torch.autograd.grad(expected.sum(), [layer.weight, x])
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(grads, expected_grads))


def test_discriminator_reports_batch_statistics() -> None:
    assert pygan.DCGANDiscriminator((1, 28, 28), base_channels=4).has_batch_statistics
    assert not pygan.DCGANDiscriminator((1, 28, 28), base_channels=4, norm="layer").has_batch_statistics
    assert not pygan.MLPDiscriminator().has_batch_statistics
    assert pygan.MLPDiscriminator(minibatch_std=4).has_batch_statistics


def test_minibatch_std_reads_each_sample_s_group_and_no_other() -> None:
    layer = MinibatchStd(group=2)
    x = torch.randn(6, 5)  # groups {0, 3}, {1, 4}, {2, 5}
    stat = layer(x)[:, -1]
    assert torch.allclose(stat[0], x[[0, 3]].std(dim=0, unbiased=False).mean())
    assert torch.equal(stat[:3], stat[3:])
    changed = x.clone()
    changed[4] += 1.0  # in sample 1's group only
    moved = layer(changed)[:, -1] != stat
    assert moved.tolist() == [False, True, False, False, True, False]


@pytest.mark.parametrize(("n", "group"), [(6, 4), (1, 4), (5, 4)])
def test_minibatch_std_groups_a_batch_it_does_not_divide(n: int, group: int) -> None:
    out = MinibatchStd(group)(torch.randn(n, 3))  # 6 by 3, 1 alone, 5 by 1 (std 0)
    assert out.shape == (n, 4) and torch.isfinite(out).all()
    if n in (1, 5):
        assert (out[:, -1] == 0).all()


@pytest.mark.parametrize("extra", [{}, {"heads": {"code": 3}}, {"num_classes": 3}, {"num_classes": 3, "conditioning": "concat"}])
def test_mlp_discriminator_with_minibatch_std(extra: dict) -> None:
    torch.manual_seed(0)
    d = pygan.MLPDiscriminator((1, 4, 4), hidden=(8,), minibatch_std=2, **extra)
    labels = torch.tensor([0, 1, 2, 0]) if extra.get("num_classes") else None
    x = torch.randn(4, 1, 4, 4)
    logits, heads = d(x, labels, heads=True)
    assert logits.shape == (4,) and {k: v.shape for k, v in heads.items()} == {k: (4, v) for k, v in extra.get("heads", {}).items()}
    assert d.net[-1].in_features == 9  # the 8 hidden units and the statistic
    alone = d(x[:2], labels[:2] if labels is not None else None, heads=True)[0]
    assert not torch.allclose(alone, logits[:2])  # the other samples of the batch matter


def test_a_trainer_sends_real_and_generated_images_through_minibatch_std_apart() -> None:
    seen: list[torch.Tensor] = []
    torch.manual_seed(0)
    g = pygan.MLPGenerator(latent_dim=4, output_shape=(1, 4, 4), hidden=(8,))
    d = pygan.MLPDiscriminator((1, 4, 4), hidden=(8,), minibatch_std=4)
    d.net[-2].register_forward_hook(lambda module, args, out: seen.append(args[0].detach()))
    pygan.Trainer(g, d, device="cpu").fit(torch.rand(8, 1, 4, 4), epochs=1, batch_size=8)
    assert [len(batch) for batch in seen] == [8, 8, 8]  # D's update: real, then fake; G's: fake


# Bad model arguments, with their messages: tests/test_bad_inputs.py


def test_dcgan_base_sizes() -> None:
    assert dcgan_base_size((1, 64, 64)) == (4, 4)
    assert dcgan_base_size((1, 28, 28)) == (7, 2)


def test_sample_uses_eval_mode_and_restores_it() -> None:
    seen: list[bool] = []

    class Recorder(Generator):
        def __init__(self) -> None:
            super().__init__(latent_dim=2, output_shape=(1, 1, 1))

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            seen.append(self.training)
            return torch.tanh(z[:, :1]).view(-1, 1, 1, 1)

    g = Recorder()
    g.train()
    out = g.sample(3)
    assert seen == [False] and g.training and not out.requires_grad
    g.eval()
    g.sample(1)
    assert not g.training


def test_constructor_arguments_are_recorded() -> None:
    g = pygan.MLPGenerator(16, hidden=[32], activation="relu")
    assert g.config == {"latent_dim": 16, "hidden": [32], "activation": "relu"}
    assert pygan.DCGANDiscriminator(base_channels=4).config == {"base_channels": 4}


def test_only_forward_is_abstract() -> None:
    assert Generator.__abstractmethods__ == frozenset({"forward"})
    assert Discriminator.__abstractmethods__ == frozenset({"forward"})
    assert pygan.GANLoss.__abstractmethods__ == frozenset({"discriminator_loss", "generator_loss"})
    with pytest.raises(TypeError):
        Generator(4, (1, 2, 2))  # type: ignore[abstract]


@pytest.mark.parametrize("p", [0.3, 0.5])
def test_dropout_drops_with_probability_p_and_scales_the_rest(p: float) -> None:
    torch.manual_seed(0)
    x = torch.randn(400, 1000, requires_grad=True)
    y = Dropout(p)(x)
    kept = y != 0
    # 400,000 draws: the standard error of the dropped fraction is under 0.001
    assert abs((~kept).float().mean().item() - p) < 0.004
    assert torch.allclose(y[kept], x[kept] / (1 - p))
    y.sum().backward()
    assert torch.allclose(x.grad, kept.float() / (1 - p))
    # the four 16-bit pieces of each 64-bit draw are used alike: no position drops more
    by_position = (~kept).flatten().view(-1, 4).float().mean(0)
    assert (by_position - p).abs().max().item() < 0.006


def test_dropout_is_the_identity_in_eval_mode_and_at_p_zero() -> None:
    x = torch.randn(8, 5)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    assert torch.equal(Dropout(0.0)(x), x)
    assert Dropout(0.5)(torch.empty(0, 3)).shape == (0, 3)


def test_dropout_follows_the_global_seed() -> None:
    x = torch.ones(64, 64, dtype=torch.bfloat16)
    masks = []
    for _ in range(2):
        torch.manual_seed(3)
        masks.append(Dropout(0.5)(x))
    assert masks[0].dtype == torch.bfloat16
    assert torch.equal(masks[0], masks[1])
    assert not torch.equal(Dropout(0.5)(x), masks[1])
