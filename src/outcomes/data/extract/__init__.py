"""Program extracts, at the path the README has documented: they live in :mod:`outcomes.sources.extract`."""

from ...sources.extract import *  # noqa: F401,F403
from ...sources.extract import __all__  # noqa: F401
