"""The version of pygan, in a module of its own: the package metadata and the modules that
record it (checkpoints, exports) read it without importing the whole package."""

__version__ = "0.1.0"
