"""Plain CSV (format ``csv``): one header row of codebook variable names and standard paradata
names; answers are codes or labels, kept as text for harmonise to map.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook
from invitesurvey.formats._common import (
    PARADATA,
    Export,
    one_header_row,
    paradata_text,
    part_text,
    read_csv_grid,
    write_csv,
    written_questions,
)

EXPECTED = "a plain CSV (one header row of codebook variable names and paradata names)"


def read(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read a plain CSV; a survey tool's layout is refused with the format it looks like."""
    return one_header_row(path, read_csv_grid(path, encoding), "csv", EXPECTED, date_order)


def write(frame: pd.DataFrame, path: Path, book: Codebook, *, values: str = "codes") -> None:
    """Paradata the frame holds, then the answers under their clean-data column names
    (``accept_reasons__mutual``; the "other" text under its text variable's name):
    ``codes`` (``true``/``false`` for select-all options) or ``labels`` (an option's label
    when chosen, blank when not)."""
    if values not in ("codes", "labels"):
        raise ValueError(f"values must be 'codes' or 'labels', not {values!r}")
    paradata = [name for name in PARADATA if name in frame]
    parts = [part for _, own in written_questions(frame, book) for part in own]
    body = pd.concat(
        [
            *(paradata_text(frame, name) for name in paradata),
            *(part_text(frame, p, values_as=values) for p in parts),
        ],
        axis=1,
        ignore_index=True,
    )
    write_csv(path, [[*paradata, *(p.column for p in parts)]], body)
