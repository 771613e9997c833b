"""Writing files atomically: a crash at any moment leaves the old file or the new one, never
half of one.

Every file pygan replaces (checkpoints, ``last.ckpt`` and ``best.ckpt``, exports, the CSV log)
is written here, to a hidden temporary file ``.NAME.XXXXXXXX.tmp`` next to ``NAME`` that is
then renamed over it; :func:`remove_temporary_files` deletes the ones a killed process left.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["link_atomically", "remove_temporary_files", "write_atomically"]

_TMP_SUFFIX = ".tmp"


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], object], what: str = "a file"
) -> Path:
    """Call ``write(handle)`` on a temporary file next to ``path``, flush and fsync it, rename
    it over ``path`` and fsync the directory. The temporary file is removed if anything fails.

    Args:
        path: The file to write (its directory is created if missing).
        write: Writes the content to the binary file handle it gets.
        what: What is written, for the error message (``"a checkpoint"``).

    Returns:
        ``path``, as a :class:`~pathlib.Path`.

    Raises:
        OSError: The file cannot be written; the message names ``what`` and ``path``, and any
            file already at ``path`` is intact. Errors that ``write`` raises other than
            ``OSError`` propagate unchanged (the temporary file is removed all the same).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "notes.txt"
        >>> write_atomically(path, lambda handle: handle.write(b"hello")).read_bytes()
        b'hello'
        >>> write_atomically(path / "below-a-file", lambda handle: None, "a note")
        Traceback (most recent call last):
        ...
        OSError: Cannot write a note to .../notes.txt/below-a-file: ...
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    except OSError as error:
        raise OSError(f"Cannot write {what} to {path}: {error}") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        _fsync_directory(path.parent)
    except BaseException as error:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(f"Cannot write {what} to {path}: {error}") from error
        raise
    return path


def link_atomically(source: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Make ``path`` another name of the file ``source`` (a hard link), atomically: a new
    link goes to a temporary name that is renamed over ``path``. No data is copied.

    Raises:
        OSError: The filesystem has no hard links or ``path`` cannot be written; nothing
            changed (write the file with :func:`write_atomically` instead).

    Example:
        >>> import tempfile
        >>> directory = Path(tempfile.mkdtemp())
        >>> _ = (directory / "epoch-0002.ckpt").write_bytes(b"state")
        >>> link_atomically(directory / "epoch-0002.ckpt", directory / "last.ckpt")
        >>> (directory / "last.ckpt").read_bytes(), (directory / "last.ckpt").stat().st_nlink
        (b'state', 2)
    """
    path = Path(path)
    link = path.with_name(f".{path.name}.{secrets.token_hex(4)}{_TMP_SUFFIX}")
    try:
        os.link(source, link)
        os.replace(link, path)
    except OSError:
        link.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def remove_temporary_files(directory: str | os.PathLike[str], name: str = "*") -> list[Path]:
    """Delete the temporary files that writes killed mid-way left in ``directory``.

    A process killed before the rename leaves its hidden ``.NAME.XXXXXXXX.tmp`` file behind
    (never a half-written ``NAME``). Call this only when no other process is writing into
    ``directory``.

    Args:
        directory: The directory to clean.
        name: Whose temporary files to delete (a glob such as ``"epoch-*.ckpt"``).

    Returns:
        The deleted files, sorted.

    Example:
        >>> import tempfile
        >>> directory = Path(tempfile.mkdtemp())
        >>> _ = (directory / ".last.ckpt.k3j_x9.tmp").write_bytes(b"partial")
        >>> [p.name for p in remove_temporary_files(directory, "last.ckpt")]
        ['.last.ckpt.k3j_x9.tmp']
    """
    removed = sorted(Path(directory).glob(f".{name}.*{_TMP_SUFFIX}"))
    for tmp in removed:
        tmp.unlink(missing_ok=True)
    return removed


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows opening directories)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
