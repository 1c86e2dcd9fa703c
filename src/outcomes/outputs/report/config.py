"""The program's identity and its own words, from the arguments or ``outcomes.toml`` in the working directory."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ...core.errors import InputError

__all__ = ["identity", "imputation_count", "program_labels"]


def identity(program: str | None = None, funder: str | None = None, grant_id: str | None = None,
             logo: str | None = None, config: str | Path = "outcomes.toml",
             primary: str | None = None) -> dict[str, str | None]:
    """The program's name, funder, grant id, logo and declared primary analysis ("unadjusted", "adjusted" or
    "weighted"): from the arguments, else ``[report]`` in ``outcomes.toml`` in the working directory, else blank.

    >>> identity(program="Harbor Peer Recovery", config="no-such-file.toml")["program"]
    'Harbor Peer Recovery'
    """
    found: dict = {}
    path = Path(config)
    if path.exists():
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8")).get("report", {})
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"file '{path}': not valid TOML ({exc}); fix the [report] table") from None
    given = {"program": program, "funder": funder, "grant_id": grant_id, "logo": logo, "primary": primary}
    out = {k: (v if v is not None else found.get(k)) for k, v in given.items()}
    bad = [k for k, v in out.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise InputError(f"[report] {bad[0]} in '{path}' must be text, not {out[bad[0]]!r}")
    if out["logo"] and not Path(out["logo"]).exists():
        raise InputError(f"logo file '{out['logo']}' does not exist; give the path of a PNG or leave it out")
    return out


def program_labels(labels: dict[str, str] | None = None, config: str | Path = "outcomes.toml") -> dict[str, str]:
    """The program's own names for its arms and columns: ``labels``, else ``[labels]`` in ``outcomes.toml``
    (``clinical = "Standard care"``, ``peer_clinical = "Peer Mentor track"``, ``age = "Age at intake"``).

    >>> program_labels({"clinical": "Standard care"}, config="no-such-file.toml")
    {'clinical': 'Standard care'}
    """
    if labels is not None:
        return dict(labels)
    path = Path(config)
    if not path.exists():
        return {}
    try:
        found = tomllib.loads(path.read_text(encoding="utf-8")).get("labels", {})
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"file '{path}': not valid TOML ({exc}); fix the [labels] table") from None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise InputError(f"file '{path}': [labels] must name each arm or column in text, e.g. clinical = "
                         "\"Standard care\"")
    return found


def imputation_count(value: int | None = None, config: str | Path = "outcomes.toml", default: int = 20) -> int:
    """How many multiple imputations the report runs when a confounder is often blank: ``value``, else ``impute``
    under ``[report]`` in ``outcomes.toml`` (``impute = 0`` or ``false``: complete cases only), else ``default``.

    >>> imputation_count(config="no-such-file.toml"), imputation_count(0)
    (20, 0)
    """
    path = Path(config)
    found = value
    if found is None and path.exists():
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8")).get("report", {}).get("impute")
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"file '{path}': not valid TOML ({exc}); fix the [report] table") from None
    if found is None:
        return default
    if found is False:
        return 0
    if isinstance(found, bool) or not isinstance(found, int) or found == 1 or found < 0:
        raise InputError(f"[report] impute in '{path}' must be 0 (complete cases only) or a whole number of "
                         f"imputations of at least 2, not {found!r}")
    return found
