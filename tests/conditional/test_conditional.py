"""Conditional GANs: labels from the data and from the class prior reach the models and the
terms, bad input is refused before training, and a conditional run resumes exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from pygan import (
    ACGANTerm,
    Callback,
    DCGANDiscriminator,
    DCGANGenerator,
    Discriminator,
    Generator,
    LossTerm,
    MLPDiscriminator,
    MLPGenerator,
    ModelCheckpoint,
    Step,
    Trainer,
)
from pygan.data import ImageDataset

SHAPE = (1, 8, 8)
CLASSES = 3


def labelled(n: int = 96, seed: int = 0) -> ImageDataset:
    """Images whose pixels all equal a value set by their label (0 -> 0, 1 -> 127, 2 -> 254)."""
    labels = torch.randint(0, CLASSES, (n,), generator=torch.Generator().manual_seed(seed))
    images = (labels * 127).to(torch.uint8).view(n, 1, 1, 1).expand(n, *SHAPE).contiguous()
    return ImageDataset(images, labels)


def label_of(images: torch.Tensor) -> torch.Tensor:
    """The label ``labelled`` encoded in images in [-1, 1] (read from their mean pixel)."""
    return ((images.flatten(1).mean(1) + 1) * 127.5 / 127).round().long().clamp(0, CLASSES - 1)


def pair(num_classes: int = CLASSES, seed: int = 0, **d_kwargs: Any) -> tuple[MLPGenerator, MLPDiscriminator]:
    torch.manual_seed(seed)
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(32,), num_classes=num_classes)
    d = MLPDiscriminator(SHAPE, hidden=(32,), num_classes=num_classes, **d_kwargs)
    return g, d


class Recorder(LossTerm):
    """Keeps each update's Step."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Step] = []

    def discriminator_term(self, step: Step) -> None:
        self.steps.append(step)

    def generator_term(self, step: Step) -> None:
        self.steps.append(step)


class TinyConditionalGenerator(Generator):
    """A user's own conditional generator: a class offset added to a linear map of z."""

    def __init__(self) -> None:
        super().__init__(latent_dim=4, output_shape=SHAPE, num_classes=CLASSES)
        self.net = torch.nn.Linear(4, 64)
        self.offset = torch.nn.Embedding(CLASSES, 64)
        self.seen: list[torch.Tensor] = []

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        assert labels is not None
        self.seen.append(labels)
        return torch.tanh(self.net(z) + self.offset(labels)).view(-1, *SHAPE)


class TinyConditionalDiscriminator(Discriminator):
    def __init__(self) -> None:
        super().__init__(input_shape=SHAPE, num_classes=CLASSES)
        self.net = torch.nn.Linear(64, CLASSES)
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        assert labels is not None
        self.seen.append(labels)
        return self.net(x.flatten(1)).gather(1, labels[:, None]).squeeze(1)


def test_a_user_written_conditional_pair_trains_on_the_labels_of_its_images() -> None:
    torch.manual_seed(0)
    g, d = TinyConditionalGenerator(), TinyConditionalDiscriminator()
    recorder = Recorder()
    Trainer(g, d, terms=[recorder], device="cpu", seed=0).fit(labelled(), epochs=2, batch_size=16)
    assert len(g.seen) == 12 and all(len(labels) == 16 for labels in g.seen)
    assert len(d.seen) == 24  # joint pass in D's update, fake only in G's
    d_steps = [s for s in recorder.steps if s.phase == "discriminator"]
    g_steps = [s for s in recorder.steps if s.phase == "generator"]
    assert all(torch.equal(s.real_labels, label_of(s.real)) for s in d_steps)  # each image its own label
    assert all(torch.equal(s.fake_labels, made) for s, made in zip(d_steps, g.seen))  # what G was asked for
    assert all(torch.equal(gs.fake_labels, ds.fake_labels) for gs, ds in zip(g_steps, d_steps))
    assert all(gs.real_labels is not None for gs in g_steps)
    drawn = torch.cat([s.fake_labels for s in d_steps])
    assert sorted(drawn.unique().tolist()) == [0, 1, 2]  # from the uniform class prior


def test_generated_labels_reach_the_discriminator_with_their_images() -> None:
    torch.manual_seed(0)
    g, d = TinyConditionalGenerator(), TinyConditionalDiscriminator()
    Trainer(g, d, device="cpu", seed=0).fit(labelled(32), epochs=1, batch_size=16)
    # D's joint pass: the real batch's labels, then the labels G was asked for
    assert torch.equal(d.seen[0][16:], g.seen[0]) and torch.equal(d.seen[1], g.seen[0])


