"""Google Forms responses downloaded as CSV: ``Timestamp``, optionally ``Email Address``, then
one column per question headed by its wording; a grid gives one column per row,
``Question [Row]`` (``parts`` ``(Question, Row)``; an untitled grid `` [Row]``, stem blank); a
select-all's chosen options stay joined by ", " in one column (harmonise splits them).
Timestamps follow the form owner's locale (``3/10/2014 9:15:02``, ``16/05/2025 14:11:48``,
``2021/01/23 10:58:38 pm GMT+8``; a zone is converted to UTC).

Forms records a response only when it is submitted, so every row is finished at 100% progress,
and the timestamp (submission time) stands for both start and end; there is no duration.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook, Variable, normalise
from invitesurvey.formats._common import (
    Column,
    Export,
    Part,
    assemble,
    header_rows,
    join_text,
    mismatch,
    other_answer,
    paradata_text,
    part_text,
    read_grid,
    write_csv,
    written_questions,
)

# US-locale Forms write 3/10/2014 9:15:02; the reader also takes the zero-padded and ISO forms.
TIME_LAYOUT = "%m/%d/%Y %H:%M:%S"
EXPECTED = "a Google Forms export (row 1: Timestamp, then the questions)"


# A grid row's column: "Question [Row]" (the question may be blank: " [Row]").
_GRID_ROW = re.compile(r"(?P<stem>.*?)\s*\[(?P<row>[^\[\]]+)\]", re.DOTALL)


def _column(index: int, header: str) -> Column:
    grid_row = _GRID_ROW.fullmatch(header)
    if grid_row is None:
        return Column(index, header)
    return Column(index, header, part=(grid_row["stem"], grid_row["row"].strip()))


def read(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read a Google Forms CSV; add the paradata every submitted response implies.

    A grid's rows are ``Question [Row]`` (parts ``(Question, Row)``); a select-all's chosen
    options stay joined by ", " in one column.
    """
    grid = read_grid(path, encoding, sheet)
    (header,) = header_rows(grid, 1)
    if not header or normalise(header[0]) != normalise("Timestamp"):
        raise mismatch(grid, "googleforms", EXPECTED)
    columns = [_column(i, h) for i, h in enumerate(header)]
    export = assemble(grid, columns, 1, date_order=date_order)
    frame = export.frame
    frame.insert(2, "start_time", frame["end_time"])
    frame.insert(3, "finished", pd.array([True] * len(frame), dtype="boolean"))
    frame.insert(4, "progress", pd.array([100.0] * len(frame), dtype="Float64"))
    # Unknown, not zero: a zero duration would make every response a speeder.
    frame.insert(5, "duration_s", pd.array([None] * len(frame), dtype="Float64"))
    return export


def write(frame: pd.DataFrame, path: Path, book: Codebook) -> None:
    """Only finished responses, as Forms keeps no others; timestamp = end time."""
    if "finished" in frame:
        frame = frame[frame["finished"].astype("boolean").fillna(False).to_numpy()]
    header = ["Timestamp", "Email Address"]
    columns = [paradata_text(frame, "end_time", TIME_LAYOUT), paradata_text(frame, "email")]
    for var, parts in written_questions(frame, book):
        for wording, text in _question(frame, var, parts):
            header.append(wording)
            columns.append(text)
    write_csv(path, [header], pd.concat(columns, axis=1, ignore_index=True))


def _question(frame: pd.DataFrame, var: Variable, parts: list[Part]) -> list[tuple[str, pd.Series]]:
    """Header and cells of each column a question takes.

    A select-all is one column: the chosen options' labels joined by ``, `` in codebook order,
    what was written in "Other" last (Forms' own "Other:" box). A grid is a column per row
    headed ``Question [Row]``. A number is the text typed.
    """
    if var.type == "multiple":
        chosen = [part_text(frame, p) for p in parts if p.kind == "option"]
        other = [other_answer(frame, parts)] if any(p.kind == "other" for p in parts) else []
        return [(var.question, join_text([*chosen, *other]))]
    if var.type == "grid":
        return [(f"{var.question} [{p.label}]", part_text(frame, p)) for p in parts]
    return [(var.question, part_text(frame, parts[0]))]
