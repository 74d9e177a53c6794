"""Survey tool exports: one module per format, read into an :class:`Export`, written from a frame.

Readers only parse a layout: they locate every row, give the paradata standard names and types
and keep every other column under its header text. Matching questions to codebook variables is
:mod:`invitesurvey.harmonise`'s job. Writers take the canonical raw frame (paradata plus one
column of codes per codebook variable) and lay it out as the tool would.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pandas as pd

from invitesurvey.codebook import Codebook
from invitesurvey.errors import InputError
from invitesurvey.formats._common import PARADATA, Export, check_date_order

__all__ = ["FORMATS", "PARADATA", "Export", "read_export", "write_export"]

FORMATS = ("qualtrics", "surveymonkey", "googleforms", "spss", "excel", "csv")

# ``csv`` is the format's name, but a module of that name would read as the standard library's.
_MODULES = {fmt: fmt for fmt in FORMATS} | {"csv": "plain"}


def _module(fmt: str) -> ModuleType:
    """The module of a format, imported on first use so unused formats cost nothing."""
    if fmt not in _MODULES:
        raise InputError(
            f"unknown export format {fmt!r}", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    return importlib.import_module(f"invitesurvey.formats.{_MODULES[fmt]}")


def read_export(
    path: str | Path,
    fmt: str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read an export of format ``fmt``; ``encoding`` for CSV, ``sheet`` for workbooks,
    ``date_order`` (``month_first`` or ``day_first``) for dates whose day and month could be
    either (blank: decided by the values, refused when they cannot decide)."""
    order = check_date_order(date_order)
    return _module(fmt).read(Path(path), encoding=encoding, sheet=sheet, date_order=order)


def write_export(
    frame: pd.DataFrame, path: str | Path, fmt: str, book: Codebook, **options: object
) -> None:
    """Write a canonical raw frame as an export of format ``fmt`` (options are per format)."""
    _module(fmt).write(frame, Path(path), book, **options)
