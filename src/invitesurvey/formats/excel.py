"""Excel workbooks (.xlsx): one header row of question wording and paradata names on the first
sheet or a named one. Dates may be date cells or text; answers are kept as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook
from invitesurvey.formats._common import (
    PARADATA,
    Export,
    one_header_row,
    part_text,
    part_wording,
    read_sheet_grid,
    write_xlsx,
    written_questions,
)

EXPECTED = "a workbook with one header row of question wording and paradata names"


def read(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read one sheet; a survey tool's multi-row layout is refused with the format it looks like."""
    return one_header_row(path, read_sheet_grid(path, sheet), "excel", EXPECTED, date_order)


def _cells(frame: pd.DataFrame, name: str) -> pd.Series:
    """Paradata as typed cells: date cells for times, numbers, booleans, text."""
    values = frame[name]
    if name in ("start_time", "end_time"):
        return pd.to_datetime(values).astype(object)
    if name in ("duration_s", "progress"):
        return values.astype("Float64").round().astype("Int64").astype(object)
    return values.astype(object)


def write(frame: pd.DataFrame, path: Path, book: Codebook, *, sheet: str = "Responses") -> None:
    """Paradata under their standard names, then each question's labels under its wording.

    Questions spanning several columns are headed as Qualtrics words them: ``Question -
    Option`` (the option's label when chosen, blank when not), ``Question - Row``, and
    ``Question - Other (please specify) - Text``.
    """
    paradata = [name for name in PARADATA if name in frame]
    parts = [part for _, own in written_questions(frame, book) for part in own]
    header = [*paradata, *(part_wording(p) for p in parts)]
    body = pd.concat(
        [*(_cells(frame, name) for name in paradata), *(part_text(frame, p) for p in parts)],
        axis=1,
        ignore_index=True,
    )
    write_xlsx(path, [header], body, title=sheet)
