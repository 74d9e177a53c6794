"""The follow-up question types (number, select-all, grid, "other" text) from each tool's
column layout to canonical columns, with every rule-changed answer recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invitesurvey import codebook
from invitesurvey.codebook import Answer, Variable
from invitesurvey.errors import InputError
from invitesurvey.formats import Export
from invitesurvey.harmonise import Mapping, harmonise, read_number, split_joined

BOOK = codebook.load(Path(__file__).resolve().parents[1] / "config" / "codebook.yaml")
WAVE1 = {
    "recruiter": "Yes",
    "purpose": "Hiring or recruiting",
    "stranger_response": "Accept only people I know, in the real world or online",
    "invites_strangers": "No",
    "unaccepted_action": "Ignore them",
    "seniority": "Senior manager",
    "connections": "1,000 or more",
}
REASONS = BOOK["accept_reasons"]
GRID = BOOK["accept_likelihood"]
NUMBER = BOOK["pending_invitations"].question
NONE = Mapping()


def frame_of(columns: dict[str, list[str | None]]) -> pd.DataFrame:
    """An export frame: wave-1 answers for every row, then the given columns."""
    n = len(next(iter(columns.values()), [None]))
    data = {"source_row": list(range(4, 4 + n)), "respondent_id": [f"R{i}" for i in range(n)]}
    data |= {BOOK[name].question: [label] * n for name, label in WAVE1.items()}
    data |= columns
    frame = pd.DataFrame(data)
    return frame.astype({c: "string" for c in frame.columns if c != "source_row"})


def harmonised(frame: pd.DataFrame, mapping: Mapping = NONE, **export):
    return harmonise(Export(Path("x.csv"), frame, **export), BOOK, mapping, file="x.csv")


def qualtrics_columns(rows: list[dict]) -> dict[str, list[str | None]]:
    """Qualtrics wording row: "Question - Option", option text when chosen, blank when not."""
    out = {
        f"{REASONS.question} - {a.label}": [
            a.label if a.code in r.get("chosen", ()) else None for r in rows
        ]
        for a in REASONS.codes
    }
    other = f"{REASONS.question} - Other (please specify)"
    out[other] = [("Other (please specify)" if r.get("other") else None) for r in rows]
    out[other + " - Text"] = [r.get("other") for r in rows]
    for row in GRID.rows:
        out[f"{GRID.question} - {row.label}"] = [r.get("grid", {}).get(row.code) for r in rows]
    out[NUMBER] = [r.get("number") for r in rows]
    return out


def test_qualtrics_wordings_become_option_flags_rows_and_numbers():
    rows = [
        {
            "chosen": ("profile_useful", "mutual"),
            "grid": {"former_colleague": "Always"},
            "number": "845",
        },
        {
            "chosen": (),
            "other": "Their photo",
            "grid": {"recruiter_in_field": "Never"},
            "number": "1,200",
        },
        {"chosen": ()},
        {"chosen": ("never",), "number": "about 800"},
    ]
    result = harmonised(frame_of(qualtrics_columns(rows)))
    out = result.frame
    assert out["accept_reasons__profile_useful"].tolist() == [True, False, pd.NA, False]
    assert out["accept_reasons__mutual"].tolist() == [True, False, pd.NA, False]
    assert out["accept_reasons__never"].tolist() == [False, False, pd.NA, True]
    assert out["accept_reasons__other"].tolist() == [False, True, pd.NA, False]
    assert out["accept_reasons_other"].tolist() == [pd.NA, "Their photo", pd.NA, pd.NA]
    assert out["accept_likelihood__former_colleague"].astype("string").tolist() == [
        "always",
        pd.NA,
        pd.NA,
        pd.NA,
    ]
    assert out["accept_likelihood__recruiter_in_field"].astype("string").tolist() == [
        pd.NA,
        "never",
        pd.NA,
        pd.NA,
    ]
    assert out["pending_invitations"].tolist() == [845.0, 1200.0, pd.NA, 800.0]
    assert result.recodes[["source_row", "variable", "rule"]].values.tolist() == [
        [7, "pending_invitations", "approximate"]
    ]
    assert result.recodes["detail"].tolist() == ["'about 800' read as 800"]


def test_surveymonkey_parts_are_matched_by_stem_and_sub_header():
    labels = [a.label for a in REASONS.codes]
    columns = {f"{REASONS.question} - {lab}": [lab, None] for lab in labels}
    columns[f"{REASONS.question} - Other (please specify)"] = [None, "A friend of mine"]
    parts = {c: (REASONS.question, c.rsplit(" - ", 1)[1]) for c in columns}
    frame = frame_of(columns)
    mapping = Mapping(absent=("pending_invitations", "accept_likelihood"))
    # "I never accept them" chosen with all the others: the exclusive rule blanks the answer.
    out = harmonised(frame, mapping, parts=parts)
    assert out.frame.loc[0, [f"accept_reasons__{a.code}" for a in REASONS.options]].isna().all()
    assert out.frame.loc[1, "accept_reasons__other"]
    assert not out.frame.loc[1, "accept_reasons__mutual"]
    assert out.frame.loc[1, "accept_reasons_other"] == "A friend of mine"
    assert out.recodes["rule"].tolist() == ["exclusive_conflict"]


def test_numeric_export_zero_one_marks_the_question_seen():
    columns = {f"{REASONS.question} - {a.label}": ["0", "1", None] for a in REASONS.codes[:-1]}
    columns[f"{REASONS.question} - {REASONS.codes[-1].label}"] = ["0", "0", None]
    mapping = Mapping(absent=("pending_invitations", "accept_likelihood"))
    out = harmonised(frame_of(columns), mapping).frame
    assert out["accept_reasons__mutual"].tolist() == [False, True, pd.NA]
    # No "other" column in this wave: unknown, never "not chosen".
    assert out["accept_reasons__other"].isna().all()


def test_google_forms_joined_answers_match_whole_labels_first():
    var = Variable(
        "v",
        "v",
        "multiple",
        codes=(Answer("a", "Yes, sometimes"), Answer("b", "Yes"), Answer("c", "Sometimes")),
        other=Answer("other", "Other"),
    )
    assert split_joined("Yes, sometimes", var) == (["a"], None)
    assert split_joined("Yes, Sometimes, Yes, sometimes", var) == (["a", "a"], None)
    assert split_joined("Yes, my own, words", var) == (["b"], "my own, words")


def test_google_forms_other_text_sets_other():
    joined = [
        "Their profile looks useful to me, We have connections in common",
        "They work in recruitment, Because she asked nicely",
        None,
    ]
    columns = {REASONS.question: joined, NUMBER: ["0", "lots", "-3"]}
    for row in GRID.rows:
        columns[f"{GRID.question} [{row.label}]"] = ["Usually", None, None]
    parts = {f"{GRID.question} [{r.label}]": (GRID.question, r.label) for r in GRID.rows}
    result = harmonised(frame_of(columns), parts=parts)
    out = result.frame
    assert out["accept_reasons__profile_useful"].tolist() == [True, False, pd.NA]
    assert out["accept_reasons__other"].tolist() == [False, True, pd.NA]
    assert out["accept_reasons_other"].tolist() == [pd.NA, "Because she asked nicely", pd.NA]
    assert out["accept_likelihood__stranger_no_note"].astype("string").tolist() == [
        "usually",
        pd.NA,
        pd.NA,
    ]
    assert out["pending_invitations"].tolist() == [0.0, pd.NA, pd.NA]
    assert result.recodes["rule"].tolist() == ["unreadable", "out_of_range"]
    assert "'-3' is outside 0 to 100000" in result.recodes["detail"].iloc[1]


def test_plain_csv_clean_column_names_and_mapping_parts():
    columns = {a_col: ["true", "false"] for a_col in BOOK["accept_reasons"].columns}
    columns["accept_reasons__never"] = ["false", "true"]
    columns["Q10_1"] = ["Sometimes", "Always"]
    for row in GRID.rows[1:]:
        columns[GRID.part_column(row.code)] = ["Never", "Never"]
    columns["pending_invitations"] = ["12", "7"]
    mapping = Mapping(columns={"q10_1": "accept_likelihood:recruiter_in_field"})
    out = harmonised(frame_of(columns), mapping).frame
    assert out["accept_reasons__other"].tolist() == [True, False]
    assert out["accept_reasons__never"].tolist() == [False, True]
    assert out["accept_likelihood__recruiter_in_field"].tolist() == ["sometimes", "always"]


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("845", True, (845.0, None)),
        ("1,200", True, (1200.0, None)),
        ("1 200", True, (1200.0, None)),
        ("1.200", True, (1200.0, None)),
        ("1.5", False, (1.5, None)),
        ("+12", True, (12.0, None)),
        ("none", True, (0.0, None)),
        ("about 800", True, (800.0, "approximate")),
        ("~800", True, (800.0, "approximate")),
        ("800+", True, (800.0, "approximate")),
        ("more than 1,000", True, (1000.0, "approximate")),
        ("lots", True, (None, "unreadable")),
        ("800-900", True, (None, "unreadable")),
        ("1,20", True, (None, "unreadable")),
    ],
)
def test_numbers_are_read_by_the_documented_rules(text, integer, expected):
    assert read_number(text, integer) == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_thousands_separators_read_back_exactly(value):
    assert read_number(f"{value:,}", True) == (float(value), None)
    assert read_number(str(value), True) == (float(value), None)


def test_decimal_in_a_whole_number_question_is_recoded_missing():
    columns = qualtrics_columns([{"number": "2.5"}, {"number": "100001"}])
    result = harmonised(frame_of(columns))
    assert result.frame["pending_invitations"].isna().all()
    assert result.recodes["rule"].tolist() == ["not_whole", "out_of_range"]


def test_duplicate_wordings_are_listed_at_once_with_how_they_differ():
    columns = qualtrics_columns([{"number": "3"}])
    frame = frame_of(columns)
    frame["Click to write the question text"] = pd.array(["x"], dtype="string")
    frame["Click to write the question text (2)"] = pd.array(["y"], dtype="string")
    frame[NUMBER + " "] = pd.array(["4"], dtype="string")
    with pytest.raises(InputError) as caught:
        harmonised(frame, told_apart={NUMBER: "export tag Q12", NUMBER + " ": "export tag Q13"})
    text = str(caught.value)
    assert text.startswith("x.csv: 3 problem(s)")
    assert "(export tag Q12)" in text and "(export tag Q13)" in text
    assert "all match pending_invitations" in text
    assert text.count("matches no codebook question (closest: none close)") == 2


def test_messages_never_quote_an_email_and_list_at_most_five_values():
    follow_up = Mapping(absent=("pending_invitations", "accept_reasons", "accept_likelihood"))
    few = [f"person{i}@example.com" for i in range(3)]
    with pytest.raises(InputError) as caught:
        harmonised(frame_of({BOOK["recruiter"].question: few}), follow_up)
    assert "@" not in str(caught.value) and "<an e-mail address> (row 4)" in str(caught.value)
    # More distinct misfits than are shown: a wrong column, reported by count and rows only.
    names = ["Anna", "Ben", "Chloe", "Dev", "Ema", "Finn", "Gus", "Hal"]
    with pytest.raises(InputError) as caught:
        harmonised(frame_of({BOOK["recruiter"].question: names}), follow_up)
    text = str(caught.value)
    assert not [name for name in names if name in text]
    assert "8 distinct answers are not labels of 'recruiter' (rows 4, 5, 6, 7, 8 and 3 more" in text


def test_a_million_distinct_unknown_labels_end_in_a_short_message():
    n = 200_000
    frame = frame_of({BOOK["purpose"].question: [f"label {i}" for i in range(n)]})
    with pytest.raises(InputError) as caught:
        harmonised(
            frame, Mapping(absent=("pending_invitations", "accept_reasons", "accept_likelihood"))
        )
    assert len(str(caught.value)) < 2_000
    assert f"{n} distinct answers" in str(caught.value) and f"and {n - 5} more" in str(caught.value)


def test_missing_option_column_is_named():
    columns = qualtrics_columns([{"number": "3"}])
    del columns[f"{REASONS.question} - {REASONS.codes[1].label}"]
    with pytest.raises(InputError, match="'accept_reasons' has no column for job_help"):
        harmonised(frame_of(columns))


def test_absent_follow_up_questions_have_all_their_columns_missing():
    out = harmonised(
        frame_of({}), Mapping(absent=tuple(v.name for v in BOOK.questions if v.follow_up))
    ).frame
    for var in BOOK.questions:
        if var.follow_up:
            assert all(out[c].isna().all() for c in var.columns)
    assert np.array_equal(out["source_row"], [4])
