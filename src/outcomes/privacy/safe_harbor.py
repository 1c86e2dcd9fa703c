"""The Safe Harbor transforms of what stays: ZIP3 with the restricted prefixes, ages 90 and over, keyed
pseudonyms.

* ZIP codes keep their first three digits, except the three-digit areas of 20,000
  people or fewer, which become ``"000"`` (45 CFR 164.514(b)(2)(i)(B)). The list is
  the one in HHS's *Guidance Regarding Methods for De-identification of Protected
  Health Information* (2012), from the 2000 Census.
* Ages of 90 and over are one group (``90``, read as "90 or older").
* The source id becomes a keyed hash, HMAC-SHA256 with a secret key: the same person
  gets the same pseudonym in every extract made with the same key, so quarters link;
  without the key nobody can recompute it from a known id (a plain hash of a
  client number could be reversed by hashing every number). The key never enters
  the output.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..sources.extract.identifiers import zip3

__all__ = ["RESTRICTED_ZIP3", "load_key", "new_key", "pseudonyms", "restrict_zip3", "safe_zip3"]

#: three-digit ZIP areas of 20,000 people or fewer (HHS de-identification guidance, 2000 Census): "000"
RESTRICTED_ZIP3 = frozenset({"036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831",
                             "878", "879", "884", "890", "893"})
_MIN_KEY_BYTES = 16
PSEUDONYM_PREFIX = "P-"
_PSEUDONYM_HEX = 20  # 80 bits: no collision to expect among millions of participants


def restrict_zip3(zip3: pd.Series) -> pd.Series:
    """Three-digit ZIP codes with the restricted areas (20,000 people or fewer) as ``"000"``.

    >>> restrict_zip3(pd.Series(["036", "100", None])).tolist()
    ['000', '100', None]
    """
    return zip3.where(~zip3.isin(RESTRICTED_ZIP3), "000")


def safe_zip3(values: pd.Series) -> pd.Series:
    """First three digits of each ZIP code, ``"000"`` for the restricted areas; missing stays missing.

    >>> safe_zip3(pd.Series(["03601", "10027-1234", "", "8931"])).tolist()
    ['000', '100', None, '000']
    """
    return restrict_zip3(zip3(values))


def load_key(key: bytes | str | os.PathLike) -> bytes:
    """The pseudonym key from bytes, a key file, or ``"env:NAME"`` (an environment variable).

    Raises
    ------
    InputError
        No key, an empty or short key (16 bytes at least), a missing file or variable. There is never a
        default key: a default would let anyone recompute the pseudonyms.

    Examples
    --------
    >>> load_key(b"0123456789abcdef0123") == b"0123456789abcdef0123"
    True
    """
    if key is None:
        raise InputError("deidentify needs key=: bytes, a key file, or 'env:NAME' (create one with "
                         "outcomes.new_key('pseudonym.key') and keep it with the program, never with the extract)")
    if isinstance(key, bytes):
        value, where = key, "the key"
    elif isinstance(key, str) and key.startswith("env:"):
        name = key[4:]
        if name not in os.environ:
            raise InputError(f"environment variable {name!r} holding the pseudonym key is not set")
        value, where = os.environ[name].strip().encode(), f"environment variable {name!r}"
    elif isinstance(key, (str, os.PathLike)):
        path = Path(key)
        if not path.is_file():
            raise InputError(f"key file '{path}' does not exist (create one with outcomes.new_key('{path}'))")
        value, where = path.read_bytes().strip(), f"key file '{path.name}'"
    else:
        raise InputError(f"key must be bytes, a key file path or 'env:NAME', not {type(key).__name__}")
    if len(value) < _MIN_KEY_BYTES:
        raise InputError(f"{where} is {len(value)} bytes long; a pseudonym key needs {_MIN_KEY_BYTES} bytes or more "
                         "(outcomes.new_key makes one of 64 hex characters)")
    return value


def new_key(path: str | os.PathLike) -> Path:
    """Write a new random key (64 hex characters) readable by its owner only. Refuses to overwrite one:
    a lost or replaced key breaks the link between quarters."""
    path = Path(path)
    if path.exists():
        raise InputError(f"key file '{path}' exists already; keep using it (a new key gives new pseudonyms)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


def pseudonyms(ids: pd.Series | np.ndarray, key: bytes) -> np.ndarray:
    """HMAC-SHA256 of each id (stripped text) under ``key``: ``P-`` and 20 hex characters.

    >>> one = pseudonyms(np.array(["C1001"]), b"k" * 16)[0]
    >>> pseudonyms(np.array(["C1001", " C1001 "]), b"k" * 16).tolist() == [one] * 2
    True
    """
    text = pd.Series(np.asarray(ids, dtype=object)).astype(str).str.strip()
    return np.array([PSEUDONYM_PREFIX + hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:_PSEUDONYM_HEX]
                     for v in text], dtype=object)
