"""A tiny pygan plugin for the tests. Importing it records that it was imported."""

import os

os.environ["PYGAN_TEST_PLUGIN_IMPORTED"] = "1"
