"""The example export, at the path the README has documented: it lives in :mod:`outcomes.sources.extract.example`."""

from ...sources.extract.example import *  # noqa: F401,F403
from ...sources.extract.example import __all__  # noqa: F401
