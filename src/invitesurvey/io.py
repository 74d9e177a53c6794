"""Deterministic, atomic reading and writing of the files that pass between rules."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from invitesurvey import yamlfile
from invitesurvey.atomic import atomic_path
from invitesurvey.errors import InputError

FLOAT_FORMAT = "%.6f"
# p-value columns (named p_...) keep six significant digits: 2.5e-17 must not print as 0.000000.
P_VALUE_FORMAT = "{:.6g}"
# What makes a spreadsheet read a CSV cell as a formula (OWASP), and the quote that escapes it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet will not run (OWASP, "CSV Injection").

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
    formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` in a respondent id,
    say); a single quote in front makes it plain text. A cell that already starts with a quote
    gets one too, so that :func:`read_table` can take exactly one away again.
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _is_text(column: pd.Series) -> bool:
    """Object, string and categorical columns may hold text; numbers and booleans never do."""
    return (
        isinstance(column.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(column)
        or pd.api.types.is_string_dtype(column)
    )


def _starts(column: pd.Series, prefixes: str | tuple[str, ...]) -> pd.Series:
    """Which cells are text starting with one of ``prefixes`` (never a number or a gap)."""
    return column.astype(object).map(lambda v: isinstance(v, str) and v.startswith(prefixes))


def _spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell and column name made spreadsheet-safe. Numbers, booleans and missing
    values are left as they are, even in an object column, and a frame with nothing to
    neutralise is written exactly as before."""
    changed = {}
    for name, column in frame.items():
        if _is_text(column):
            formula = _starts(column, FORMULA_STARTS)
            if formula.any():
                text = column.astype(object)
                changed[name] = text.where(~formula, "'" + text[formula].astype(str))
    names = [spreadsheet_safe(c) if isinstance(c, str) else c for c in frame.columns]
    if not changed and names == list(frame.columns):
        return frame
    out = frame.copy()
    for name, column in changed.items():
        out[name] = column
    out.columns = names
    return out


def _p_values_kept(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns whose name starts with ``p_`` as text at six significant digits."""
    names = [
        name
        for name, column in frame.items()
        if isinstance(name, str) and name.startswith("p_") and pd.api.types.is_float_dtype(column)
    ]
    if not names:
        return frame
    out = frame.copy()
    for name in names:
        out[name] = out[name].map(lambda v: "" if pd.isna(v) else P_VALUE_FORMAT.format(v))
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV for auditing: no index, ``\\n`` line ends, floats at six decimals (p-value columns,
    named ``p_...``, at six significant digits, so a tiny p is not 0.000000), and no cell a
    spreadsheet would run as a formula (:func:`spreadsheet_safe`).

    Python's csv module quotes a cell holding a line feed but not one holding a lone carriage
    return, which every reader then takes for the end of the row; a table with such a cell has
    all its text quoted instead.
    """
    safe = _p_values_kept(_spreadsheet_safe_frame(frame))
    returns = any(_is_text(c) and _contains(c, "\r").any() for _, c in safe.items())
    with atomic_path(path) as tmp:
        safe.to_csv(
            tmp,
            index=False,
            lineterminator="\n",
            float_format=FLOAT_FORMAT,
            quoting=csv.QUOTE_NONNUMERIC if returns else csv.QUOTE_MINIMAL,
        )


def _contains(column: pd.Series, text: str) -> pd.Series:
    return column.astype(object).map(lambda v: isinstance(v, str) and text in v)


def require_columns(frame: pd.DataFrame, columns: list[str], file: str) -> None:
    """Fail naming the file and every column of ``columns`` the table lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing columns {', '.join(missing)}",
            file=file,
            hint="Regenerate the table; its columns are fixed in docs/architecture.md.",
        )


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_table`, codes kept as text and the quote that made a
    text cell spreadsheet-safe taken away again."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"code": "string"})
    frame.columns = [c[1:] if c.startswith("'") else c for c in frame.columns]
    for name, column in frame.items():
        if _is_text(column):
            quoted = _starts(column, "'")
            if quoted.any():
                text = column.astype(object)
                frame[name] = text.where(~quoted, text[quoted].str[1:]).astype(column.dtype)
    return frame


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Typed respondent-level data between rules."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def read_parquet(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path, engine="pyarrow")


def read_waves(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Stack the cleaned waves; the ``wave`` column keeps them apart."""
    frames = [read_parquet(p) for p in paths]
    pooled = pd.concat(frames, ignore_index=True)
    for column, dtype in frames[0].dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            pooled[column] = pooled[column].astype(dtype)
    return pooled


def _rounded(value: object) -> object:
    """Floats to ten significant digits, in any nesting: the last bits of an iterative fit
    may differ between BLAS builds, and no reader needs them."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


def write_json(data: object, path: str | Path) -> None:
    """Sorted keys, two-space indent, rounded floats and a final newline: the same bytes."""
    with atomic_path(path) as tmp:
        text = json.dumps(_rounded(data), indent=2, sort_keys=True, default=str)
        tmp.write_text(text + "\n")


def read_yaml(path: str | Path, what: str) -> dict:
    """A YAML configuration file as a dict (empty if the file is); ``what`` names it in errors.

    Aliases, nesting deeper than 100 levels and files over 16 MiB are refused with one error
    (:mod:`invitesurvey.yamlfile`): a few lines of nested aliases would expand to billions of
    values in whatever walks the result.
    """
    return yamlfile.load(path, what) or {}


def read_json(path: str | Path) -> object:
    return json.loads(Path(path).read_text(encoding="utf-8"))
