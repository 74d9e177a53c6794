"""Write the SPSS fixtures of tests/test_readers.py (run from the repository root):

    .venv/bin/python tests/data/make_spss_fixtures.py

``qualtrics_multi_column.sav`` is the survey of ``qualtrics_multi_column.csv`` as Qualtrics
saves it for SPSS (its variable names, numeric codes with value labels, dates as DATETIME)
plus a multiple-response set over the select-all question, which pyreadstat can read but not
write: the set is inserted as the dictionary record SPSS writes for it (record type 7,
subtype 7: ``$name=D<length> <counted value> <label length> <label> <variables>`` and a line
feed; see PSPP's "Multiple Response Sets Records"). ``spss_date_out_of_range.sav`` holds a
DATETIME value no calendar can show (1e15 seconds after 1582-10-14). The write time in each
header is fixed so a rerun gives the same bytes.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

DATA = Path(__file__).parent
REASONS = "Why do you accept invitations from people you have never met? Select all that apply."
OPTIONS = [
    "Their profile looks useful to me",
    "They might help me find a new role",
    "They work in recruitment",
    "We have connections in common",
    "Any connection could be useful",
    "I never accept them",
]
LIKELY = "How likely are you to accept an invitation from each of these?"
ROWS = [
    "A recruiter in my field",
    "A former colleague",
    "Someone I have never met, with a personal note",
    "Someone I have never met, with no note",
]
SCALE = {1.0: "Always", 2.0: "Usually", 3.0: "Sometimes", 4.0: "Never"}
_STAMP = slice(92, 109)
_FIXED_STAMP = b"01 Jan 0000:00:00"


def _record_end(raw: bytes) -> int:
    """The offset of the dictionary termination record (type 999) of a little-endian .sav."""
    pos = 176
    while True:
        (kind,) = struct.unpack_from("<i", raw, pos)
        if kind == 2:  # variable
            has_label, missing = struct.unpack_from("<ii", raw, pos + 8)
            pos += 32
            if has_label:
                (length,) = struct.unpack_from("<i", raw, pos)
                pos += 4 + (length + 3) // 4 * 4
            pos += abs(missing) * 8
        elif kind == 3:  # value labels, then their type-4 variable list
            (count,) = struct.unpack_from("<i", raw, pos + 4)
            pos += 8
            for _ in range(count):
                pos += 8 + (raw[pos + 8] + 1 + 7) // 8 * 8
        elif kind == 4:
            (count,) = struct.unpack_from("<i", raw, pos + 4)
            pos += 8 + 4 * count
        elif kind == 6:  # documents
            (count,) = struct.unpack_from("<i", raw, pos + 4)
            pos += 8 + 80 * count
        elif kind == 7:  # extension records
            size, count = struct.unpack_from("<ii", raw, pos + 8)
            pos += 16 + size * count
        elif kind == 999:
            return pos
        else:
            raise ValueError(f"unexpected record type {kind} at byte {pos}")


def with_mr_sets(raw: bytes, lines: list[str]) -> bytes:
    """``raw`` with a multiple-response-sets record before the dictionary's end."""
    assert raw[:4] == b"$FL2" and struct.unpack_from("<i", raw, 64)[0] == 2, "little-endian"
    body = "".join(lines).encode("utf-8")
    record = struct.pack("<iiii", 7, 7, 1, len(body)) + body
    end = _record_end(raw)
    return raw[:end] + record + raw[end:]


def dichotomy_set(name: str, label: str, counted: int, variables: list[str]) -> str:
    value = str(counted)
    size = len(label.encode("utf-8"))
    return f"${name}=D{len(value)} {value} {size} {label} {' '.join(variables)}\n"


def save(frame: pd.DataFrame, path: Path, mr_sets: list[str] = (), **options) -> None:
    tmp = path.with_suffix(".tmp.sav")
    pyreadstat.write_sav(frame, tmp, **options)
    raw = bytearray(tmp.read_bytes())
    raw[_STAMP] = _FIXED_STAMP
    out = with_mr_sets(bytes(raw), list(mr_sets)) if mr_sets else bytes(raw)
    path.write_bytes(out)
    tmp.unlink()


