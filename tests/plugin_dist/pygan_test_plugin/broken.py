"""A plugin module that fails on import, as a broken plugin would."""

raise ImportError("this plugin is broken on purpose")
