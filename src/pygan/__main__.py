"""``python -m pygan``: the same as the ``pygan`` command."""

from pygan.cli import main

raise SystemExit(main())
