"""The outcome registry, at the path the README has documented: it lives in :mod:`outcomes.model.outcome_registry`.

>>> from outcomes.data.outcomes import SECONDARY_OUTCOMES
>>> from outcomes.model.outcome_registry import SECONDARY_OUTCOMES as registry
>>> SECONDARY_OUTCOMES is registry
True
"""

from ..model.outcome_registry import *  # noqa: F401,F403
from ..model.outcome_registry import __all__  # noqa: F401