def qualtrics() -> None:
    """The three responses of qualtrics_multi_column.csv, as a Qualtrics .sav."""
    t = pd.to_datetime
    columns: dict[str, list] = {
        "StartDate": t(["2015-03-16 09:15:02", "2015-03-17 14:02:11", "2015-03-12 10:00:00"]),
        "EndDate": t(["2015-03-16 09:19:45", "2015-03-17 14:03:01", "2015-03-12 10:01:10"]),
        "Status": [0.0, 0.0, 1.0],
        "IPAddress": ["192.0.2.10", "198.51.100.7", ""],
        "Progress": [100.0, 100.0, 50.0],
        "Duration__in_seconds_": [283.0, 50.0, 70.0],
        "Finished": [1.0, 1.0, 0.0],
        "RecordedDate": t(["2015-03-16 09:19:45", "2015-03-17 14:03:01", "2015-03-12 10:01:10"]),
        "ResponseId": ["R_1aaaaaaaaaaaaaa", "R_2bbbbbbbbbbbbbb", "R_3cccccccccccccc"],
        "RecipientLastName": ["Smith", "", ""],
        "RecipientFirstName": ["Anna", "", ""],
        "RecipientEmail": ["anna.smith@example.com", "", ""],
        "ExternalReference": ["", "", ""],
        "LocationLatitude": ["-33.8591", "", ""],
        "LocationLongitude": ["151.2002", "", ""],
        "DistributionChannel": ["email", "anonymous", "preview"],
        "UserLanguage": ["EN", "EN", "EN"],
        "Q_RecaptchaScore": [0.9, 0.4, np.nan],
        "Q_RelevantIDDuplicate": ["", "true", ""],
        "Q_RelevantIDDuplicateScore": [np.nan, 100.0, np.nan],
        "Q_RelevantIDFraudScore": [0.0, 30.0, np.nan],
        "Q_RelevantIDLastStartDate": ["", "2015-03-16 09:15:02", ""],
        "Q1": [1.0, 2.0, 2.0],
        "Q7": ["845", "1,200", ""],
    }
    chosen = {1: [1, None, None], 2: [None, 1, None], 3: [1, None, None], 6: [None, None, 1]}
    for i in range(1, 8):
        columns[f"Q9_{i}"] = [np.nan if v is None else float(v) for v in chosen.get(i, [None] * 3)]
    columns["Q9_7"] = [np.nan, 1.0, np.nan]
    columns["Q9_7_TEXT"] = ["", "A friend asked me to", ""]
    grid = [[1.0, 2.0, 3.0, 4.0], [2.0, np.nan, 4.0, 4.0], [np.nan] * 4]
    for i in range(1, 5):
        columns[f"Q10_{i}"] = [row[i - 1] for row in grid]
    columns["Q11"] = ["x", "", ""]
    columns["Q12"] = ["y", "", ""]
    columns["Q8"] = ["Good survey, thanks", "", ""]
    frame = pd.DataFrame(columns)
    labels = {
        "StartDate": "Start Date",
        "EndDate": "End Date",
        "Status": "Response Type",
        "IPAddress": "IP Address",
        "Progress": "Progress",
        "Duration__in_seconds_": "Duration (in seconds)",
        "Finished": "Finished",
        "RecordedDate": "Recorded Date",
        "ResponseId": "Response ID",
        "RecipientLastName": "Recipient Last Name",
        "RecipientFirstName": "Recipient First Name",
        "RecipientEmail": "Recipient Email",
        "ExternalReference": "External Data Reference",
        "LocationLatitude": "Location Latitude",
        "LocationLongitude": "Location Longitude",
        "DistributionChannel": "Distribution Channel",
        "UserLanguage": "User Language",
        "Q1": "Do you work in recruitment (agency, executive search or in-house)?",
        "Q7": "Roughly how many invitations to connect are waiting in your LinkedIn inbox "
        "right now?",
        "Q9_7_TEXT": f"{REASONS} - Other (please specify) - Text",
        "Q11": "Click to write the question text",
        "Q12": "Click to write the question text",
        "Q8": "Is there anything else you would like to tell us?",
    }
    # Members of the set: a bare option label, and once the "question - option" form.
    labels |= {f"Q9_{i}": option for i, option in enumerate(OPTIONS, 1)}
    labels["Q9_6"] = f"{REASONS} - {OPTIONS[5]}"
    labels["Q9_7"] = "Other (please specify)"
    labels |= {f"Q10_{i}": f"{LIKELY} - {row}" for i, row in enumerate(ROWS, 1)}
    value_labels = {
        "Status": {0.0: "IP Address", 1.0: "Survey Preview"},
        "Finished": {0.0: "False", 1.0: "True"},
        "Q1": {1.0: "Yes", 2.0: "No"},
    }
    value_labels |= {f"Q9_{i}": {1.0: option} for i, option in enumerate(OPTIONS, 1)}
    value_labels["Q9_7"] = {1.0: "Other (please specify)"}
    value_labels |= {f"Q10_{i}": SCALE for i in range(1, 5)}
    members = [f"Q9_{i}" for i in range(1, 8)]
    save(
        frame,
        DATA / "qualtrics_multi_column.sav",
        [dichotomy_set("Q9", REASONS, 1, members)],
        column_labels=[labels.get(c) for c in frame.columns],
        variable_value_labels=value_labels,
    )


def out_of_range() -> None:
    """A respondent whose start date is 1e15 seconds after 1582-10-14 (year 31 million)."""
    frame = pd.DataFrame(
        {
            "ResponseId": ["R_1aaaaaaaaaaaaaa", "R_2bbbbbbbbbbbbbb"],
            "StartDate": [13_644_666_902.0, 1e15],
            "Q1": [1.0, 2.0],
        }
    )
    save(
        frame,
        DATA / "spss_date_out_of_range.sav",
        column_labels=["Response ID", "Start Date", "Do you work in recruitment?"],
        variable_format={"StartDate": "DATETIME20"},
        variable_value_labels={"Q1": {1.0: "Yes", 2.0: "No"}},
    )


if __name__ == "__main__":
    qualtrics()
    out_of_range()
    _, meta = pyreadstat.read_sav(DATA / "qualtrics_multi_column.sav", metadataonly=True)
    print(meta.mr_sets)