@pytest.mark.parametrize("form", ["image_dataset", "tensor_dataset", "dataset", "dataloader"])
def test_every_labelled_form_of_data_trains_a_conditional_pair(form: str) -> None:
    data = labelled()
    images = data.images.float() / 127.5 - 1

    class Items(Dataset):
        def __len__(self) -> int:
            return len(images)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            return images[i], int(data.labels[i])  # type: ignore[index]

    source: Any = {
        "image_dataset": data,
        "tensor_dataset": TensorDataset(images, data.labels),  # type: ignore[arg-type]
        "dataset": Items(),
        "dataloader": DataLoader(Items(), batch_size=16, shuffle=True),
    }[form]
    recorder = Recorder()
    Trainer(*pair(), terms=[recorder], device="cpu", seed=0).fit(source, epochs=1, batch_size=16)
    d_steps = [s for s in recorder.steps if s.phase == "discriminator"]
    assert len(d_steps) == 6 and all(torch.equal(s.real_labels, label_of(s.real)) for s in d_steps)


@pytest.mark.parametrize(
    "data",
    [
        torch.zeros(32, *SHAPE),
        ImageDataset(torch.zeros(32, *SHAPE, dtype=torch.uint8)),
        TensorDataset(torch.zeros(32, *SHAPE)),
        DataLoader(TensorDataset(torch.zeros(32, *SHAPE)), batch_size=8),
    ],
    ids=["tensor", "image_dataset", "tensor_dataset", "dataloader"],
)
def test_a_conditional_pair_on_unlabelled_data_is_refused_before_training(data: Any) -> None:
    g, d = pair()
    before = [p.detach().clone() for p in g.parameters()]
    with pytest.raises(ValueError, match=r"conditional \(num_classes=3\), but the data has no labels"):
        Trainer(g, d, device="cpu").fit(data, epochs=1, batch_size=8)
    assert all(torch.equal(a, b) for a, b in zip(before, g.parameters()))


@pytest.mark.parametrize("bad", [3, -1])
def test_a_label_outside_the_classes_is_named_with_the_count(bad: int) -> None:
    data = labelled(32)
    data.labels[5] = bad  # type: ignore[index]
    with pytest.raises(ValueError, match=rf"Label {bad} in the data is outside \[0, 3\): the model knows 3 classes"):
        Trainer(*pair(), device="cpu").fit(data, epochs=1, batch_size=8)
    loader = DataLoader(TensorDataset(data.images.float() / 127.5 - 1, data.labels), batch_size=32)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=rf"Label {bad} in the data is outside \[0, 3\)"):
        Trainer(*pair(), device="cpu").fit(loader, epochs=1)


@pytest.mark.parametrize(
    ("g_classes", "d_classes", "match"),
    [
        (3, 5, "discriminator is conditional with num_classes=5 but the generator has num_classes=3"),
        (0, 3, "discriminator is conditional with num_classes=3 but the generator has num_classes=0"),
        (3, 0, "no loss term reads the labels"),
    ],
)
def test_generator_and_discriminator_with_different_classes_are_refused(
    g_classes: int, d_classes: int, match: str
) -> None:
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,), num_classes=g_classes)
    d = MLPDiscriminator(SHAPE, hidden=(16,), num_classes=d_classes)
    with pytest.raises(ValueError, match=match):
        Trainer(g, d, device="cpu")


def test_sampling_refuses_labels_it_cannot_use() -> None:
    unconditional = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,))
    with pytest.raises(ValueError, match=r"unconditional \(num_classes=0\) and cannot make a chosen class"):
        unconditional.sample(4, labels=1)
    g, _ = pair()
    with pytest.raises(ValueError, match="Got 3 labels for 4 images"):
        g.sample(4, labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"Label 7 is outside \[0, 3\)"):
        g.sample(2, labels=7)
    with pytest.raises(TypeError, match="integers"):
        g.sample(2, labels=torch.tensor([0.0, 1.0]))
    assert g.sample(5, labels=torch.tensor([0, 1, 2, 0, 1])).shape == (5, *SHAPE)


