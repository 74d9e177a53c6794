"""Export formats: every writer's file reads back to the frame it was written from, the
hand-written tool layouts read as documented, and bad files fail naming file, row and column."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from project import follow_up_assumptions
from test_simulate import example_counts

from invitesurvey import simulate
from invitesurvey.codebook import code_text
from invitesurvey.errors import InputError
from invitesurvey.formats import FORMATS, read_export, write_export
from invitesurvey.formats._common import TIME_FORMATS, parse_times, time_text

DATA = Path(__file__).parent / "data"
QUALTRICS = DATA / "qualtrics_three_row.csv"
LEGACY = DATA / "qualtrics_legacy_latin1.csv"
SURVEYMONKEY = DATA / "surveymonkey_bom_crlf.csv"
RECRUITER = "Do you work in recruitment (agency, executive search or in-house)?"

# format, file suffix, writer options, first data row, paradata the layout carries
ALL = ("respondent_id", "collector_id", "start_time", "end_time", "duration_s", "finished",
       "progress", "status", "email", "first_name", "last_name", "ip_address")  # fmt: skip
QUALTRICS_PARADATA = tuple(p for p in ALL if p != "collector_id")
SURVEYMONKEY_PARADATA = ("respondent_id", "collector_id", "start_time", "end_time", "email",
                         "first_name", "last_name", "ip_address")  # fmt: skip
CASES = [
    ("qualtrics", ".csv", {}, 4, QUALTRICS_PARADATA),
    ("qualtrics", ".csv", {"values": "numeric"}, 4, QUALTRICS_PARADATA),
    ("surveymonkey", ".csv", {}, 3, SURVEYMONKEY_PARADATA),
    ("surveymonkey", ".xlsx", {}, 3, SURVEYMONKEY_PARADATA),
    ("googleforms", ".csv", {}, 2, ("end_time", "email")),
    ("spss", ".sav", {}, 1, ALL),
    ("excel", ".xlsx", {}, 2, ALL),
    ("csv", ".csv", {}, 2, ALL),
    ("csv", ".csv", {"values": "labels"}, 2, ALL),
]


@pytest.fixture(scope="module")
def simulated(book) -> pd.DataFrame:
    """A small wave with every kind of row: tests, break-offs, duplicates, blanks, comments."""
    shares = simulate.shares_from_counts(example_counts(book))
    return simulate.simulate(
        book,
        shares,
        40,
        11,
        wave="2015",
        fieldwork=(dt.date(2015, 3, 1), dt.date(2015, 3, 31)),
        artefacts=simulate.Artefacts(tests=0.05, incomplete=0.1, duplicates=0.05, speeders=0.05),
        assumptions=follow_up_assumptions(book),
    )


def expected_text(values: pd.Series, var, how: str) -> list[object]:
    """What a file should hold for these codes, worked out from the codebook directly."""
    out = []
    for value in values:
        if pd.isna(value):
            out.append(None)
        elif var.type == "text":
            out.append(value)
        else:
            code = bool(value) if var.type == "boolean" else str(value)
            out.append(
                {
                    "labels": var.label_of(code),
                    "numeric": str(var.code_values.index(code) + 1),
                    "codes": code_text(code),
                }[how]
            )
    return out


def as_list(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in values]


@pytest.mark.parametrize(("fmt", "suffix", "options", "first_row", "paradata"), CASES)
def test_a_written_export_reads_back_to_its_frame(
    tmp_path, book, simulated, fmt, suffix, options, first_row, paradata
):
    path = tmp_path / f"wave{suffix}"
    write_export(simulated, path, fmt, book, **options)
    frame = read_export(path, fmt).frame
    source = simulated
    if fmt == "googleforms":  # Forms only ever holds submitted responses
        source = simulated[simulated["finished"]].reset_index(drop=True)
    assert len(frame) == len(source)
    assert frame["source_row"].tolist() == list(range(first_row, first_row + len(source)))
    for name in paradata:
        assert as_list(frame[name]) == as_list(source[name]), name
    how = options.get("values", "codes" if fmt == "csv" else "labels")
    # The wave-1 questions, one column each; test_roundtrip reads the follow-up layouts.
    for var in book.wave1:
        column = var.name if fmt == "csv" else var.question
        assert as_list(frame[column]) == expected_text(source[var.name], var, how), var.name
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(("fmt", "suffix", "options"), [c[:3] for c in CASES])
def test_writing_twice_gives_the_same_bytes(tmp_path, book, simulated, fmt, suffix, options):
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    write_export(simulated, first, fmt, book, **options)
    write_export(simulated, second, fmt, book, **options)
    assert first.read_bytes() == second.read_bytes()
    # Two writes within a second agree anyway: no clock may reach the bytes at all.
    if suffix == ".xlsx":
        with zipfile.ZipFile(first) as archive:
            assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            assert str(dt.date.today().year) not in archive.read("docProps/core.xml").decode()
    if suffix == ".sav":
        assert first.read_bytes()[92:109] == b"01 Jan 0000:00:00"


def test_surveymonkey_layout_is_two_header_rows_and_us_dates(tmp_path, book, simulated):
    path = tmp_path / "wave.csv"
    write_export(simulated.head(1), path, "surveymonkey", book)
    wording, sub, row = path.read_text().splitlines()[:3]
    assert wording.startswith('"Respondent ID","Collector ID","Start Date","End Date"')
    assert sub.startswith(',,,,,,,,"Response"') and '"Open-Ended Response"' in sub
    start = simulated["start_time"].iloc[0].strftime("%m/%d/%Y %I:%M:%S %p")
    assert f'"{start}"' in row


def test_qualtrics_numeric_export_numbers_choices_in_codebook_order(tmp_path, book):
    frame = pd.DataFrame(
        {"purpose": ["find_role", "other", None], "recruiter": [False, True, None]}
    )
    path = tmp_path / "numeric.csv"
    write_export(frame, path, "qualtrics", book, values="numeric")
    read = read_export(path, "qualtrics").frame
    assert as_list(read[book["purpose"].question]) == ["1", "6", None]
    assert as_list(read[RECRUITER]) == ["2", "1", None]


def test_an_unknown_code_is_refused_by_writers(tmp_path, book):
    frame = pd.DataFrame({"purpose": ["find_job"]})
    with pytest.raises(InputError, match=r"find_job.*purpose"):
        write_export(frame, tmp_path / "x.csv", "surveymonkey", book)


# ----------------------------------------------------------------- hand-written tool layouts


def test_qualtrics_three_row_fixture_with_bom_and_crlf():
    export = read_export(QUALTRICS, "qualtrics")
    frame = export.frame
    assert frame["source_row"].tolist() == [4, 5, 6]
    assert frame["status"].tolist() == ["preview", "response", "response"]
    assert frame["finished"].tolist() == [True, True, False]
    assert frame["progress"].tolist() == [100, 100, 57]
    assert frame["duration_s"].tolist() == [70, 283, 50]
    assert frame["respondent_id"].iloc[1] == "R_2bbbbbbbbbbbbbb"
    assert frame["email"].iloc[1] == "anna.smith@example.com"
    assert frame["start_time"].iloc[1] == pd.Timestamp("2015-03-02 09:15:02")
    assert frame["StartDate" if "StartDate" in frame else "start_time"].notna().all()
    assert export.alternates[RECRUITER] == ["Q1", "QID1", "column 18", "column R"]
    assert export.alternates["Is there anything else you would like to tell us?"] == [
        "Q8",
        "QID8_TEXT",
        "column 20",
        "column T",
    ]
    assert "RecordedDate" in frame and "UserLanguage" in frame
    assert as_list(frame[RECRUITER]) == ["Yes", "No", "No"]


def test_qualtrics_legacy_two_row_fixture_in_latin1():
    export = read_export(LEGACY, "qualtrics", encoding="latin-1")
    frame = export.frame
    assert frame["source_row"].tolist() == [3, 4]
    assert frame["respondent_id"].tolist() == ["R_4ddddddddddddd", "R_5eeeeeeeeeeeee"]
    assert frame["status"].tolist() == ["response", "test"]
    assert frame["finished"].tolist() == [True, True]
    assert frame["Name"].iloc[0] == "Müller, José"
    assert as_list(frame[RECRUITER]) == ["1", "2"]
    assert export.alternates[RECRUITER] == ["Q1", "column 11", "column K"]


def test_latin1_read_as_utf8_names_the_row_and_column_and_suggests_an_encoding():
    with pytest.raises(InputError, match="encoding") as error:
        read_export(LEGACY, "qualtrics")
    assert (error.value.row, error.value.column) == (3, "3 (C)")


def test_surveymonkey_fixture_with_bom_crlf_and_trailing_empty_columns():
    # Every day of this fixture is 12 or less: only the declared order can tell the dates.
    frame = read_export(SURVEYMONKEY, "surveymonkey", date_order="month_first").frame
    assert frame["source_row"].tolist() == [3, 4]
    assert "" not in frame.columns and frame.shape[1] == 13
    assert frame["start_time"].tolist() == [
        pd.Timestamp("2014-03-10 09:15:02"),
        pd.Timestamp("2014-03-10 13:05:00"),
    ]
    assert as_list(frame["Roughly how many LinkedIn connections do you have?"]) == [
        "1,000 or more",
        None,
    ]
    assert frame["Is there anything else you would like to tell us?"].iloc[0] == (
        'Said "hello", twice'
    )
    assert pd.isna(frame["email"].iloc[1])


def test_blank_lines_do_not_shift_row_numbers(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text('respondent_id,purpose\n1,hire\n\n2,"hire\nnow"\n3,hire\n\n')
    assert read_export(path, "csv").frame["source_row"].tolist() == [2, 4, 6]


# ----------------------------------------------------------------------------- bad input


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_file_is_named(tmp_path, fmt):
    with pytest.raises(InputError, match="cannot read the file") as error:
        read_export(tmp_path / "nowhere.csv", fmt)
    assert error.value.file == str(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\r\n  \n"])
def test_an_empty_file_is_called_empty(tmp_path, fmt, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty") as error:
        read_export(path, fmt)
    assert error.value.file == str(path)


def test_a_duplicated_header_is_told_apart_by_position(tmp_path):
    path = write(tmp_path / "dup.csv", "respondent_id,recruiter,purpose,recruiter\n1,true,hire,\n")
    export = read_export(path, "csv")
    assert export.told_apart == {
        "recruiter (column 2 (B))": "position 2 (B)",
        "recruiter (column 4 (D))": "position 4 (D)",
    }


def test_two_spellings_of_one_paradata_column_are_a_duplicate(tmp_path):
    path = write(tmp_path / "dup.csv", "ResponseId,purpose,respondent_id\n1,hire,2\n")
    with pytest.raises(InputError, match="both mean 'respondent_id'"):
        read_export(path, "csv")


@pytest.mark.parametrize(
    ("path", "declared", "expected", "found"),
    [
        (QUALTRICS, "surveymonkey", "SurveyMonkey", "qualtrics"),
        (SURVEYMONKEY, "qualtrics", "Qualtrics", "surveymonkey"),
        (SURVEYMONKEY, "googleforms", "Google Forms", "surveymonkey"),
        (QUALTRICS, "csv", "plain CSV", "qualtrics"),
    ],
)
def test_a_layout_of_another_format_says_what_was_expected_and_found(
    path, declared, expected, found
):
    with pytest.raises(InputError, match=f"expected an? {expected}") as error:
        read_export(path, declared)
    assert f"--format {found}" in str(error.value)
    assert error.value.row == 1


def test_a_surveymonkey_file_without_its_second_header_row_is_refused(tmp_path):
    path = write(tmp_path / "sm.csv", "Respondent ID,Start Date,Q\n1,03/10/2014 09:15:02 AM,Yes\n")
    with pytest.raises(InputError, match="SurveyMonkey") as error:
        read_export(path, "surveymonkey")
    assert error.value.row == 2


def test_a_row_with_too_many_fields_is_located(tmp_path):
    path = write(tmp_path / "ragged.csv", "respondent_id,purpose\n1,hire\n2,hire,extra\n3,hire\n")
    with pytest.raises(InputError, match="3 fields where the header has 2") as error:
        read_export(path, "csv")
    assert error.value.row == 3


def test_a_bad_date_is_located_under_its_file_header(tmp_path):
    text = SURVEYMONKEY.read_text(encoding="utf-8-sig").replace("03/10/2014 01:05:00 PM", "soon")
    path = write(tmp_path / "sm.csv", text)
    with pytest.raises(InputError, match="a value that is not a date") as error:
        read_export(path, "surveymonkey")
    assert (error.value.row, error.value.column) == (4, "Start Date")


def test_a_google_forms_timestamp_in_another_layout_is_located(tmp_path):
    text = "Timestamp,Q\n3/10/2014 9:15:02,Yes\n2014-03-11,No\n"
    with pytest.raises(InputError, match="a value that is not a date") as error:
        read_export(write(tmp_path / "g.csv", text), "googleforms")
    assert (error.value.row, error.value.column) == (3, "Timestamp")


def test_an_unknown_status_is_located(tmp_path):
    text = QUALTRICS.read_text(encoding="utf-8-sig").replace("Survey Preview", "Sneak Peek")
    with pytest.raises(InputError, match="a value that is not a status") as error:
        read_export(write(tmp_path / "q.csv", text), "qualtrics")
    assert (error.value.row, error.value.column) == (4, "Status")


def test_a_progress_above_100_is_located(tmp_path):
    path = write(tmp_path / "p.csv", "respondent_id,progress\n1,100\n2,140\n")
    with pytest.raises(InputError, match="a value that is not a number from 0 to 100") as error:
        read_export(path, "csv")
    assert (error.value.row, error.value.column) == (3, "progress")


def test_a_broken_importid_row_is_located(tmp_path):
    text = QUALTRICS.read_text(encoding="utf-8-sig").replace('{""ImportId"":""QID2""}', "{QID2")
    with pytest.raises(InputError, match="not an ImportId") as error:
        read_export(write(tmp_path / "q.csv", text), "qualtrics")
    assert (error.value.row, error.value.column) == (3, "19 (S)")


def test_answers_under_a_blank_header_are_read_under_their_position(tmp_path):
    path = write(tmp_path / "blank.csv", "respondent_id,,purpose\n1,,hire\n2,oops,hire\n")
    frame = read_export(path, "csv").frame
    assert as_list(frame["(no header) column 2 (B)"]) == [None, "oops"]


def test_an_unknown_encoding_is_refused():
    with pytest.raises(InputError, match="unknown encoding"):
        read_export(SURVEYMONKEY, "surveymonkey", encoding="klingon")


def test_a_csv_read_as_a_workbook_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"not an \.xlsx workbook"):
        read_export(SURVEYMONKEY, "excel")


def test_a_missing_sheet_lists_the_sheets(tmp_path, book, simulated):
    path = tmp_path / "wave.xlsx"
    write_export(simulated, path, "excel", book)
    assert len(read_export(path, "excel", sheet="Responses").frame) == len(simulated)
    with pytest.raises(InputError, match="'Responses'"):
        read_export(path, "excel", sheet="Sheet9")


def test_an_unknown_format_lists_the_formats():
    with pytest.raises(InputError, match="surveymonkey"):
        read_export(SURVEYMONKEY, "typeform")


# ----------------------------------------------------------------------------- properties

moments = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2060, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)


@settings(max_examples=60, deadline=None)
@given(times=st.lists(moments, min_size=1, max_size=20), layout=st.sampled_from(TIME_FORMATS[:6]))
def test_times_written_in_a_layout_parse_back_to_themselves(times, layout):
    values = pd.Series(pd.to_datetime(times))
    text = time_text(values, layout)
    assert text.tolist() == [t.strftime(layout) for t in times]
    parsed, used = parse_times(text)
    assert used == layout
    assert parsed.tolist() == values.tolist()


free_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
    )
    | st.sampled_from(['"', ",", "\n", "'", "é", "—"]),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())


@settings(max_examples=25, deadline=None)
@given(comments=st.lists(free_text, min_size=2, max_size=4))
def test_free_text_survives_and_rows_stay_located(tmp_path_factory, book, comments):
    frame = pd.DataFrame({"purpose": ["hire"] * len(comments), "comments": comments})
    path = tmp_path_factory.mktemp("text") / "wave.csv"
    write_export(frame, path, "surveymonkey", book)
    read = read_export(path, "surveymonkey").frame
    assert read[book["comments"].question].tolist() == comments
    lines = 3 + np.cumsum([0, *(c.count("\n") + 1 for c in comments[:-1])])
    assert read["source_row"].tolist() == lines.tolist()


def test_a_date_only_column_is_not_mistaken_for_a_time_with_an_offset():
    parsed, layout = parse_times(pd.Series(["2014-03-10", "2014-03-11"], dtype="string"))
    assert layout == "%Y-%m-%d"
    assert parsed.tolist() == [pd.Timestamp("2014-03-10"), pd.Timestamp("2014-03-11")]


def test_a_zone_suffix_after_a_time_is_converted_to_utc():
    values = pd.Series(["2014-03-10 09:15:02.5+01:00", "2014-03-10 10:00:00Z"], dtype="string")
    parsed, _ = parse_times(values)
    assert parsed.tolist() == [
        pd.Timestamp("2014-03-10 08:15:02"),
        pd.Timestamp("2014-03-10 10:00"),
    ]


def test_google_forms_durations_are_unknown_not_zero(tmp_path, book, simulated):
    path = tmp_path / "forms.csv"
    write_export(simulated, path, "googleforms", book)
    frame = read_export(path, "googleforms").frame
    assert frame["duration_s"].isna().all()
