"""Two processes under ``torchrun`` (gloo, CPU) train as one process with twice the batch.

This file is also the script torchrun starts (``python test_distributed.py worker OUT``):
each rank trains three tiny configurations and saves what it ended with. The test then trains
the same configurations in one process at the doubled batch and compares.

What exactly is equal: with DDP each rank's gradient is averaged over the two ranks, so one
step on two shards of batch B is one step on batch 2B when the loss is a mean over the batch,
provided the 2B images, latent vectors and gradient-penalty weights are the same ones. The
Trainer gives rank r the images at positions r, r + 2, ... of each epoch's order, so the data
matches by construction; the latent noise and the penalty weights come from the test's own
generator and loss below, which draw one global batch per step and keep the rank's positions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed

from pygan import (
    Callback,
    CSVLogger,
    MLPDiscriminator,
    MLPGenerator,
    ModelCheckpoint,
    Trainer,
    WassersteinLoss,
    load_checkpoint,
)

SHAPE = (1, 8, 8)
BATCH = 8  # per rank; the single-process reference uses 2 * BATCH
EPOCHS = 2
CONFIGS = ("non_saturating", "wasserstein_gp", "batch_norm")


def _rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes, as torchrun sets them."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


class GlobalNoiseGenerator(MLPGenerator):
    """Draws step k's latent vectors for the whole global batch from a generator seeded with
    k, and keeps this rank's positions (rank, rank + world, ...), as the data is sharded."""

    def __init__(self) -> None:
        super().__init__(latent_dim=4, output_shape=SHAPE, hidden=(16,))
        self.draws = 0

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        rank, world = _rank_and_world()
        draw = torch.Generator().manual_seed(1000 + self.draws)
        self.draws += 1
        return torch.randn(n * world, self.latent_dim, generator=draw)[rank::world].to(self.device)


