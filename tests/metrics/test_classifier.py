"""The digit classifier: it learns, leaves the global random state alone, and caches safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from pygan.data import ImageDataset
from pygan.metrics import DigitClassifier, cache_dir, get_classifier, train_classifier
from pygan.metrics import classifier as classifier_module

RECIPE = {"epochs": 1, "batch_size": 32}


@pytest.fixture
def small(make_digits: Callable[..., ImageDataset]) -> ImageDataset:
    return make_digits(60)


def test_learns_the_synthetic_digits(
    classifier: DigitClassifier, make_digits: Callable[..., ImageDataset]
) -> None:
    assert classifier.test_accuracy is not None and classifier.test_accuracy >= 0.9
    unseen = make_digits(200, seed=1)
    assert classifier.accuracy(unseen) >= 0.9


def test_features_and_probabilities(classifier: DigitClassifier, digits: ImageDataset) -> None:
    features, probs = classifier.embed(digits, batch_size=64)
    assert features.shape == (300, 128) and probs.shape == (300, 10)
    assert (features >= 0).all()  # after the ReLU
    assert torch.allclose(probs.sum(dim=1), torch.ones(300), atol=1e-5)
    assert torch.equal(classifier.features(digits), features)
    as_floats = digits.images.float() / 127.5 - 1  # uint8 and [-1, 1] floats are the same images
    assert torch.allclose(classifier.predict_proba(as_floats), probs, atol=1e-6)
    assert not classifier.training


def test_wrong_image_shape_is_named(classifier: DigitClassifier) -> None:
    with pytest.raises(ValueError, match=r"takes images of shape \(1, 8, 8\), got \(1, 28, 28\)"):
        classifier.features(torch.zeros(2, 1, 28, 28))


def test_training_leaves_the_global_random_state_alone(small: ImageDataset) -> None:
    before = torch.get_rng_state()
    a = train_classifier(small, **RECIPE)
    assert torch.equal(torch.get_rng_state(), before)
    b = train_classifier(small, **RECIPE)  # and is repeatable
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_bad_training_arguments_are_named(small: ImageDataset) -> None:
    with pytest.raises(ValueError, match="labels in 0..1"):
        train_classifier(small, num_classes=2)
    with pytest.raises(ValueError, match="needs labels"):
        train_classifier(small.images)
    with pytest.raises(ValueError, match="holdout=0.001 of 60 images leaves 0 to test on"):
        train_classifier(small, holdout=0.001)


def test_cache_is_reused_and_keyed_by_the_data(
    small: ImageDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_classifier(small, directory=tmp_path, **RECIPE)
    files = list(tmp_path.glob("classifier-*.pt"))
    assert [f.name for f in files] == [f"classifier-{first.data_hash}.pt"]

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again instead of using the cache")

    monkeypatch.setattr(classifier_module, "train_classifier", no_training)
    again = get_classifier(small, directory=tmp_path, **RECIPE)
    assert again.test_accuracy == first.test_accuracy
    assert all(
        torch.equal(x, y) for x, y in zip(again.state_dict().values(), first.state_dict().values())
    )
    monkeypatch.undo()

    other = ImageDataset(small.images.flip(-1), small.labels)  # different digits: another entry
    assert get_classifier(other, directory=tmp_path, **RECIPE).data_hash != first.data_hash
    assert (
        get_classifier(small, directory=tmp_path, epochs=2).data_hash != first.data_hash
    )  # another recipe
    assert len(list(tmp_path.glob("classifier-*.pt"))) == 3


def test_training_or_loading_the_judge_leaves_the_global_random_state_alone(
    small: ImageDataset, tmp_path: Path
) -> None:
    """A run with an Evaluation callback trains the same whether or not the judge is cached."""
    for _cold_then_cached in range(2):
        before = torch.get_rng_state()
        get_classifier(small, directory=tmp_path, **RECIPE)
        assert torch.equal(torch.get_rng_state(), before)


def test_cache_file_holds_only_tensors_and_plain_values(
    small: ImageDataset, tmp_path: Path
) -> None:
    model = get_classifier(small, directory=tmp_path, **RECIPE)
    state = torch.load(tmp_path / f"classifier-{model.data_hash}.pt", weights_only=True)
    assert (
        state["architecture"] == model.architecture
        and state["test_accuracy"] == model.test_accuracy
    )


def test_an_unreadable_cache_file_is_replaced(small: ImageDataset, tmp_path: Path) -> None:
    model = get_classifier(small, directory=tmp_path, **RECIPE)
    path = tmp_path / f"classifier-{model.data_hash}.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="Retraining the judge"):
        get_classifier(small, directory=tmp_path, **RECIPE)
    torch.load(path, weights_only=True)  # rewritten


def test_cache_off_writes_nothing_and_env_names_the_directory(
    small: ImageDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYGAN_CACHE", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    get_classifier(small, cache=False, **RECIPE)
    assert not (tmp_path / "cache").exists()
    get_classifier(small, **RECIPE)
    assert len(list((tmp_path / "cache").glob("classifier-*.pt"))) == 1


def test_accuracy_needs_one_label_per_image(classifier: DigitClassifier) -> None:
    with pytest.raises(ValueError, match=r"one integer label per image \(4\)"):
        classifier.accuracy(torch.zeros(4, 1, 8, 8))
