"""The hand-written tool fixtures of tests/data/, read and harmonised end to end: every tool's
layout of the follow-up questions gives the same canonical answers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from invitesurvey import codebook
from invitesurvey.formats import read_export
from invitesurvey.harmonise import Mapping, harmonise

DATA = Path(__file__).parent / "data"
BOOK = codebook.load(Path(__file__).resolve().parents[1] / "config" / "codebook.yaml")
ONLY_RECRUITER = tuple(v.name for v in BOOK.items if v.name not in ("recruiter", "purpose"))
# The fixtures' answers of their first two respondents, as the codebook codes them.
FIRST_TWO = {
    "pending_invitations": [845.0, 1200.0],
    "accept_reasons__profile_useful": [True, False],
    "accept_reasons__job_help": [False, True],
    "accept_reasons__recruiter": [True, False],
    "accept_reasons__mutual": [False, False],
    "accept_reasons__never": [False, False],
    "accept_reasons__other": [False, True],
    "accept_reasons_other": [None, "A friend asked me to"],
    "accept_likelihood__recruiter_in_field": ["always", "usually"],
    "accept_likelihood__former_colleague": ["usually", None],
    "accept_likelihood__stranger_no_note": ["never", "never"],
}
CASES = [
    ("qualtrics_multi_column.csv", "qualtrics", ("q11", "q12"), (*ONLY_RECRUITER, "purpose")),
    ("qualtrics_multi_column.sav", "spss", ("q11", "q12"), (*ONLY_RECRUITER, "purpose")),
    (
        "surveymonkey_multi_column.csv",
        "surveymonkey",
        ("column y", "column z", "column ab"),
        ONLY_RECRUITER,
    ),
]


def as_list(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in values]


@pytest.mark.parametrize(("name", "fmt", "ignore", "absent"), CASES)
def test_each_tool_layout_gives_the_same_canonical_answers(name, fmt, ignore, absent):
    export = read_export(DATA / name, fmt)
    result = harmonise(export, BOOK, Mapping(absent=absent, ignore=ignore), file=name)
    for column, expected in FIRST_TWO.items():
        assert as_list(result.frame[column].iloc[:2]) == expected, column
    approximate = result.recodes["rule"].eq("approximate").sum()
    assert approximate == (1 if fmt == "surveymonkey" else 0)


def test_google_forms_joined_answers_grid_and_zone_read_through():
    name = "googleforms_zone_grid.csv"
    export = read_export(DATA / name, "googleforms")
    ignore = ("[first row]", "[second row]", "column l", "column m", "column n")
    result = harmonise(
        export, BOOK, Mapping(absent=(*ONLY_RECRUITER, "purpose"), ignore=ignore), file=name
    )
    out = result.frame
    assert as_list(out["accept_reasons__recruiter"]) == [True, False]
    assert as_list(out["accept_reasons__never"]) == [False, True]
    assert as_list(out["accept_likelihood__stranger_with_note"]) == ["sometimes", "never"]
    # "10:58:38 pm GMT+8" is 14:58:38 UTC.
    assert out["end_time"].iloc[0] == pd.Timestamp("2021-01-23 14:58:38")


def test_a_partial_fixture_without_a_mapping_lists_every_problem_at_once():
    name = "surveymonkey_multi_column.csv"
    with pytest.raises(Exception) as caught:
        harmonise(read_export(DATA / name, "surveymonkey"), BOOK, Mapping(), file=name)
    text = str(caught.value)
    assert text.startswith(f"{name}: 8 problem(s)")
    assert "'Click to write the question text (column 25 (Y))' (position 25 (Y))" in text
    assert "'(no header) column 28 (AB)' matches no codebook question" in text
