"""SPSS ``.sav`` files: value labels become the answer text, variable labels the wording.

Paradata are recognised by variable name (``respondent_id``, ``StartDate``,
``Duration__in_seconds_`` ... see ``PARADATA_NAMES``), and a tool's metadata variables
(Qualtrics' ``RecordedDate``, ``LocationLatitude``, ``Q_RecaptchaScore`` ... see
``TOOL_METADATA``) keep their variable name, the name a Qualtrics CSV gives them too; every
other variable is named by its variable label when it has one, with the variable name as an
alternate (labels that repeat are told apart by it: ``"{label} (Q11)"``). The members of a
multiple-response set are one select-all question: ``"{set label} - {sub}"`` with
``parts[name] = (set label, sub)``, ``sub`` the variable label (without the set label in
front), else the counted value's value label. Dates are converted here, from SPSS's seconds
since 1582-10-14, so a value out of any calendar's range is one located error; any other
failure of pyreadstat is one InputError naming the file and, where it can be found, the
variable. A case's row is its case number, as in SPSS's Data View.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from invitesurvey.codebook import Codebook, normalise
from invitesurvey.errors import InputError
from invitesurvey.formats._common import (
    ISO_LAYOUT,
    MAX_SAV_CELLS,
    PARADATA,
    PARADATA_NAMES,
    Column,
    Export,
    Grid,
    answer_text,
    assemble,
    is_tool_column,
    part_text,
    part_wording,
    read_bytes,
    time_text,
    written_questions,
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
# Value label of 0 in a select-all option's 0/1 variable: seen, not chosen.
NOT_SELECTED = "Not selected"


# SPSS stores a date as seconds since 1582-10-14 (the Gregorian calendar's first day).
_SPSS_EPOCH = np.datetime64("1582-10-14T00:00:00", "s")
_LAST_SECOND = int((np.datetime64("9999-12-31T23:59:59", "s") - _SPSS_EPOCH).astype(np.int64))
# Print formats holding dates, date-times and times of day (``DATETIME20``, ``ADATE10`` ...).
_DATETIME_FORMATS = ("DATETIME", "YMDHMS")
_DATE_FORMATS = ("DATE", "ADATE", "EDATE", "JDATE", "SDATE")
_TIME_FORMATS = ("TIME", "DTIME")
# What tells apart variables whose labels repeat (told_apart: "variable name Q9_1").
_BY = "variable name"


def _format_kind(spss_format: str) -> str | None:
    """``datetime``, ``date`` or ``time`` for a print format holding one, else ``None``."""
    base = spss_format.rstrip("0123456789.").upper()
    for kind, formats in (
        ("datetime", _DATETIME_FORMATS),
        ("date", _DATE_FORMATS),
        ("time", _TIME_FORMATS),
    ):
        if base in formats:
            return kind
    return None


def _dates(values: pd.Series, kind: str, variable: str, path: Path) -> pd.Series:
    """SPSS seconds -> ISO text (``2015-03-02 09:15:02``, ``2015-03-02`` or ``09:15:02``);
    a value no calendar can show (before 1582-10-14, after 9999) is refused, located."""
    seconds = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(seconds)
    limit = np.inf if kind == "time" else _LAST_SECOND
    bad = known & ((seconds < 0) | (seconds > limit))
    if bad.any():
        case = int(np.argmax(bad))
        raise InputError(
            f"{seconds[case]:.10g} seconds is out of range for a {kind} variable (SPSS dates "
            "run from 1582-10-14 to 9999-12-31)",
            file=path,
            row=case + 1,
            column=variable,
            hint="Correct the value in SPSS (or set it missing) and save the file again.",
        )
    whole = np.round(np.where(known, seconds, 0)).astype(np.int64)
    if kind == "time":
        hours, rest = np.divmod(whole, 3600)
        text = pd.Series(
            [f"{h:02d}:{r // 60:02d}:{r % 60:02d}" for h, r in zip(hours, rest, strict=True)],
            index=values.index,
            dtype="string",
        )
    else:
        stamps = pd.Series(_SPSS_EPOCH + whole.astype("timedelta64[s]"), index=values.index)
        text = time_text(stamps, ISO_LAYOUT if kind == "datetime" else "%Y-%m-%d")
    return text.mask(~known)


def _text(values: pd.Series, spss_format: str = "", variable: str = "", path: Path = Path()):
    """A .sav column as export text: dates in ISO form, whole numbers without ``.0``, blank
    strings as ``<NA>``."""
    kind = _format_kind(spss_format)
    numeric = pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values)
    if kind and numeric:
        return _dates(values, kind, variable, path)
    if pd.api.types.is_datetime64_any_dtype(values):
        return time_text(values, ISO_LAYOUT)
    if numeric:
        numbers = values.astype("Float64")
        whole = numbers.round().astype("Int64").astype("string")
        return whole.where(numbers == numbers.round(), numbers.astype("string"))
    text = values.astype("string")
    return text.mask(text.str.strip() == "")


def _unreadable(path: Path, encoding: str | None, error: Exception) -> InputError:
    """One error for anything pyreadstat raises, naming the variable it fails on if one does."""
    import pyreadstat

    variable = None
    try:
        _, meta = pyreadstat.read_sav(path, metadataonly=True, encoding=encoding)
        for name in meta.column_names:
            try:
                pyreadstat.read_sav(path, usecols=[name], encoding=encoding)
            except Exception:  # the variable it fails on
                variable = name
                break
    except Exception:  # the file itself is unreadable: no variable to name
        variable = None
    kind = type(error).__name__
    return InputError(
        f"not a readable SPSS .sav file ({kind}: {error})",
        file=path,
        column=variable,
        hint=(
            "Pass the file's encoding (e.g. --encoding cp1252)."
            if isinstance(error, UnicodeError)
            else "Save it again from SPSS as .sav (correct the variable's values if named), "
            "or pass its encoding."
        ),
    )


def _multiple_response(meta: object) -> dict[str, tuple[str, str]]:
    """Variable name (case folded) -> (set label, sub) for the members of MR sets.

    ``sub`` is the variable's label without the set label in front, else the value label of
    the counted value (dichotomy sets), else the variable name.
    """
    members: dict[str, tuple[str, str]] = {}
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    names = {name.casefold(): name for name in meta.column_names}
    for set_name, mr in (getattr(meta, "mr_sets", None) or {}).items():
        stem = (mr.get("label") or set_name.lstrip("$")).strip()
        counted = mr.get("counted_value")
        for member in mr.get("variable_list") or []:
            variable = names.get(str(member).casefold())
            if variable is None:
                continue
            label = (labels.get(variable) or "").strip()
            if label.casefold().startswith(f"{stem} - ".casefold()):
                label = label[len(stem) + 3 :].strip()
            value_labels = meta.variable_value_labels.get(variable, {})
            counted_label = value_labels.get(counted) if counted is not None else None
            if counted_label is None and counted is not None:
                counted_label = value_labels.get(float(counted))
            sub = label or (str(counted_label) if mr.get("is_dichotomy") else "") or variable
            members[variable.casefold()] = (stem, sub)
    return members


def read(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read a .sav file with value labels applied; multiple-response sets become parts."""
    import pyreadstat

    read_bytes(path)
    try:
        _, shape = pyreadstat.read_sav(path, metadataonly=True, encoding=encoding)
    except Exception as error:
        raise _unreadable(path, encoding, error) from error
    cells = (shape.number_rows or 0) * (shape.number_columns or 0)
    if cells > MAX_SAV_CELLS:
        raise InputError(
            f"the file holds {shape.number_rows:,} rows of {shape.number_columns:,} variables, "
            f"over the limit of {MAX_SAV_CELLS:,} values",
            file=path,
            hint="Export only the survey's responses, or split the file by date.",
        )
    try:
        data, meta = pyreadstat.read_sav(
            path, apply_value_formats=True, encoding=encoding, disable_datetime_conversion=True
        )
    except Exception as error:  # pyreadstat raises many kinds (OverflowError, ReadstatError...)
        raise _unreadable(path, encoding, error) from error
    members = _multiple_response(meta)
    formats = meta.original_variable_types or {}
    columns, cells = [], {}
    for index, (variable, label) in enumerate(
        zip(meta.column_names, meta.column_labels, strict=True)
    ):
        cells[index] = _text(data[variable], formats.get(variable, ""), variable, path)
        if normalise(variable) in PARADATA_NAMES:
            columns.append(Column(index, variable))
        elif is_tool_column(variable):
            columns.append(Column(index, variable, key="", tool=True))
        elif variable.casefold() in members:
            stem, sub = members[variable.casefold()]
            part = (stem, sub)
            name = f"{stem} - {sub}"
            columns.append(Column(index, name, tag=variable, key="", part=part, tag_kind=_BY))
        else:
            columns.append(Column(index, label or variable, tag=variable, key="", tag_kind=_BY))
    frame = pd.DataFrame(cells, index=range(len(data)))
    grid = Grid(path, frame, np.arange(1, len(frame) + 1))
    return assemble(grid, columns, 0, date_order=date_order, positions=False)


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

    Variables are named by their clean-data columns. A number is a numeric variable; a
    select-all one 0/1 variable per option (value labels ``Not selected`` and the option's
    label; all missing when the question was not answered) labelled ``Question - Option``, its
    "other" text a string variable; a grid one variable per row labelled ``Question - Row``
    with the scale as value labels. pyreadstat cannot write multiple-response sets, so the
    file has none. The write time stored in the header is fixed so a rerun gives the same bytes.
    """
    import pyreadstat

    paradata = [name for name in PARADATA if name in frame]
    columns = {name: _sav_values(frame, name) for name in paradata}
    labels = [PARADATA_LABELS[name] for name in paradata]
    value_labels = {}
    for var, parts in written_questions(frame, book):
        for part in parts:
            name = part.column
            if part.kind == "other_text" or var.type == "text":
                text = part_text(frame, part)
                columns[name] = text.astype(object).where(text.notna(), None)
            elif var.type == "numeric":
                columns[name] = frame[name].astype("Float64").astype("float64")
            elif part.kind in ("option", "other"):
                flags = frame[name].astype("boolean").astype("Float64")
                columns[name] = flags.astype("float64")
                value_labels[name] = {0.0: NOT_SELECTED, 1.0: part.label}
            else:
                numbers = answer_text(frame[name], var, values_as="numeric")
                columns[name] = numbers.astype("Float64").astype("float64")
                value_labels[name] = {float(i): a.label for i, a in enumerate(var.codes, 1)}
            labels.append(part_wording(part))
    with atomic_path(path) as tmp:
        pyreadstat.write_sav(
            pd.DataFrame(columns), tmp, column_labels=labels, variable_value_labels=value_labels
        )
        raw = bytearray(tmp.read_bytes())
        raw[_STAMP] = _FIXED_STAMP
        tmp.write_bytes(bytes(raw))
