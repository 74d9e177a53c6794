"""SurveyMonkey exports: two header rows, as CSV or, by file extension, .xlsx.

Row 1 holds the paradata headers (Respondent ID ... Last Name) then each question's wording
(exports with custom variables add columns such as ``Custom Data 1``, which ingest ignores);
row 2 is blank under paradata, ``Response`` under a single-choice question and
``Open-Ended Response`` under an open-ended one. Dates look like ``03/10/2014 09:15:02 AM``.
There is no status, progress or finished column: cleaning derives them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook, normalise
from invitesurvey.formats._common import (
    Export,
    answers,
    assemble,
    header_rows,
    mismatch,
    paradata_text,
    read_grid,
    write_csv,
    write_xlsx,
)

# Header of each paradata column in file order -> standard name.
PARADATA_HEADERS: dict[str, str | None] = {
    "Respondent ID": "respondent_id",
    "Collector ID": "collector_id",
    "Start Date": "start_time",
    "End Date": "end_time",
    "IP Address": "ip_address",
    "Email Address": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
}
TIME_LAYOUT = "%m/%d/%Y %I:%M:%S %p"
EXPECTED = (
    "a SurveyMonkey export (row 1: Respondent ID, Collector ID, Start Date, ... then the "
    "questions; row 2: blank under those, Response under each question)"
)


def read(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Export:
    """Read a SurveyMonkey CSV or .xlsx export."""
    grid = read_grid(path, encoding, sheet)
    wording, sub = header_rows(grid, 2)
    keys = [normalise(h) for h in wording]
    if normalise("Respondent ID") not in keys:
        raise mismatch(grid, "surveymonkey", EXPECTED)
    if sub[keys.index(normalise("Respondent ID"))]:
        raise mismatch(grid, "surveymonkey", EXPECTED, row=1)
    return Export(path, assemble(grid, wording, 2))


def write(frame: pd.DataFrame, path: Path, book: Codebook) -> None:
    """Lay out a canonical raw frame as SurveyMonkey does; ``.xlsx`` paths get a workbook."""
    items = answers(frame, book)
    wording = [*PARADATA_HEADERS, *(var.question for var, _ in items)]
    sub = [""] * len(PARADATA_HEADERS) + [
        "Open-Ended Response" if var.type == "text" else "Response" for var, _ in items
    ]
    columns = [paradata_text(frame, name, TIME_LAYOUT) for name in PARADATA_HEADERS.values()]
    body = pd.concat([*columns, *(text for _, text in items)], axis=1, ignore_index=True)
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, [wording, sub], body, title="Sheet")
    else:
        write_csv(path, [wording, sub], body)
