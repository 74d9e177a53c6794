"""Google Forms responses downloaded as CSV: ``Timestamp``, optionally ``Email Address``, then
one column per question headed by its wording.

Forms records a response only when it is submitted, so every row is finished at 100% progress,
and the timestamp (submission time) stands for both start and end; there is no duration.
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
)

# US-locale Forms write 3/10/2014 9:15:02; the reader also takes the zero-padded and ISO forms.
TIME_LAYOUT = "%m/%d/%Y %H:%M:%S"
EXPECTED = "a Google Forms export (row 1: Timestamp, then the questions)"


def read(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Export:
    """Read a Google Forms CSV; add the paradata every submitted response implies."""
    grid = read_grid(path, encoding, sheet)
    (header,) = header_rows(grid, 1)
    if not header or normalise(header[0]) != normalise("Timestamp"):
        raise mismatch(grid, "googleforms", EXPECTED)
    frame = assemble(grid, header, 1)
    frame.insert(2, "start_time", frame["end_time"])
    frame.insert(3, "finished", pd.array([True] * len(frame), dtype="boolean"))
    frame.insert(4, "progress", pd.array([100.0] * len(frame), dtype="Float64"))
    # Unknown, not zero: a zero duration would make every response a speeder.
    frame.insert(5, "duration_s", pd.array([None] * len(frame), dtype="Float64"))
    return Export(path, frame)


def write(frame: pd.DataFrame, path: Path, book: Codebook) -> None:
    """Only finished responses, as Forms keeps no others; timestamp = end time."""
    if "finished" in frame:
        frame = frame[frame["finished"].astype("boolean").fillna(False).to_numpy()]
    items = answers(frame, book)
    header = ["Timestamp", "Email Address", *(var.question for var, _ in items)]
    body = pd.concat(
        [
            paradata_text(frame, "end_time", TIME_LAYOUT),
            paradata_text(frame, "email"),
            *(text for _, text in items),
        ],
        axis=1,
        ignore_index=True,
    )
    write_csv(path, [header], body)
