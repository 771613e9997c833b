"""Judges of two architectures, for 1 or 3 channels and 28 to 64 pixels, named, trained on any
labelled dataset by name, and cached."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image

from pygan.data import ImageDataset
from pygan.metrics import (
    DEFAULT_JUDGES,
    JUDGE_ARCHITECTURES,
    CNNJudge,
    DigitClassifier,
    MLPJudge,
    get_classifier,
    get_judge,
    get_judges,
    train_classifier,
    training_split,
)
from pygan.metrics import classifier as classifier_module
from pygan.metrics.classifier import check_judge_names, parse_judge_name
from pygan.registry import UnknownNameError

Images = Callable[..., ImageDataset]
SHAPES = [(1, 28), (3, 28), (1, 32), (3, 32)]


def test_the_old_name_is_the_cnn_judge() -> None:
    assert DigitClassifier is CNNJudge
    assert JUDGE_ARCHITECTURES == {"cnn": CNNJudge, "mlp": MLPJudge}
    assert len(DEFAULT_JUDGES) == 3 and {parse_judge_name(n)[0] for n in DEFAULT_JUDGES} == {"cnn", "mlp"}
    assert len({parse_judge_name(n)[1] for n in DEFAULT_JUDGES}) == 3  # each its own seed


@pytest.mark.parametrize("judge_type", [CNNJudge, MLPJudge])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64), (1, 8, 8)])
def test_both_architectures_take_1_or_3_channels_and_28_to_64_pixels(judge_type: type, shape: tuple) -> None:
    judge = judge_type(num_classes=4, input_shape=shape)
    features, probs = judge.embed(torch.rand(6, *shape) * 2 - 1)
    assert features.shape == (6, 128) and probs.shape == (6, 4) and (features >= 0).all()
    assert torch.allclose(probs.sum(dim=1), torch.ones(6), atol=1e-5)


def test_the_cnn_pools_larger_images_to_the_same_size() -> None:
    linear = [CNNJudge(input_shape=(3, s, s)).body[-2] for s in (28, 32, 64)]
    assert [layer.in_features for layer in linear] == [32 * 7 * 7] * 3  # 7x7 maps at every size


@pytest.mark.parametrize("architecture", ["cnn", "mlp"])
@pytest.mark.parametrize("channels,size", SHAPES)
def test_judges_learn_synthetic_images(architecture: str, channels: int, size: int, make_images: Images) -> None:
    train = make_images(200, channels=channels, size=size)
    judge = train_classifier(train, architecture=architecture, epochs=5, batch_size=32, holdout=0.2)
    assert type(judge) is JUDGE_ARCHITECTURES[architecture] and judge.input_shape == (channels, size, size)
    assert judge.test_accuracy >= 0.9 and judge.accuracy(make_images(100, seed=1, channels=channels, size=size)) >= 0.9


def test_the_number_of_classes_comes_from_the_labels(make_images: Images) -> None:
    data = make_images(40)
    judge = train_classifier(data.images, data.labels % 4, epochs=1)
    assert judge.num_classes == 4
    assert train_classifier(data.images, data.labels % 4, num_classes=7, epochs=1).num_classes == 7


def test_bad_names_are_refused_naming_what_is_allowed() -> None:
    assert parse_judge_name("mlp-12") == ("mlp", 12)
    with pytest.raises(ValueError, match="such as 'cnn-0' .* got 'cnn'"):
        parse_judge_name("cnn")
    with pytest.raises(UnknownNameError, match="Unknown judge architecture 'cnm'. Did you mean 'cnn'"):
        parse_judge_name("cnm-0")
    with pytest.raises(ValueError, match="got 'cnn-0' twice"):
        check_judge_names(["cnn-0", "mlp-1", "cnn-0"])
    with pytest.raises(ValueError, match="at least one judge"):
        check_judge_names([])
    with pytest.raises(ValueError, match="a sequence of judge names"):
        check_judge_names("cnn-0")
    with pytest.raises(UnknownNameError, match="Unknown judge architecture 'vit'"):
        train_classifier(torch.zeros(10, 1, 8, 8), torch.arange(10) % 2, architecture="vit")
    with pytest.raises(TypeError, match="takes the architecture and the seed from the name"):
        get_judge("cnn-0", ImageDataset(torch.zeros(10, 1, 8, 8, dtype=torch.uint8), torch.arange(10) % 2), seed=3)
    with pytest.raises(TypeError, match="Unknown training argument 'epoch'"):
        get_classifier(torch.zeros(10, 1, 8, 8), torch.arange(10) % 2, epoch=1)


def test_named_judges_are_cached_each_under_its_own_key(
    make_images: Images, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_images(100, channels=3, size=28)
    judges = get_judges(["cnn-0", "mlp-1", "mlp-2"], data, directory=tmp_path, epochs=1)
    assert [(name, type(j).__name__, j.name) for name, j in judges.items()] == [
        ("cnn-0", "CNNJudge", "cnn-0"), ("mlp-1", "MLPJudge", "mlp-1"), ("mlp-2", "MLPJudge", "mlp-2")
    ]
    assert len({j.data_hash for j in judges.values()}) == 3 == len(list(tmp_path.glob("classifier-*.pt")))
    weights = [next(iter(j.state_dict().values())) for j in judges.values()]
    assert not torch.equal(weights[1], weights[2])  # another seed, other weights

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again instead of using the cache")

    monkeypatch.setattr(classifier_module, "train_classifier", no_training)
    again = get_judges(["mlp-2", "cnn-0"], data, directory=tmp_path, epochs=1)
    assert [type(j).__name__ for j in again.values()] == ["MLPJudge", "CNNJudge"]  # rebuilt as what they were
    assert all(torch.equal(a, b) for a, b in zip(again["mlp-2"].state_dict().values(), judges["mlp-2"].state_dict().values()))
    # get_classifier with the recipe's defaults written out is the same judge as without them
    assert get_classifier(data, directory=tmp_path, epochs=1, architecture="cnn", seed=0).data_hash == judges["cnn-0"].data_hash


def write_idx(path: Path, tensor: torch.Tensor) -> None:
    """Write ``tensor`` (uint8) as a gzipped IDX file."""
    header = struct.pack(">HBB", 0, 8, tensor.dim()) + b"".join(struct.pack(">I", d) for d in tensor.shape)
    path.write_bytes(gzip.compress(header + tensor.numpy().tobytes()))


def test_the_training_split_of_a_dataset_named_like_a_config_table(make_images: Images, tmp_path: Path) -> None:
    train, test = make_images(60), make_images(20, seed=1)
    for split, data in (("train", train), ("t10k", test)):
        big = torch.nn.functional.interpolate(data.images.float(), size=(28, 28)).to(torch.uint8)
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", big[:, 0])
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", data.labels.to(torch.uint8))
    assert len(training_split({"name": "mnist", "root": str(tmp_path)})) == 60  # the training split
    assert len(training_split({"name": "mnist", "root": str(tmp_path), "train": False})) == 20
    assert len(training_split({"name": "mnist", "root": str(tmp_path), "limit": 25})) == 25
    with pytest.raises(ValueError, match="data.name: Unknown dataset 'mnits'"):
        training_split("mnits")


def test_a_judge_of_a_users_image_folder_of_colour_images(make_images: Images, tmp_path: Path) -> None:
    data = make_images(60, channels=3, size=32)
    for i, (image, label) in enumerate(zip(data.images, data.labels)):
        folder = tmp_path / "pets" / f"class{label:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(folder / f"{i}.png")
    spec = {"name": "image_folder", "root": str(tmp_path / "pets"), "channels": 3}
    judge = get_judge("mlp-0", spec, directory=tmp_path / "cache", epochs=3)
    assert judge.input_shape == (3, 32, 32) and judge.num_classes == 10 and judge.test_accuracy >= 0.8


def test_a_dataset_without_labels_cannot_train_a_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pygan import DATASETS

    unlabelled = ImageDataset(torch.zeros(10, 1, 8, 8, dtype=torch.uint8))
    monkeypatch.setitem(DATASETS._entries, "unlabelled_test_images", lambda: unlabelled)
    with pytest.raises(ValueError, match="Judges learn from labelled images.*'unlabelled_test_images' gave images without labels"):
        training_split("unlabelled_test_images")
