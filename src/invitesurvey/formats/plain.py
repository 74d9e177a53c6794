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
    answers,
    one_header_row,
    paradata_text,
    read_csv_grid,
    write_csv,
)

EXPECTED = "a plain CSV (one header row of codebook variable names and paradata names)"


def read(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Export:
    """Read a plain CSV; a survey tool's layout is refused with the format it looks like."""
    return one_header_row(path, read_csv_grid(path, encoding), "csv", EXPECTED)


def write(frame: pd.DataFrame, path: Path, book: Codebook, *, values: str = "codes") -> None:
    """Paradata the frame holds, then one column per variable: ``codes`` or ``labels``."""
    if values not in ("codes", "labels"):
        raise ValueError(f"values must be 'codes' or 'labels', not {values!r}")
    paradata = [name for name in PARADATA if name in frame]
    items = answers(frame, book, values_as=values)
    body = pd.concat(
        [*(paradata_text(frame, name) for name in paradata), *(text for _, text in items)],
        axis=1,
        ignore_index=True,
    )
    write_csv(path, [[*paradata, *(var.name for var, _ in items)]], body)