class GlobalAlphaWasserstein(WassersteinLoss):
    """WGAN-GP whose interpolation weights are drawn per global batch, like the noise above."""

    def __init__(self) -> None:
        super().__init__(gp_weight=10.0)
        self.draws = 0

    def penalty(self, discriminator: Any, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        rank, world = _rank_and_world()
        draw = torch.Generator().manual_seed(2000 + self.draws)
        self.draws += 1
        alpha = torch.rand(len(real) * world, 1, 1, 1, generator=draw)[rank::world]
        mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
        (grad,) = torch.autograd.grad(discriminator(mixed).sum(), mixed, create_graph=True)
        return self.gp_weight * (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


class FirstNoise(Callback):
    """Keeps the next few numbers of this process's random stream at the first epoch start
    (read from a copy of the stream, so training draws what it would have drawn)."""

    def __init__(self) -> None:
        self.noise: torch.Tensor | None = None

    def on_epoch_start(self, trainer: Trainer) -> None:
        if self.noise is None:
            stream = torch.Generator()
            stream.set_state(torch.get_rng_state())
            self.noise = torch.randn(4, generator=stream)


def data() -> torch.Tensor:
    """72 images of 72 brightness levels (plus noise): which images a batch holds shows."""
    noise = torch.randint(0, 40, (72, *SHAPE), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return torch.arange(0, 216, 3, dtype=torch.uint8).view(-1, 1, 1, 1) + noise


def sgd(parameters: Any) -> torch.optim.Optimizer:
    """Plain SGD: its steps follow the gradients (Adam's first steps are nearly lr * sign)."""
    return torch.optim.SGD(parameters, lr=0.05)


def train(
    config: str, batch_size: int, run_dir: Path | None = None, epochs: int = EPOCHS, resume: bool = False
) -> dict[str, Any]:
    """Train ``config``; return the final weights, history and first noise of this process."""
    rank, _ = _rank_and_world()
    # Each rank starts from different weights and seeds on purpose: DDP must hand every rank
    # rank 0's weights, and with seed=None the data order must follow rank 0's seed.
    torch.manual_seed(100 + rank)
    noise = FirstNoise()
    callbacks: list[Callback] = [noise]
    if run_dir is not None:
        callbacks += [ModelCheckpoint(run_dir / "checkpoints"), CSVLogger(run_dir / "metrics.csv")]
    kwargs: dict[str, Any] = {"device": "cpu", "log_every_n_steps": 3, "callbacks": callbacks}
    if config != "batch_norm":
        kwargs.update(g_optimizer=sgd, d_optimizer=sgd)
    if config == "non_saturating":
        g, d = GlobalNoiseGenerator(), MLPDiscriminator(SHAPE, hidden=(16,), dropout=0.0)
        trainer = Trainer(g, d, **kwargs)
    elif config == "wasserstein_gp":
        g, d = GlobalNoiseGenerator(), MLPDiscriminator(SHAPE, hidden=(16,), dropout=0.0)
        trainer = Trainer(g, d, GlobalAlphaWasserstein(), d_steps=2, seed=0, **kwargs)
    else:  # batch norm in both networks (D runs real and fake separately), default Adam
        g = MLPGenerator(latent_dim=4, output_shape=SHAPE, hidden=(16,), norm="batch")
        d = MLPDiscriminator(SHAPE, hidden=(16,), norm="batch")
        trainer = Trainer(g, d, seed=0, **kwargs)
    last = run_dir / "checkpoints" / "last.ckpt" if resume and run_dir is not None else None
    history = trainer.fit(data(), epochs=epochs, batch_size=batch_size, resume_from=last)
    return {
        "generator": {k: v.clone() for k, v in g.state_dict().items()},
        "discriminator": {k: v.clone() for k, v in d.state_dict().items()},
        "history": [dict(record) for record in history],
        "noise": noise.noise,
    }


def worker(out: Path) -> None:
    """What each torchrun process runs: every configuration, results saved per rank."""
    rank = int(os.environ["RANK"])
    for config in CONFIGS:
        result = train(config, BATCH, run_dir=out / config / f"rank{rank}")
        torch.save(result, out / f"{config}-rank{rank}.pt")
    # batch_norm again, stopped after one epoch and resumed (every rank reads rank 0's file)
    train("batch_norm", BATCH, run_dir=out / "resumed", epochs=1)
    torch.distributed.barrier()  # rank 0 has written the checkpoint
    torch.save(train("batch_norm", BATCH, run_dir=out / "resumed", resume=True), out / f"resumed-rank{rank}.pt")


pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is missing")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    scratch = tmp_path_factory.mktemp("ddp-tmp")  # torchrun's own temporary folders, not /tmp's
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYGAN_DISABLE_PLUGIN_AUTOLOAD": "1", "TMPDIR": str(scratch)}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        __file__, "worker", str(out),
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, f"torchrun failed:\n{done.stdout}\n{done.stderr}"
    return out


def _results(out: Path, name: str) -> list[dict[str, Any]]:
    return [torch.load(out / f"{name}-rank{r}.pt", weights_only=True) for r in range(2)]


@pytest.mark.parametrize("config", CONFIGS)
def test_ranks_end_with_identical_models(two_ranks: Path, config: str) -> None:
    rank0, rank1 = _results(two_ranks, config)
    for network in ("generator", "discriminator"):
        for name, tensor in rank0[network].items():
            assert torch.equal(tensor, rank1[network][name]), f"{config}: {network}.{name} differs"
    figures = [[{k: v for k, v in record.items() if k != "time"} for record in r["history"]] for r in (rank0, rank1)]
    assert figures[0] == figures[1]  # the epoch figures are means over both processes
    assert not torch.equal(rank0["noise"], rank1["noise"])  # each rank draws its own noise


@pytest.mark.parametrize("config", ["non_saturating", "wasserstein_gp"])
def test_two_ranks_match_one_process_with_double_batch(two_ranks: Path, config: str) -> None:
    rank0, _ = _results(two_ranks, config)
    single = train(config, 2 * BATCH)
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        expected = [record[key] for record in single["history"]]
        assert [record[key] for record in rank0["history"]] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    for network in ("generator", "discriminator"):
        for name, tensor in single[network].items():
            torch.testing.assert_close(rank0[network][name], tensor, rtol=1e-5, atol=1e-6)
    torch.manual_seed(100)  # rank 0's starting weights: training must have moved them
    start = GlobalNoiseGenerator().state_dict()["net.0.weight"]
    assert not torch.allclose(rank0["generator"]["net.0.weight"], start, rtol=1e-4, atol=1e-5)


def test_resumed_run_ends_like_the_uninterrupted_one(two_ranks: Path) -> None:
    """The checkpoint of epoch 1 (rank 0's) continues on both ranks to the same weights, batch
    norm statistics and figures as the run that never stopped: each rank's noise for an epoch
    is seeded from state every rank shares and the checkpoint holds."""
    straight, resumed = _results(two_ranks, "batch_norm")[0], _results(two_ranks, "resumed")
    for network in ("generator", "discriminator"):
        for name, tensor in straight[network].items():
            assert torch.equal(resumed[0][network][name], tensor), f"{network}.{name}"
            assert torch.equal(resumed[1][network][name], tensor), f"{network}.{name}"
    assert [r["g_loss"] for r in resumed[0]["history"]] == [r["g_loss"] for r in straight["history"]]


def test_only_rank_zero_writes_files(two_ranks: Path) -> None:
    for config in CONFIGS:
        assert not (two_ranks / config / "rank1").exists(), f"{config}: rank 1 wrote files"
        rank0_dir = two_ranks / config / "rank0"
        assert (rank0_dir / "metrics.csv").read_text().count("\n") == EPOCHS + 1
        saved = load_checkpoint(rank0_dir / "checkpoints" / "last.ckpt")
        final = _results(two_ranks, config)[0]["generator"]
        for name, tensor in saved["generator"]["state_dict"].items():
            assert torch.equal(tensor, final[name])


# ------------------------------------------------------------ in-process checks, no torchrun
def test_shards_of_a_batch_make_the_batch_of_one_process_at_twice_the_size() -> None:
    from pygan.data.loader import make_batches

    images = data()
    batches = {}
    for shard, batch_size in (((0, 1), 2 * BATCH), ((0, 2), BATCH), ((1, 2), BATCH)):
        source = make_batches(images, batch_size, SHAPE, torch.device("cpu"), shard=shard)
        batches[shard] = [batch.images for batch in source.epoch(torch.Generator().manual_seed(3))]
    assert len(batches[(0, 1)]) == len(batches[(0, 2)]) == len(batches[(1, 2)]) == 4
    for whole, part0, part1 in zip(batches[(0, 1)], batches[(0, 2)], batches[(1, 2)]):
        assert torch.equal(whole[0::2], part0) and torch.equal(whole[1::2], part1)


def test_dataloader_without_distributed_sampler_warns_under_several_processes() -> None:
    from torch.utils.data import DataLoader

    from pygan.data.loader import make_batches

    loader = DataLoader(data().float() / 127.5 - 1, batch_size=BATCH)
    with pytest.warns(UserWarning, match="without a DistributedSampler: every process sees"):
        make_batches(loader, BATCH, SHAPE, torch.device("cpu"), shard=(0, 2))


def test_a_cuda_device_without_index_becomes_this_process_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from pygan._distributed import process_device

    assert process_device(torch.device("cuda")) == torch.device("cuda")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert process_device(torch.device("cuda")) == torch.device("cuda", 1)
    assert process_device(torch.device("cuda", 0)) == torch.device("cuda", 0)  # as asked
    assert process_device(torch.device("cpu")) == torch.device("cpu")


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    torch.set_num_threads(1)
    worker(Path(sys.argv[2]))
