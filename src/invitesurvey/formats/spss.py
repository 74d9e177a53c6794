"""SPSS ``.sav`` files: value labels become the answer text, variable labels the wording.

Paradata are recognised by variable name (``respondent_id``, ``StartDate``,
``Duration__in_seconds_`` ... see ``PARADATA_NAMES``); every other variable is named by its
variable label when it has one, with the variable name as an alternate. A case's row is its
case number, as in SPSS's Data View.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from invitesurvey.codebook import Codebook, normalise
from invitesurvey.errors import InputError
from invitesurvey.formats._common import (
    ISO_LAYOUT,
    PARADATA,
    PARADATA_NAMES,
    Export,
    Grid,
    answer_text,
    assemble,
    read_bytes,
    time_text,
)
from invitesurvey.io import atomic_path

# Variable labels the writer gives the paradata (read back by variable name, not by these).
PARADATA_LABELS = {
    "respondent_id": "Respondent ID",
    "collector_id": "Collector ID",
    "start_time": "Start date",
    "end_time": "End date",
    "duration_s": "Duration (in seconds)",
    "finished": "Finished",
    "progress": "Progress",
    "status": "Response status",
    "email": "Email address",
    "first_name": "First name",
    "last_name": "Last name",
    "ip_address": "IP address",
}
# The .sav header records when it was written (bytes 92-108: "dd mmm yy" and "hh:mm:ss").
_STAMP = slice(92, 109)
_FIXED_STAMP = b"01 Jan 0000:00:00"


def _text(values: pd.Series) -> pd.Series:
    """A .sav column as export text: whole numbers without ``.0``, blank strings as ``<NA>``."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return time_text(values, ISO_LAYOUT)
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        numbers = values.astype("Float64")
        whole = numbers.round().astype("Int64").astype("string")
        return whole.where(numbers == numbers.round(), numbers.astype("string"))
    text = values.astype("string")
    return text.mask(text.str.strip() == "")


def read(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Export:
    """Read a .sav file with value labels applied."""
    import pyreadstat

    read_bytes(path)
    try:
        data, meta = pyreadstat.read_sav(path, apply_value_formats=True, encoding=encoding)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeError) as error:
        raise InputError(
            f"not a readable SPSS .sav file ({error})",
            file=path,
            hint="Save it again from SPSS as .sav, or pass its encoding.",
        ) from error
    names, alternates = [], {}
    for variable, label in zip(meta.column_names, meta.column_labels, strict=True):
        if normalise(variable) in PARADATA_NAMES or not label:
            names.append(variable)
        else:
            names.append(label)
            alternates[label] = [variable]
    cells = pd.DataFrame({i: _text(data[c]) for i, c in enumerate(meta.column_names)})
    grid = Grid(path, cells, np.arange(1, len(cells) + 1))
    return Export(path, assemble(grid, names, 0), alternates)


def _sav_values(frame: pd.DataFrame, name: str) -> pd.Series:
    """A paradata column as pyreadstat writes it: datetimes, floats or strings."""
    values = frame[name]
    if name in ("start_time", "end_time"):
        return pd.to_datetime(values).astype("datetime64[ns]")
    if name in ("duration_s", "progress", "finished"):
        return values.astype("Float64").astype("float64")
    return values.astype(object).where(values.notna(), None)


def write(frame: pd.DataFrame, path: Path, book: Codebook) -> None:
    """Paradata, then items as numeric codes 1..k with value labels and the wording as label.

    The write time stored in the header is fixed so a rerun gives the same bytes.
    """
    import pyreadstat

    paradata = [name for name in PARADATA if name in frame]
    columns = {name: _sav_values(frame, name) for name in paradata}
    labels = [PARADATA_LABELS[name] for name in paradata]
    value_labels = {}
    for var in book.variables:
        if var.name not in frame:
            continue
        if var.type == "text":
            columns[var.name] = _sav_values(frame, var.name)
        else:
            numbers = answer_text(frame[var.name], var, values_as="numeric")
            columns[var.name] = numbers.astype("Float64").astype("float64")
            value_labels[var.name] = {float(i): a.label for i, a in enumerate(var.codes, 1)}
        labels.append(var.question)
    with atomic_path(path) as tmp:
        pyreadstat.write_sav(
            pd.DataFrame(columns), tmp, column_labels=labels, variable_value_labels=value_labels
        )
        raw = bytearray(tmp.read_bytes())
        raw[_STAMP] = _FIXED_STAMP
        tmp.write_bytes(bytes(raw))
