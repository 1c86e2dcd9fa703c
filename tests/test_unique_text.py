"""The exact id-uniqueness test behind Cohort construction: same answer as pandas, however ids look."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from outcomes.model import _unique_text
from outcomes.model._unique_text import first_repeat


def expected(values: list[str]) -> tuple[int, int] | None:
    """What pandas says: the first row whose value already occurred, and where it first occurred."""
    repeated = pd.Series(values, dtype=object).duplicated().to_numpy()
    if not repeated.any():
        return None
    row = int(np.flatnonzero(repeated)[0])
    return row, values.index(values[row])


def random_ids(rng: random.Random) -> list[str]:
    alphabet = rng.choice(["ab", "0123456789", "é中-x"])  # few letters make repeats likely; multibyte text too
    longest = rng.choice([3, 9, 20, 40])
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(rng.randint(0, 60))]
    if rng.random() < 0.3:  # fixed-width blocks (zero-padded ids) take another code path
        values = [v.ljust(12, "0")[:12] for v in values]
    return values


def as_arrow(values: list[str], rng: random.Random) -> pa.Array | pa.ChunkedArray:
    """string or large_string, at a non-zero offset into its buffers, sometimes in two chunks."""
    array = pa.array(["padding", "x"] + values, type=rng.choice([pa.string(), pa.large_string()])).slice(2)
    if len(values) > 3 and rng.random() < 0.5:
        half = len(values) // 2
        return pa.chunked_array([array.slice(0, half), array.slice(half)])
    return array


def test_agrees_with_pandas_on_2000_random_id_lists():
    rng = random.Random(20261123)
    repeats_seen = 0
    for _ in range(2000):
        values = random_ids(rng)
        answer = expected(values)
        repeats_seen += answer is not None
        assert first_repeat(as_arrow(values, rng)) == answer, values
    assert 500 < repeats_seen < 1900  # both answers were exercised many times


def test_a_repeat_across_a_fixed_width_block_and_a_mixed_block_is_found():
    # the first chunk has one width (strided path), the second mixed widths (gathered words): same fingerprints
    fixed = pa.array(["SYN-00000001", "SYN-00000002", "SYN-00000003"])
    mixed = pa.array(["7", "SYN-00000002", "a-longer-participant-id-0042"])
    assert first_repeat(pa.chunked_array([fixed, mixed])) == (4, 1)
    assert first_repeat(pa.chunked_array([mixed, fixed])) == (4, 1)


@pytest.mark.parametrize(
    "values, answer",
    [
        (["P-001", "P-002", "P-003"], None),
        (["a", "bb", "ccc", "bb", "a"], (3, 1)),
        (["", "x", ""], (2, 0)),
        (["12345678", "1234567", "123456789", "1234567"], (3, 1)),  # lengths 7, 8, 9 around the word size
        (["abcdefgh" * 3, "abcdefgh" * 3 + "i", "abcdefgh" * 3], (2, 0)),
        (["x" * 17, "x" * 16 + "y"], None),  # differ only in the last byte of an overlapping final word
        ([], None),
    ],
)
def test_small_hand_cases(values, answer):
    assert first_repeat(pa.array(values, type=pa.string())) == answer


def test_colliding_fingerprints_are_resolved_by_comparing_text(monkeypatch):
    def everything_collides(block: pa.Array, out: np.ndarray) -> None:
        out[:] = 7

    monkeypatch.setattr(_unique_text, "_fingerprints", everything_collides)
    assert first_repeat(pa.array([f"id{i}" for i in range(1000)])) is None  # all differ: no false repeat
    values = [f"id{i}" for i in range(1000)] + ["id500"]
    assert first_repeat(pa.array(values)) == (1000, 500)


def test_missing_ids_are_refused_before_fingerprinting():
    with pytest.raises(ValueError, match="must not be missing"):
        first_repeat(pa.array(["a", None]))
