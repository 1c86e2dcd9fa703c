"""Progress people can see: a line per step of a long job on stderr, silent unless a command turns it on.

A quarterly report of a state program takes minutes; a command that prints nothing until it ends looks hung.
The command line turns progress on (``--quiet`` off, ``--verbose`` adds each step's seconds); library calls,
notebooks and tests stay silent unless they ask with :func:`showing_progress`.

>>> with showing_progress(0):
...     with step("relapse"):
...         pass
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["showing_progress", "step"]

#: 0 silent, 1 a line per step, 2 also the seconds each took
_LEVEL: ContextVar[int] = ContextVar("outcomes_progress", default=0)


@contextmanager
def showing_progress(level: int) -> Iterator[None]:
    """Within the block, :func:`step` writes to stderr: ``level`` 1 a line per step, 2 with its seconds."""
    token = _LEVEL.set(int(level))
    try:
        yield
    finally:
        _LEVEL.reset(token)


@contextmanager
def step(what: str) -> Iterator[None]:
    """One step of a long job, announced when progress is on (and timed at level 2)."""
    level = _LEVEL.get()
    if not level:
        yield
        return
    print(f"outcomes: {what}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    yield
    if level > 1:
        print(f"outcomes: {what}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
