"""A generator's own latent distribution (``sample_latent``) is the one every sampling path uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import pygan
from pygan import MLPDiscriminator, SampleGrid, Trainer
from pygan.cli import main
from pygan.metrics import sample_images


class OneHotLatent(pygan.Generator):
    """Latent vectors are one-hot; each image shows its latent vector through tanh."""

    def __init__(self) -> None:
        super().__init__(latent_dim=64, output_shape=(1, 8, 8))
        self.scale = torch.nn.Parameter(torch.ones(()))

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        device = self.device if generator is None else generator.device
        hot = torch.randint(self.latent_dim, (n,), device=device, generator=generator)
        return torch.nn.functional.one_hot(hot, self.latent_dim).float().to(self.device)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.scale * z).view(-1, *self.output_shape)


def assert_one_hot(z: torch.Tensor) -> None:
    """Each row is zeros but a single 1."""
    z = z.flatten(1)
    assert torch.equal((z != 0).sum(1), torch.ones(len(z), dtype=torch.long))
    torch.testing.assert_close(z.max(1).values, torch.ones(len(z)))


def latent_of(images: torch.Tensor, generator: OneHotLatent) -> torch.Tensor:
    """The latent vectors ``generator`` made ``images`` from."""
    return images.flatten(1).atanh() / generator.scale.detach()


def test_standard_normal_by_default_and_seeded_noise_is_reproducible() -> None:
    g = pygan.MLPGenerator(latent_dim=8, output_shape=(1, 4, 4), hidden=(16,))
    z = g.sample_latent(20_000, generator=torch.Generator().manual_seed(3))
    assert z.shape == (20_000, 8) and abs(z.mean().item()) < 0.01 and abs(z.std().item() - 1) < 0.01
    assert torch.equal(z, g.sample_latent(20_000, generator=torch.Generator().manual_seed(3)))


def test_sample_images_draws_from_the_generators_latent() -> None:
    g = OneHotLatent()
    assert_one_hot(latent_of(sample_images(g, 30, batch_size=7), g))


def test_sample_grid_draws_its_fixed_noise_from_the_generators_latent() -> None:
    grid = SampleGrid("unused", n=6)
    grid.render(OneHotLatent())
    assert grid.noise is not None and grid.noise.device.type == "cpu"
    assert_one_hot(grid.noise)


def test_trainer_and_cli_sample_draw_from_the_generators_latent(
    tiny_data: torch.Tensor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pygan.GENERATORS.register("test_one_hot_latent", override=True)(OneHotLatent)  # to reload it
    seen: list[torch.Tensor] = []
    g = OneHotLatent()
    g.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    trainer = Trainer(g, MLPDiscriminator((1, 8, 8), hidden=(8,)), device="cpu")
    trainer.fit(tiny_data, epochs=1, batch_size=32)
    assert len(seen) == 3  # 96 digits in batches of 32
    assert_one_hot(torch.cat(seen))

    trainer.save_checkpoint(str(tmp_path / "one_hot.ckpt"))
    assert main(["sample", str(tmp_path / "one_hot.ckpt"), "-n", "9", "-o", str(tmp_path / "x.pt")]) == 0
    assert "Wrote 9 images" in capsys.readouterr().out
    loaded = pygan.load_generator(tmp_path / "one_hot.ckpt")
    assert_one_hot(latent_of(torch.load(tmp_path / "x.pt"), loaded))
