"""``python -m outcomes``: the same as the ``outcomes`` command."""

from .outputs.cli import main

raise SystemExit(main())
