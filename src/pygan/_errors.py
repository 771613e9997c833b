"""The errors that several layers raise, defined below all of them (shown under the public
module that documents each)."""

from __future__ import annotations

__all__ = ["CheckpointError"]


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read, written or used; the message says why and what to do."""


CheckpointError.__module__ = "pygan.checkpoint"  # where users import it from, and the docs show it
