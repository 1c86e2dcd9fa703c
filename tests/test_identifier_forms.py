"""Identifiers by content, in the formats people type (issue 22): 62 written forms of Safe Harbor's kinds, in
innocently named columns, are found, and deidentify refuses to carry any of them out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import outcomes as oc
from outcomes.sources.extract.detect import find_identifiers

from .identifier_forms import FORMS

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_extract"


@pytest.mark.parametrize("kind, value", FORMS, ids=[f"{k}: {v}" for k, v in FORMS])
def test_each_written_form_is_found_by_content(kind, value):
    found = find_identifiers(pd.DataFrame({"Info": ["", value, "ok"]}))
    assert len(found) and set(found.found_by) == {"content"}, (kind, value)
    assert found.first_row.iloc[0] == 2


def test_codes_and_measurements_are_not_taken_for_identifiers():
    ordinary = pd.DataFrame({"Track": ["Standard", "Peer Mentor", "IOP + Peer Support"] * 3,
                             "Reason": ["Left AMA", "Completed Tx", "Transferred Out"] * 3,
                             "Age": ["34", "51", "27"] * 3, "Site": ["Site A", "Site B", "North"] * 3,
                             "Score": ["3.5", "12", "40"] * 3})
    assert find_identifiers(ordinary).empty


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    """A 20-row export whose mapping carries out an innocently named column "Other", and its key."""
    folder = tmp_path_factory.mktemp("forms")
    mapping = (EXAMPLE / "mapping.toml").read_text().replace('keep = ["age", "sex"]', 'keep = ["age", "sex", "Other"]')
    (folder / "m.toml").write_text(mapping)
    export = pd.read_csv(EXAMPLE / "program_extract.csv", dtype=str, keep_default_na=False).head(20)
    return folder, export, oc.privacy.new_key(folder / "key")


@pytest.mark.parametrize("kind, value", FORMS, ids=[f"{k}: {v}" for k, v in FORMS])
def test_deidentify_refuses_to_carry_out_a_column_holding_the_form(carried, kind, value):
    folder, export, key = carried
    path = folder / "export.csv"
    export.assign(Other=["", value] + ["ok"] * (len(export) - 2)).to_csv(path, index=False)
    with pytest.raises(oc.InputError, match=r"column\(s\) the mapping would carry out hold identifiers.*'Other'"):
        oc.privacy.deidentify(path, folder / "m.toml", key=key)