def test_a_conditional_generator_learns_to_make_the_class_it_is_asked_for() -> None:
    g, d = pair(dropout=0.0)
    Trainer(g, d, g_lr=2e-3, d_lr=2e-3, device="cpu", seed=0).fit(labelled(192), epochs=30, batch_size=32)
    means = [float(g.sample(200, labels=c).mean()) for c in range(CLASSES)]
    assert means[0] < -0.5 and abs(means[1]) < 0.5 and means[2] > 0.5  # -1, 0 and 1 in the data


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
@pytest.mark.parametrize("family", ["mlp", "dcgan"])
def test_built_in_discriminators_read_the_label(conditioning: str, family: str) -> None:
    torch.manual_seed(0)
    shape = (1, 28, 28) if family == "dcgan" else SHAPE
    if family == "dcgan":
        d: Discriminator = DCGANDiscriminator(shape, base_channels=4, num_classes=3, conditioning=conditioning, norm="none")
    else:
        d = MLPDiscriminator(shape, hidden=(16,), num_classes=3, conditioning=conditioning, dropout=0.0)
    torch.nn.init.normal_(d.embedding.weight)  # type: ignore[union-attr,arg-type]
    x = torch.randn(4, *shape)
    assert not torch.allclose(d(x, torch.zeros(4, dtype=torch.long)), d(x, torch.ones(4, dtype=torch.long)))
    with pytest.raises(ValueError, match="is conditional"):
        d(x)


def test_dcgan_generator_and_heads() -> None:
    g = DCGANGenerator(latent_dim=8, base_channels=4, num_classes=3)
    z = torch.randn(2, 8)
    assert not torch.allclose(g.eval()(z, torch.tensor([0, 0])), g(z, torch.tensor([1, 1])))
    d = DCGANDiscriminator(base_channels=4, heads={"class": 3})
    logits, heads = d(torch.randn(2, 1, 28, 28), heads=True)
    assert logits.shape == (2,) and heads["class"].shape == (2, 3) and d.head_names == ("class",)


def test_acgan_trains_a_class_head_on_an_unconditional_discriminator() -> None:
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(32,), num_classes=CLASSES)
    d = MLPDiscriminator(SHAPE, hidden=(32,), dropout=0.0, heads={"class": CLASSES})
    history = Trainer(g, d, terms=[ACGANTerm()], g_lr=2e-3, d_lr=2e-3, device="cpu", seed=0).fit(
        labelled(192), epochs=30, batch_size=32
    )
    assert history[-1]["d_acgan"] < history[0]["d_acgan"]
    real = labelled(300, seed=1)
    with torch.no_grad():
        _, heads = d.eval()(real.images.float() / 127.5 - 1, heads=True)
    assert float((heads["class"].argmax(1) == real.labels).float().mean()) > 0.95
    asked = torch.arange(300) % CLASSES
    with torch.no_grad():
        _, heads = d(g.sample(300, labels=asked), heads=True)
    assert float((heads["class"].argmax(1) == asked).float().mean()) > 0.95  # made as the head names it


def test_acgan_needs_a_conditional_generator_and_a_class_head() -> None:
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,))
    d = MLPDiscriminator(SHAPE, hidden=(16,), heads={"class": 3})
    with pytest.raises(ValueError, match="'acgan' term reads class labels, but MLPGenerator is unconditional"):
        Trainer(g, d, terms=[ACGANTerm()], device="cpu")
    g = MLPGenerator(latent_dim=8, output_shape=SHAPE, hidden=(16,), num_classes=3)
    with pytest.raises(ValueError, match="reads the discriminator head"):
        Trainer(g, MLPDiscriminator(SHAPE, hidden=(16,)), terms=[ACGANTerm()], device="cpu")


class StopAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        if trainer.global_step == self.step:
            trainer.should_stop = True


def test_a_conditional_run_resumed_inside_an_epoch_ends_with_the_same_weights(tmp_path: Path) -> None:
    def run(directory: Path, stop: int | None = None, resume: Path | None = None) -> MLPGenerator:
        g, d = pair(seed=1, dropout=0.2)
        callbacks = [ModelCheckpoint(directory), *([StopAt(stop)] if stop else [])]
        trainer = Trainer(g, d, terms=[Recorder()], d_steps=2, callbacks=callbacks, device="cpu", seed=3)
        try:
            trainer.fit(labelled(), epochs=3, batch_size=8, resume_from=resume)
        except KeyboardInterrupt:
            pass
        return g

    full = run(tmp_path / "full")
    run(tmp_path / "part", stop=8)  # 6 steps an epoch: stopped inside the second
    resumed = run(tmp_path / "part", resume=tmp_path / "part" / "last.ckpt")
    assert all(torch.equal(a, b) for a, b in zip(full.state_dict().values(), resumed.state_dict().values()))
