"""Atomic writes: the old file or the new one, never half of one, and never a temporary file
left behind by a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pygan import CheckpointError, CSVLogger, Trainer
from pygan._files import link_atomically, remove_temporary_files, write_atomically


def test_the_file_is_fsynced_renamed_and_the_directory_fsynced(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("directory" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = write_atomically(tmp_path / "sub" / "a.bin", lambda handle: handle.write(b"new"))
    assert path.read_bytes() == b"new" and os.listdir(path.parent) == ["a.bin"]
    if os.path.isdir("/proc/self/fd"):
        assert synced == ["file", "directory"]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path, error: BaseException) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"old")

    def fail(handle) -> None:
        handle.write(b"partial")
        raise error

    if isinstance(error, OSError):
        with pytest.raises(OSError, match=f"Cannot write the config to {path}: .*No space left") as caught:
            write_atomically(path, fail, "the config")
        assert not isinstance(caught.value, CheckpointError) and caught.value.__cause__ is error
    else:
        with pytest.raises(KeyboardInterrupt):
            write_atomically(path, fail)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.json"]


def test_an_unwritable_directory_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError, match=f"Cannot write a file to {tmp_path / 'a-file' / 'x'}"):
        write_atomically(tmp_path / "a-file" / "x", lambda handle: None)


def test_link_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "new.ckpt").write_bytes(b"new")
    (tmp_path / "last.ckpt").write_bytes(b"old")
    link_atomically(tmp_path / "new.ckpt", tmp_path / "last.ckpt")
    assert (tmp_path / "last.ckpt").read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["last.ckpt", "new.ckpt"]
    with pytest.raises(OSError):
        link_atomically(tmp_path / "missing.ckpt", tmp_path / "last.ckpt")
    assert (tmp_path / "last.ckpt").read_bytes() == b"new" and len(os.listdir(tmp_path)) == 2


def test_only_the_named_files_temporaries_are_removed(tmp_path: Path) -> None:
    names = [".a.ckpt.x1.tmp", ".b.ckpt.x2.tmp", "a.ckpt", ".a.ckpt.bak"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in remove_temporary_files(tmp_path, "a.ckpt")] == [".a.ckpt.x1.tmp"]
    assert sorted(os.listdir(tmp_path)) == sorted(names[1:])


def test_the_csv_log_is_rewritten_atomically(tiny_models, tiny_data, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "metrics.csv"
    trainer = Trainer(*tiny_models(), device="cpu", callbacks=[CSVLogger(path)])
    trainer.fit(tiny_data, epochs=1, batch_size=32)
    before = path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match=f"Cannot write the CSV log to {path}: .*No space left"):
        Trainer(*tiny_models(), device="cpu", callbacks=[CSVLogger(path)]).fit(tiny_data, epochs=1, batch_size=32)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["metrics.csv"]
