"""Former home of the data model, sources, privacy and generation; kept so that documented paths still import.

New code imports from :mod:`outcomes.model`, :mod:`outcomes.sources`, :mod:`outcomes.privacy` and
:mod:`outcomes.synthetic`. Nothing inside the package imports this one.
"""
