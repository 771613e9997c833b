"""A plugin module that takes half a second to import, as a heavy plugin would."""

import time

import pygan

time.sleep(0.5)


class SlowCallback(pygan.Callback):
    """A callback from a module that is slow to import."""
