"""Export columns and labels map to codebook variables; every misfit is reported at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from invitesurvey import codebook
from invitesurvey.codebook import Codebook
from invitesurvey.errors import InputError
from invitesurvey.formats import Export
from invitesurvey.harmonise import Mapping, harmonise, load_mapping

FOLLOW_UP = ("pending_invitations", "accept_reasons", "accept_likelihood", "accept_reasons_other")
WAVE1 = Mapping(absent=FOLLOW_UP)


def run(frame: pd.DataFrame, mapping: Mapping = WAVE1, alternates=None, **export) -> pd.DataFrame:
    """Harmonise a frame as a reader would return it; the harmonised frame."""
    found = Export(Path("x.csv"), frame, alternates or {}, **export)
    return harmonise(found, BOOK, mapping, file="x.csv").frame


BOOK = codebook.load(Path(__file__).resolve().parents[1] / "config" / "codebook.yaml")


def export_frame(book: Codebook, rows: list[dict[str, str | None]]) -> pd.DataFrame:
    """An export as a reader returns it: wording headers, label text, a source_row column."""
    frame = pd.DataFrame(
        [{book[name].question: label for name, label in row.items()} for row in rows]
    ).astype("string")
    frame.insert(0, "source_row", range(3, 3 + len(rows)))
    frame.insert(1, "respondent_id", pd.array([f"r{i}" for i in range(len(rows))], "string"))
    return frame


ANSWERS = {
    "recruiter": "Yes",
    "purpose": "Hiring or recruiting",
    "stranger_response": "Accept only people I know, in the real world or online",
    "invites_strangers": "No",
    "unaccepted_action": "Ignore them",
    "seniority": "Senior manager",
    "connections": "1,000 or more",
    "comments": "Call Jane Doe",
}


def test_labels_become_codes_and_booleans(book):
    out = run(export_frame(book, [ANSWERS]))
    assert out["recruiter"].tolist() == [True]
    assert out.loc[0, "purpose"] == "hire"
    assert out.loc[0, "stranger_response"] == "known_only"
    assert out.loc[0, "connections"] == "1000_plus"
    assert str(out["invites_strangers"].dtype) == "boolean"


def test_matching_ignores_case_spacing_and_curly_quotes(book):
    answers = {**ANSWERS, "unaccepted_action": "mark them as  “I don’t know this person”"}
    frame = export_frame(book, [answers])
    frame.columns = [c.upper() if c != "source_row" else c for c in frame.columns]
    frame = frame.rename(columns={"RESPONDENT_ID": "respondent_id"})
    out = run(frame)
    assert out.loc[0, "unaccepted_action"] == "dont_know"


def test_blank_answer_is_item_nonresponse_not_no(book):
    out = run(export_frame(book, [{**ANSWERS, "invites_strangers": None}]))
    assert out["invites_strangers"].isna().all()


def test_every_unknown_label_is_listed_with_row_column_and_closest(book):
    rows = [
        ANSWERS,
        {**ANSWERS, "purpose": "Hiring or recuiting"},
        {**ANSWERS, "seniority": "Intern"},
    ]
    with pytest.raises(InputError) as caught:
        harmonise(Export(Path("w"), export_frame(book, rows)), book, WAVE1, file="wave.csv")
    text = str(caught.value)
    assert text.startswith("wave.csv: 2 problem(s)")
    assert (
        "column 'What is your main reason for using LinkedIn at present?': 'Hiring or recuiting' "
        "(row 4, closest 'Hiring or recruiting') are not labels of 'purpose'" in text
    )
    assert "'Intern' (row 5) are not labels of 'seniority'" in text


def test_missing_question_column_is_named(book):
    frame = export_frame(book, [ANSWERS]).drop(columns=[book["seniority"].question])
    with pytest.raises(InputError, match="no column for 'seniority'"):
        run(frame)


def test_unmatched_column_gets_closest_wording(book):
    frame = export_frame(book, [ANSWERS]).rename(
        columns={book["seniority"].question: "Which best describes your level?"}
    )
    with pytest.raises(InputError) as caught:
        run(frame)
    assert "closest: 'Which best describes your current level?'" in str(caught.value)


def test_mapping_renames_tags_maps_numeric_labels_and_declares_absent(book, tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(
        "columns: {Q2: purpose}\n"
        "labels: {purpose: {'1': find_role, '2': hire}}\n"
        "absent: [invites_strangers, pending_invitations, accept_reasons, accept_likelihood]\n"
    )
    mapping = load_mapping(path, book)
    frame = export_frame(book, [ANSWERS]).drop(columns=[book["invites_strangers"].question])
    frame = frame.rename(columns={book["purpose"].question: "What brings you to LinkedIn?"})
    frame["What brings you to LinkedIn?"] = pd.array(["2"], dtype="string")
    alternates = {"What brings you to LinkedIn?": ["Q2", "QID2"]}
    out = run(frame, mapping, alternates)
    assert out.loc[0, "purpose"] == "hire"
    assert out["invites_strangers"].isna().all()


def test_mapping_with_unknown_variable_is_refused(book, tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("absent: [purpse]\n")
    with pytest.raises(InputError, match="'purpse' is not a codebook variable"):
        load_mapping(path, book)


def test_mapping_to_an_unknown_code_names_the_label_and_closest_code(book, tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("labels: {purpose: {'1': find_roel}}\n")
    with pytest.raises(InputError) as caught:
        load_mapping(path, book)
    assert str(caught.value).startswith(f"{path}: label '1' of 'purpose' maps to 'find_roel'")
    assert "Closest: 'find_role'" in str(caught.value)
