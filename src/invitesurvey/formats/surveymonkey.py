"""SurveyMonkey exports: two header rows, as CSV or, by file extension, .xlsx.

Row 1 holds the paradata headers (Respondent ID ... Last Name, or spelt together as older
exports do: ``RespondentID``, ``StartDate`` ...; an owner may keep only some, even the id
alone) then each question's wording (exports with custom variables add columns such as
``Custom Data 1`` or ``CustomData``, tool columns that ingest ignores); row 2 is blank under
paradata. A question answered in one column has ``Response`` (or ``Open-Ended Response``)
in row 2 and keeps its wording as name. A question over several columns (select-all options,
grid rows, an "Other (please specify)" box) has its wording over the first column only and
each column's label in row 2: the columns are named ``"{wording} - {label}"`` with
``parts[name] = (wording, label)``; a choice question's own ``Response`` column beside its
"Other (please specify)" box keeps the plain wording. Dates look like
``03/10/2014 09:15:02 AM`` (month or day first by locale). There is no status, progress or
finished column: cleaning derives them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook, Variable, normalise
from invitesurvey.formats._common import (
    PARADATA_NAMES,
    SURVEYMONKEY_IDS,
    SURVEYMONKEY_SUBS,
    Column,
    Export,
    Part,
    assemble,
    header_rows,
    is_tool_column,
    mismatch,
    other_answer,
    paradata_text,
    part_text,
    read_grid,
    write_csv,
    write_xlsx,
    written_questions,
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
# Row 2 under a question answered in one column: the column keeps the question's wording.
_WHOLE = frozenset(normalise(s) for s in ("Response", "Open-Ended Response"))


def _question_columns(stem: str, block: list[tuple[int, str]]) -> list[Column]:
    """The columns of one question: its wording over the first, row 2 naming each column.

    A question answered in one column (``Response``, ``Open-Ended Response`` or nothing in row
    2) keeps its wording, as does a choice question's ``Response`` column beside its "Other
    (please specify)" box; every other column is ``"{stem} - {sub}"``, one part of the question.
    """
    if len(block) == 1 and (not block[0][1] or normalise(block[0][1]) in _WHOLE):
        return [Column(block[0][0], stem)]
    return [
        Column(index, stem)
        if normalise(sub) == normalise("Response")
        else Column(index, f"{stem} - {sub}", part=(stem, sub))
        for index, sub in block
    ]


def _columns(wording: list[str], sub: list[str]) -> list[Column]:
    """Name every column: paradata by their header, questions spread over their columns."""
    columns: list[Column] = []
    stem, block = "", []
    for index, (head, below) in enumerate(zip(wording, sub, strict=True)):
        if head and not below and (normalise(head) in PARADATA_NAMES or is_tool_column(head)):
            columns += _question_columns(stem, block) if block else []
            stem, block = "", []
            columns.append(Column(index, head, tool=is_tool_column(head)))
        elif head:
            columns += _question_columns(stem, block) if block else []
            stem, block = head, [(index, below)]
        elif below and block:  # a later column of the question (its text stands over the first)
            block.append((index, below))
        else:
            columns += _question_columns(stem, block) if block else []
            stem, block = "", []
            columns.append(Column(index, ""))
    return columns + (_question_columns(stem, block) if block else [])


def read(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read a SurveyMonkey CSV or .xlsx export (any paradata kept, spelt with or without
    spaces; questions over one column or several)."""
    grid = read_grid(path, encoding, sheet)
    wording, sub = header_rows(grid, 2)
    ids = [i for i, h in enumerate(wording) if normalise(h) in SURVEYMONKEY_IDS]
    if ids and sub[ids[0]]:
        raise mismatch(grid, "surveymonkey", EXPECTED, row=1)
    if not ids and not SURVEYMONKEY_SUBS & {normalise(s) for s in sub}:
        raise mismatch(grid, "surveymonkey", EXPECTED)
    return assemble(grid, _columns(wording, sub), 2, names_row=1, date_order=date_order)


def _question(frame: pd.DataFrame, var: Variable, parts: list[Part]) -> list[tuple[str, pd.Series]]:
    """Header row 2 and the cells of each column a question takes.

    A select-all takes one column per option (its label when chosen) and, with an "other",
    one ``Other (please specify)`` column holding what was written; a grid one per row, the
    scale label in the cell.
    """
    if var.type == "multiple":
        options = [(p.label, part_text(frame, p)) for p in parts if p.kind == "option"]
        other = next((p for p in parts if p.kind == "other"), None)
        return options + ([(other.label, other_answer(frame, parts))] if other else [])
    if var.type == "grid":
        return [(p.label, part_text(frame, p)) for p in parts]
    sub = "Open-Ended Response" if var.type in ("text", "numeric") else "Response"
    return [(sub, part_text(frame, parts[0]))]


def write(frame: pd.DataFrame, path: Path, book: Codebook) -> None:
    """Lay out a canonical raw frame as SurveyMonkey does; ``.xlsx`` paths get a workbook.

    A question spanning several columns has its wording over the first only, the option or
    row labels in header row 2.
    """
    wording = list(PARADATA_HEADERS)
    sub = [""] * len(PARADATA_HEADERS)
    columns = [paradata_text(frame, name, TIME_LAYOUT) for name in PARADATA_HEADERS.values()]
    for var, parts in written_questions(frame, book):
        for later, (label, text) in enumerate(_question(frame, var, parts)):
            wording.append("" if later else var.question)
            sub.append(label)
            columns.append(text)
    body = pd.concat(columns, axis=1, ignore_index=True)
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, [wording, sub], body, title="Sheet")
    else:
        write_csv(path, [wording, sub], body)
