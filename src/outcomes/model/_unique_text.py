"""An exact test that no text value repeats, fast enough for 10 million participant ids.

Hash tables over 10 million strings are slow (Arrow's ``unique`` takes about 2.4 s,
pandas' about 10 s) and sorting the strings themselves takes about 1.4 s. This module
instead

1. reads every id's bytes as 64-bit words straight from the Arrow buffers and folds
   them into a 64-bit fingerprint (equal ids always have equal fingerprints);
2. sorts the fingerprints (a SIMD integer sort: about 0.15 s for 10 million);
3. compares the actual text of the few ids whose fingerprints coincide, so a
   fingerprint collision can never be mistaken for a duplicate, nor hide one.

The answer is exact; only the time depends on the fingerprints being well spread.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["first_repeat"]

_BLOCK = 1 << 20  # ids fingerprinted at a time: bounds the temporaries to tens of MB
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplication by it is a bijection modulo 2**64
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)], dtype=np.uint64)  # masks for ids under 8 bytes


def first_repeat(values: pa.Array | pa.ChunkedArray) -> tuple[int, int] | None:
    """Rows ``(repeat, first)`` of the first value that occurs again, or None if all differ.

    ``repeat`` is the first row (0-based) whose value already occurred, ``first``
    the row where it occurred first: the same answer as ``pandas.Series.duplicated``.

    Parameters
    ----------
    values : pyarrow string or large_string array, without nulls

    Examples
    --------
    >>> import pyarrow as pa
    >>> first_repeat(pa.array(["P-001", "P-002", "P-003"])) is None
    True
    >>> first_repeat(pa.array(["a", "bb", "ccc", "bb", "a"]))
    (3, 1)
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    ordered = _all_fingerprints(chunks)
    ordered.sort()  # in place: no second 80 MB array at 10 million ids
    shared = ordered[1:][ordered[1:] == ordered[:-1]]
    if shared.size == 0:
        return None
    # rare (a repeat, or a fingerprint collision): recompute the fingerprints in row order
    rows = np.flatnonzero(np.isin(_all_fingerprints(chunks), shared))  # every repeat is among these rows
    seen: dict[str, int] = {}
    for row, text in zip(rows.tolist(), pa.chunked_array(chunks).take(pa.array(rows)).to_pylist()):
        if text in seen:
            return row, seen[text]
        seen[text] = row
    return None  # fingerprints collided, but the texts all differ


def _all_fingerprints(chunks: list[pa.Array]) -> np.ndarray:
    fingerprints = np.empty(sum(len(chunk) for chunk in chunks), dtype=np.uint64)
    row = 0
    for chunk in chunks:
        for start in range(0, len(chunk), _BLOCK):
            block = chunk.slice(start, _BLOCK)
            _fingerprints(block, out=fingerprints[row : row + len(block)])
            row += len(block)
    return fingerprints


def _fingerprints(block: pa.Array, out: np.ndarray) -> None:
    """Write one uint64 per value into ``out``, a function of the value's bytes alone.

    A value of length L is covered by ceil(L / 8) little-endian words: at byte
    0, 8, 16, ... with the last one ending exactly at the value's end (it may
    overlap the one before). Values shorter than 8 bytes are masked to their
    own bytes. The length and the words are folded by multiply-and-add.
    """
    if block.null_count:
        raise ValueError("ids must not be missing before their uniqueness is checked")
    if len(block) == 0:
        return
    offset_type = np.int64 if pa.types.is_large_string(block.type) else np.int32
    _, offsets_buffer, data_buffer = block.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[block.offset : block.offset + len(block) + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets).astype(np.int64, copy=False)
    shortest, longest = int(lengths.min()), int(lengths.max())
    if shortest == longest >= 8:
        _fixed_width_fingerprints(data_buffer, first, longest, out)
        return
    starts = offsets[:-1].astype(np.int64) - first  # into this block's own bytes
    ends = starts + lengths
    data = np.zeros(last - first + 8, dtype=np.uint8)  # the block's bytes and 8 zero bytes of padding
    if last > first:
        data[: last - first] = np.frombuffer(data_buffer, dtype=np.uint8, count=last - first, offset=first)
    # words[j] is the 64-bit little-endian word made of bytes j .. j+7 (a view: no copy)
    words = np.lib.stride_tricks.as_strided(data, shape=(data.size - 7, 8), strides=(1, 1)).view("<u8")[:, 0]

    out[:] = lengths
    for k in range(-(-longest // 8)):
        if k == 0:
            word = words[starts]
            if shortest < 8:
                short = lengths < 8
                word[short] &= _LOW_BYTES[lengths[short]]
            np.multiply(out, _MULTIPLIER, out=out)
            np.add(out, word, out=out)
        else:  # only values longer than 8k bytes have a word k; the others keep their fingerprint
            at = np.maximum(np.minimum(starts + 8 * k, ends - 8), 0)
            out[:] = np.where(lengths > 8 * k, out * _MULTIPLIER + words[at], out)


def _fixed_width_fingerprints(data_buffer: pa.Buffer, first: int, width: int, out: np.ndarray) -> None:
    """The same fingerprints when every value has the same length (zero-padded ids, UUIDs).

    Word k of every value is then a strided view of the Arrow buffer: no copy and no gather.
    """
    out[:] = width
    for k in range(-(-width // 8)):
        start = first + min(8 * k, width - 8)
        word = np.ndarray((len(out),), dtype="<u8", buffer=data_buffer, offset=start, strides=(width,))
        np.multiply(out, _MULTIPLIER, out=out)
        np.add(out, word, out=out)
