"""Readers on exports as the tools really write them (tests/data/README.md): every variant read
exactly, or refused with one located InputError that says what to declare."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import Workbook

from invitesurvey.errors import InputError
from invitesurvey.formats import read_export
from invitesurvey.formats._common import parse_times

DATA = Path(__file__).parent / "data"
RECRUITER = "Do you work in recruitment (agency, executive search or in-house)?"
PURPOSE = "What is your main reason for using LinkedIn at present?"
CONNECTIONS = "Roughly how many LinkedIn connections do you have?"
COMMENTS = "Is there anything else you would like to tell us?"
PENDING = "Roughly how many invitations to connect are waiting in your LinkedIn inbox right now?"
REASONS = "Why do you accept invitations from people you have never met? Select all that apply."
OPTIONS = [
    "Their profile looks useful to me",
    "They might help me find a new role",
    "They work in recruitment",
    "We have connections in common",
    "Any connection could be useful",
    "I never accept them",
]
OTHER = "Other (please specify)"
LIKELY = "How likely are you to accept an invitation from each of these?"
ROWS = [
    "A recruiter in my field",
    "A former colleague",
    "Someone I have never met, with a personal note",
    "Someone I have never met, with no note",
]
CLICK = "Click to write the question text"
SM_PARADATA = [
    "respondent_id",
    "collector_id",
    "start_time",
    "end_time",
    "ip_address",
    "email",
    "first_name",
    "last_name",
]
# Qualtrics' metadata columns, under the same names from a CSV and from a .sav.
QUALTRICS_HEAD = [
    "source_row",
    "start_time",
    "end_time",
    "status",
    "ip_address",
    "progress",
    "duration_s",
    "finished",
    "RecordedDate",
    "respondent_id",
    "last_name",
    "first_name",
    "email",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
    "Q_RecaptchaScore",
    "Q_RelevantIDDuplicate",
    "Q_RelevantIDDuplicateScore",
    "Q_RelevantIDFraudScore",
    "Q_RelevantIDLastStartDate",
]
QUALTRICS_QUESTIONS = [
    RECRUITER,
    PENDING,
    *(f"{REASONS} - {o}" for o in OPTIONS),
    f"{REASONS} - {OTHER}",
    f"{REASONS} - {OTHER} - Text",
    *(f"{LIKELY} - {r}" for r in ROWS),
    f"{CLICK} (Q11)",
    f"{CLICK} (Q12)",
    COMMENTS,
]
T = pd.Timestamp


def values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series]


def letters(n: int) -> str:
    """Spreadsheet letters of the 1-based column ``n``."""
    out = ""
    while n:
        n, digit = divmod(n - 1, 26)
        out = chr(ord("A") + digit) + out
    return out


def at(n: int) -> list[str]:
    """The position alternates of the 1-based column ``n``."""
    return [f"column {n}", f"column {letters(n)}"]


# ------------------------------------------------------------------ 1. SurveyMonkey paradata


def test_surveymonkey_paradata_spelt_without_spaces():
    export = read_export(DATA / "surveymonkey_nospace.csv", "surveymonkey")
    frame = export.frame
    assert list(frame.columns) == ["source_row", *SM_PARADATA, "CustomData", RECRUITER, COMMENTS]
    assert frame["source_row"].tolist() == [3, 4]
    assert frame["respondent_id"].tolist() == ["10602823556", "10602823999"]
    assert frame["start_time"].tolist() == [T("2015-03-16 09:15:02"), T("2015-03-17 13:05:00")]
    assert frame["end_time"].tolist() == [T("2015-03-16 09:19:40"), T("2015-03-17 13:06:12")]
    assert values(frame["email"]) == ["lena.novak@example.com", None]
    assert values(frame["CustomData"]) == ["panel-a", None]
    assert values(frame[RECRUITER]) == ["No", "Yes"]
    # Custom data is the tool's: no position alternates; questions get theirs.
    assert export.alternates == {RECRUITER: at(10), COMMENTS: at(11)}
    assert export.parts == {} and export.told_apart == {}


def test_surveymonkey_with_only_a_respondent_id_reads():
    export = read_export(DATA / "surveymonkey_id_only.csv", "surveymonkey")
    frame = export.frame
    assert list(frame.columns) == ["source_row", "respondent_id", RECRUITER, CONNECTIONS]
    assert frame["source_row"].tolist() == [3, 4]
    assert frame["respondent_id"].tolist() == ["11806331145", "11806331190"]
    assert values(frame[CONNECTIONS]) == ["500 to 999", None]
    assert export.alternates == {RECRUITER: at(2), CONNECTIONS: at(3)}


def test_surveymonkey_without_any_paradata_reads_by_its_second_header_row(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text(f'"{RECRUITER}",{CONNECTIONS}\r\nResponse,Response\r\nYes,500 to 999\r\n')
    frame = read_export(path, "surveymonkey").frame
    assert list(frame.columns) == ["source_row", RECRUITER, CONNECTIONS]
    assert frame.iloc[0].tolist() == [3, "Yes", "500 to 999"]


def test_a_spelt_together_respondent_id_with_a_value_below_is_refused_at_row_2(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("RespondentID,StartDate,Q\r\n1,03/16/2015 09:15:02 AM,Yes\r\n")
    with pytest.raises(InputError, match="expected a SurveyMonkey export") as error:
        read_export(path, "surveymonkey")
    assert (error.value.file, error.value.row) == (str(path), 2)


# ------------------------------------------------------ 2. SurveyMonkey multi-column questions


def test_surveymonkey_questions_over_several_columns_are_named_stem_dash_sub():
    export = read_export(DATA / "surveymonkey_multi_column.csv", "surveymonkey")
    frame = export.frame
    reasons = [f"{REASONS} - {o}" for o in [*OPTIONS, OTHER]]
    likely = [f"{LIKELY} - {r}" for r in ROWS]
    questions = [
        RECRUITER,
        PENDING,
        *reasons,
        *likely,
        PURPOSE,
        f"{PURPOSE} - {OTHER}",
        f"{CLICK} (column 25 (Y))",
        f"{CLICK} (column 26 (Z))",
        COMMENTS,
        "(no header) column 28 (AB)",
    ]
    assert list(frame.columns) == ["source_row", *SM_PARADATA, "Custom Data 1", *questions]
    assert export.parts == {
        **{f"{REASONS} - {o}": (REASONS, o) for o in [*OPTIONS, OTHER]},
        **{f"{LIKELY} - {r}": (LIKELY, r) for r in ROWS},
        f"{PURPOSE} - {OTHER}": (PURPOSE, OTHER),
    }
    assert export.told_apart == {
        f"{CLICK} (column 25 (Y))": "position 25 (Y)",
        f"{CLICK} (column 26 (Z))": "position 26 (Z)",
    }
    assert export.alternates == {name: at(n) for n, name in enumerate(questions, start=10)}
    assert frame["source_row"].tolist() == [3, 4]
    assert frame["start_time"].tolist() == [T("2015-03-16 09:15:02"), T("2015-03-17 14:05:00")]
    assert values(frame[PENDING]) == ["845", "about 1,200"]
    assert values(frame[reasons[0]]) == [OPTIONS[0], None]
    assert values(frame[reasons[1]]) == [None, OPTIONS[1]]
    assert values(frame[f"{REASONS} - {OTHER}"]) == [None, "A friend asked me to"]
    assert values(frame[likely[1]]) == ["Usually", None]
    assert values(frame[PURPOSE]) == ["Hiring or recruiting", "Other"]
    assert values(frame[f"{PURPOSE} - {OTHER}"]) == [None, "Finding a co-founder"]
    assert values(frame["(no header) column 28 (AB)"]) == ["stray", None]


# -------------------------------------------------------------- 3. repeated header wordings


def test_qualtrics_repeated_wordings_are_told_apart_by_export_tag():
    export = read_export(DATA / "qualtrics_multi_column.csv", "qualtrics")
    assert export.told_apart == {
        f"{CLICK} (Q11)": "export tag Q11",
        f"{CLICK} (Q12)": "export tag Q12",
    }
    assert export.alternates[f"{CLICK} (Q11)"] == ["Q11", "QID11", *at(37)]
    assert values(export.frame[f"{CLICK} (Q12)"]) == ["y", None, None]


def test_spss_repeated_labels_are_told_apart_by_variable_name():
    export = read_export(DATA / "qualtrics_multi_column.sav", "spss")
    assert export.told_apart == {
        f"{CLICK} (Q11)": "variable name Q11",
        f"{CLICK} (Q12)": "variable name Q12",
    }
    assert export.alternates[f"{CLICK} (Q12)"] == ["Q12"]


def test_qualtrics_repeated_tags_fall_back_to_import_ids(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        "ResponseId,Q5,Q5\n"
        f"Response ID,{CLICK},{CLICK}\n"
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID5""}","{""ImportId"":""QID6""}"\n'
        "R_1,a,b\n"
    )
    export = read_export(path, "qualtrics")
    assert list(export.frame.columns) == [
        "source_row",
        "respondent_id",
        f"{CLICK} (QID5)",
        f"{CLICK} (QID6)",
    ]
    assert export.told_apart == {
        f"{CLICK} (QID5)": "ImportId QID5",
        f"{CLICK} (QID6)": "ImportId QID6",
    }


@pytest.mark.parametrize("fmt", ["csv", "excel"])
def test_repeated_headers_of_one_row_layouts_are_told_apart_by_position(tmp_path, fmt):
    rows = [["respondent_id", "recruiter", "purpose", "recruiter"], ["1", "true", "hire", "false"]]
    if fmt == "csv":
        path = tmp_path / "dup.csv"
        path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    else:
        path = tmp_path / "dup.xlsx"
        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)
    export = read_export(path, fmt)
    assert list(export.frame.columns) == [
        "source_row",
        "respondent_id",
        "recruiter (column 2 (B))",
        "purpose",
        "recruiter (column 4 (D))",
    ]
    assert export.told_apart == {
        "recruiter (column 2 (B))": "position 2 (B)",
        "recruiter (column 4 (D))": "position 4 (D)",
    }
    assert export.alternates == {
        "recruiter (column 2 (B))": at(2),
        "purpose": at(3),
        "recruiter (column 4 (D))": at(4),
    }
    assert export.frame.iloc[0].tolist() == [2, "1", "true", "hire", "false"]


def test_two_headers_meaning_one_paradata_column_are_still_refused(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text(f'Respondent ID,RespondentID,"{RECRUITER}"\n,,Response\n1,2,Yes\n')
    with pytest.raises(InputError, match="both mean 'respondent_id'") as error:
        read_export(path, "surveymonkey")
    assert (error.value.row, error.value.column) == (1, "RespondentID")


# ----------------------------------------------------------------------------- 4. Qualtrics


def test_qualtrics_import_ids_in_python_dict_quotes_read():
    export = read_export(DATA / "qualtrics_single_quotes.csv", "qualtrics")
    assert list(export.frame.columns) == [*QUALTRICS_HEAD[:10], RECRUITER, PURPOSE]
    assert export.alternates == {
        RECRUITER: ["Q1", "QID1", *at(10)],
        PURPOSE: ["Q2", "QID2", *at(11)],
    }
    row = export.frame.iloc[0]
    assert row["source_row"] == 4 and row["respondent_id"] == "R_1aaaaaaaaaaaaaa"
    assert row["start_time"] == T("2015-03-16 09:15:02") and row["status"] == "response"


def test_qualtrics_legacy_v1_to_v10_map_to_standard_paradata():
    export = read_export(DATA / "qualtrics_legacy_latin1.csv", "qualtrics", encoding="latin-1")
    assert list(export.frame.columns) == [
        "source_row",
        "respondent_id",
        "ResponseSet",
        "Name",
        "ExternalReference",
        "email",
        "ip_address",
        "status",
        "start_time",
        "end_time",
        "finished",
        RECRUITER,
        "Which best describes your current level?",
        "LocationLatitude",
    ]
    assert export.alternates == {
        RECRUITER: ["Q1", *at(11)],
        "Which best describes your current level?": ["Q2", *at(12)],
    }
    assert export.frame["start_time"].tolist() == [T("2014-03-11 08:00:00"), T("2014-03-09 17:00")]


def test_qualtrics_multi_column_wordings_stay_whole_with_tag_and_import_id():
    export = read_export(DATA / "qualtrics_multi_column.csv", "qualtrics")
    frame = export.frame
    assert list(frame.columns) == [*QUALTRICS_HEAD, *QUALTRICS_QUESTIONS]
    assert export.parts == {}
    tags = ["Q1", "Q7", *(f"Q9_{i}" for i in range(1, 8)), "Q9_7_TEXT"]
    tags += [f"Q10_{i}" for i in range(1, 5)] + ["Q11", "Q12", "Q8"]
    ids = ["QID1", "QID7_TEXT", *(f"QID9_{i}" for i in range(1, 8)), "QID9_7_TEXT"]
    ids += [f"QID10_{i}" for i in range(1, 5)] + ["QID11", "QID12", "QID8_TEXT"]
    assert export.alternates == {
        name: [tag, import_id, *at(n)]
        for n, (name, tag, import_id) in enumerate(
            zip(QUALTRICS_QUESTIONS, tags, ids, strict=True), start=23
        )
    }
    assert frame["source_row"].tolist() == [4, 5, 6]
    assert frame["status"].tolist() == ["response", "response", "preview"]
    assert values(frame[f"{REASONS} - {OTHER} - Text"]) == [None, "A friend asked me to", None]
    assert values(frame[f"{LIKELY} - {ROWS[0]}"]) == ["Always", "Usually", None]
    assert values(frame["Q_RecaptchaScore"]) == ["0.9", "0.4", None]


def test_qualtrics_metadata_has_the_same_names_from_csv_and_sav():
    csv = read_export(DATA / "qualtrics_multi_column.csv", "qualtrics")
    sav = read_export(DATA / "qualtrics_multi_column.sav", "spss")
    assert (
        list(sav.frame.columns)
        == list(csv.frame.columns)
        == [
            *QUALTRICS_HEAD,
            *QUALTRICS_QUESTIONS,
        ]
    )
    for export in (csv, sav):
        assert not set(QUALTRICS_HEAD) & set(export.alternates)
        assert not set(QUALTRICS_HEAD) & set(export.parts)
    for name in ("start_time", "end_time", "status", "progress", "finished", "respondent_id"):
        assert values(sav.frame[name]) == values(csv.frame[name]), name
    for name in (
        "RecordedDate",
        "LocationLatitude",
        "DistributionChannel",
        "Q_RelevantIDFraudScore",
    ):
        assert values(sav.frame[name]) == values(csv.frame[name]), name


# ------------------------------------------------------------------------------- 5. times


@pytest.mark.parametrize(
    ("texts", "expected", "layout"),
    [
        (
            ["2021/01/23 10:58:38 pm GMT+8", "2021/01/24 9:05 AM GMT+8"],
            ["2021-01-23 14:58:38", "2021-01-24 01:05:00"],
            "%Y/%m/%d %I:%M:%S %p",
        ),
        (
            ["03/16/2015 09:15 am", "03/16/2015 12:00:59 PM", "03/17/2015 12:01 a.m."],
            ["2015-03-16 09:15:00", "2015-03-16 12:00:59", "2015-03-17 00:01:00"],
            "%m/%d/%Y %I:%M:%S %p",
        ),
        (
            ["16/05/2025 14:11:48", "03/05/2025 09:00"],
            ["2025-05-16 14:11:48", "2025-05-03 09:00:00"],
            "%d/%m/%Y %H:%M:%S",
        ),
        (
            ["2014-03-10T09:15:02Z", "2014-03-10 09:15:02.5+01:00", "2014-03-10 09:15 GMT-05:00"],
            ["2014-03-10 09:15:02", "2014-03-10 08:15:02", "2014-03-10 14:15:00"],
            "%Y-%m-%d %H:%M:%S",
        ),
        (
            ["2014-03-10 09:15:02 UTC", "2014-03-10 23:59:59 +0530", "2014-03-11 00:00:00"],
            ["2014-03-10 09:15:02", "2014-03-10 18:29:59", "2014-03-11 00:00:00"],
            "%Y-%m-%d %H:%M:%S",
        ),
        (
            ["3/9/2014 9:15:02", "3/10/2014 13:05:00"],
            ["2014-03-09 09:15:02", "2014-03-10 13:05"],
            None,
        ),
        (["10.03.14", "31.03.14"], ["2014-03-10", "2014-03-31"], "%d.%m.%y"),
    ],
)
def test_times_in_other_locales_parse_exactly(texts, expected, layout):
    parsed, used = parse_times(pd.Series([*texts, None], dtype="string"))
    assert parsed.tolist()[:-1] == [T(e) for e in expected]
    assert parsed.isna().tolist()[-1]
    if layout:
        assert used == layout


def test_the_layout_is_chosen_by_the_whole_column_not_its_first_value():
    # The first value reads both ways; the third has a day above 12: day first, all rows.
    texts = pd.Series(["03/05/2025 09:00:00", "04/05/2025 09:00:00", "16/05/2025 14:11:48"])
    parsed, layout = parse_times(texts)
    assert layout == "%d/%m/%Y %H:%M:%S"
    assert parsed.tolist() == [
        T("2025-05-03 09:00"),
        T("2025-05-04 09:00"),
        T("2025-05-16 14:11:48"),
    ]


def test_a_day_first_google_forms_export_reads():
    frame = read_export(DATA / "googleforms_day_first.csv", "googleforms").frame
    assert frame["end_time"].tolist() == [T("2025-05-03 09:00:00"), T("2025-05-16 14:11:48")]
    assert frame["start_time"].tolist() == frame["end_time"].tolist()


def test_an_ambiguous_export_is_refused_naming_the_column_and_two_rows():
    path = DATA / "googleforms_ambiguous.csv"
    with pytest.raises(InputError) as error:
        read_export(path, "googleforms")
    assert (error.value.file, error.value.row, error.value.column) == (str(path), 2, "Timestamp")
    assert error.value.message == (
        "every date reads both month first and day first (no day is above 12): "
        "row 2 reads as 2025-03-05 or 2025-05-03, "
        "row 4 reads as 2025-05-04 or 2025-04-05"
    )
    assert error.value.hint == "Declare date_order in the waves sheet (month_first or day_first)."


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("month_first", ["2025-03-05 14:11:48", "2025-04-05 09:00", "2025-05-04 10:00"]),
        ("day_first", ["2025-05-03 14:11:48", "2025-05-04 09:00", "2025-04-05 10:00"]),
    ],
)
def test_a_declared_date_order_decides(order, expected):
    frame = read_export(DATA / "googleforms_ambiguous.csv", "googleforms", date_order=order).frame
    assert frame["end_time"].tolist() == [T(e) for e in expected]


def test_the_existing_surveymonkey_fixture_needs_its_date_order():
    path = DATA / "surveymonkey_bom_crlf.csv"
    with pytest.raises(InputError, match="row 3 reads as 2014-03-10 or"):
        read_export(path, "surveymonkey")
    frame = read_export(path, "surveymonkey", date_order="month_first").frame
    assert frame["start_time"].tolist() == [T("2014-03-10 09:15:02"), T("2014-03-10 13:05")]


def test_start_and_end_times_share_the_order_one_of_them_decides(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text(
        f'Respondent ID,Start Date,End Date,"{RECRUITER}"\n,,,Response\n'
        "1,03/05/2025 11:58 PM,03/13/2025 12:10 AM,Yes\n"
    )
    frame = read_export(path, "surveymonkey").frame
    assert frame["start_time"].tolist() == [T("2025-03-05 23:58")]
    assert frame["end_time"].tolist() == [T("2025-03-13 00:10")]


def test_a_value_in_another_layout_is_reported_before_any_ambiguity(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Timestamp,Q\n03/05/2025 14:11:48,Yes\n2025-05-04 09:00,No\n")
    with pytest.raises(InputError, match="a value that is not a date and time") as error:
        read_export(path, "googleforms")
    assert (error.value.row, error.value.column) == (3, "Timestamp")
    assert "as in row 2." in error.value.hint


def test_a_date_that_does_not_exist_in_the_declared_order_is_located(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Timestamp,Q\n03/05/2025 14:11:48,Yes\n16/05/2025 09:00:00,No\n")
    with pytest.raises(InputError, match="a value that is not a date") as error:
        read_export(path, "googleforms", date_order="month_first")
    assert (error.value.row, error.value.column) == (3, "Timestamp")
    assert "date_order month_first" in error.value.hint


def test_an_unknown_date_order_is_refused():
    with pytest.raises(InputError, match="unknown date_order 'ymd'") as error:
        read_export(DATA / "googleforms_day_first.csv", "googleforms", date_order="ymd")
    assert "month_first or day_first" in error.value.hint


def test_a_million_timestamps_parse_in_well_under_two_seconds():
    stamps = pd.Timestamp("2015-03-01") + pd.to_timedelta(
        np.random.default_rng(1).integers(0, 30 * 86400, 1_000_000), unit="s"
    )
    text = pd.Series(stamps.strftime("%m/%d/%Y %I:%M:%S %p"), dtype="string[pyarrow]")
    start = time.perf_counter()
    parsed, layout = parse_times(text)
    elapsed = time.perf_counter() - start
    assert layout == "%m/%d/%Y %I:%M:%S %p"
    assert (parsed.to_numpy() == stamps.to_numpy().astype("datetime64[s]")).all()
    assert elapsed < 2.0, elapsed


# ----------------------------------------------------------------------------------- 6. SPSS


def test_an_spss_date_out_of_range_is_one_located_error():
    path = DATA / "spss_date_out_of_range.sav"
    with pytest.raises(InputError) as error:
        read_export(path, "spss")
    assert (error.value.file, error.value.row, error.value.column) == (str(path), 2, "StartDate")
    assert error.value.message.startswith("1e+15 seconds is out of range for a datetime variable")


def test_any_pyreadstat_failure_is_one_error_naming_the_variable(monkeypatch):
    path = DATA / "qualtrics_multi_column.sav"
    read_sav = pyreadstat.read_sav

    def failing(file, **options):
        if options.get("metadataonly") or options.get("usecols") not in (None, ["Q7"]):
            return read_sav(file, **options)
        raise OverflowError("date value out of range")

    monkeypatch.setattr(pyreadstat, "read_sav", failing)
    with pytest.raises(InputError, match=r"OverflowError: date value out of range") as error:
        read_export(path, "spss")
    assert (error.value.file, error.value.column) == (str(path), "Q7")


def test_a_broken_sav_file_is_one_error_naming_the_file(tmp_path):
    path = tmp_path / "cut.sav"
    path.write_bytes((DATA / "qualtrics_multi_column.sav").read_bytes()[:900])
    with pytest.raises(InputError, match=r"not a readable SPSS \.sav file") as error:
        read_export(path, "spss")
    assert error.value.file == str(path)


def test_an_spss_multiple_response_set_becomes_parts_of_one_question():
    path = DATA / "qualtrics_multi_column.sav"
    _, meta = pyreadstat.read_sav(path, metadataonly=True)
    assert meta.mr_sets == {
        "Q9": {
            "type": "D",
            "is_dichotomy": True,
            "counted_value": 1,
            "label": REASONS,
            "variable_list": [f"Q9_{i}" for i in range(1, 8)],
        }
    }
    export = read_export(path, "spss")
    assert export.parts == {f"{REASONS} - {o}": (REASONS, o) for o in [*OPTIONS, OTHER]}
    members = [f"{REASONS} - {o}" for o in [*OPTIONS, OTHER]]
    assert [export.alternates[m] for m in members] == [[f"Q9_{i}"] for i in range(1, 8)]
    assert values(export.frame[members[0]]) == [OPTIONS[0], None, None]
    assert values(export.frame[members[5]]) == [None, None, OPTIONS[5]]
    assert export.frame["source_row"].tolist() == [1, 2, 3]


def test_the_spss_fixtures_are_what_their_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make", DATA / "make_spss_fixtures.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    make.DATA = tmp_path
    make.qualtrics()
    make.out_of_range()
    for name in ("qualtrics_multi_column.sav", "spss_date_out_of_range.sav"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


# ---------------------------------------------------------------------------- 7. Google Forms


def test_google_forms_grids_blank_titles_and_unheaded_columns():
    export = read_export(DATA / "googleforms_zone_grid.csv", "googleforms")
    frame = export.frame
    grid = [f"{LIKELY} [{r}]" for r in ROWS]
    questions = [
        RECRUITER,
        PENDING,
        REASONS,
        *grid,
        "[First row]",
        "[Second row]",
        "Untitled Question (column 12 (L))",
        "Untitled Question (column 13 (M))",
        "(no header) column 14 (N)",
    ]
    paradata = ["end_time", "start_time", "finished", "progress", "duration_s", "email"]
    assert list(frame.columns) == ["source_row", *paradata, *questions]
    assert export.parts == {
        **{f"{LIKELY} [{r}]": (LIKELY, r) for r in ROWS},
        "[First row]": ("", "First row"),
        "[Second row]": ("", "Second row"),
    }
    assert export.told_apart == {
        "Untitled Question (column 12 (L))": "position 12 (L)",
        "Untitled Question (column 13 (M))": "position 13 (M)",
    }
    assert export.alternates == {name: at(n) for n, name in enumerate(questions, start=3)}
    assert frame["end_time"].tolist() == [T("2021-01-23 14:58:38"), T("2021-01-24 01:05:00")]
    assert values(frame[REASONS]) == [f"{OPTIONS[0]}, {OPTIONS[2]}", OPTIONS[5]]
    assert values(frame[grid[1]]) == ["Usually", None]
    assert values(frame["(no header) column 14 (N)"]) == ["stray", None]


def test_answers_under_no_header_are_read_under_their_position(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("respondent_id,,purpose,,\n1,,hire,,\n2,oops,hire,,\n")
    export = read_export(path, "csv")
    assert list(export.frame.columns) == [
        "source_row",
        "respondent_id",
        "(no header) column 2 (B)",
        "purpose",
    ]
    assert values(export.frame["(no header) column 2 (B)"]) == [None, "oops"]
    assert export.alternates["(no header) column 2 (B)"] == at(2)


def test_qualtrics_unheaded_answers_are_read_under_their_position(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        f'ResponseId,Q1,\nResponse ID,"{RECRUITER}",\n'
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}",\nR_1,Yes,stray\n'
    )
    export = read_export(path, "qualtrics")
    assert list(export.frame.columns) == [
        "source_row",
        "respondent_id",
        RECRUITER,
        "(no header) column 3 (C)",
    ]
