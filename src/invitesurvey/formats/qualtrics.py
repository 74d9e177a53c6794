"""Qualtrics CSV exports: the three-row layout and the legacy two-row one.

Three-row: row 1 export tags (``StartDate`` ... ``UserLanguage``, then ``Q1``, ``Q2`` ...),
row 2 the question wording, row 3 ImportIds as JSON (``{"ImportId":"QID1"}``) or in
Python-dict quotes (``{'ImportId': 'QID1'}``). Legacy: row 1 ``V1`` ... ``V10`` and question
tags, row 2 ``ResponseID`` ... ``Finished`` (read as the standard paradata) and the wording.

Question columns (ImportId ``QID...``) are named by their wording, a multi-column question's
``Question - Option`` kept whole (``Q9_1``, ``Q9_7_TEXT`` "... - Other (please specify) -
Text", grid ``Q10_1``): harmonise splits it. Their tag, ImportId and position are alternates;
a wording that repeats is told apart by tag (``"{wording} (Q11)"``), else ImportId. Every
other column keeps its tag (legacy: its row-2 name, ``ExternalDataReference`` read as
``ExternalReference``). The tool's metadata (``RecordedDate``, ``ExternalReference``,
``LocationLatitude``, ``LocationLongitude``, ``LocationAccuracy``, ``DistributionChannel``,
``UserLanguage``, the ``Q_...`` scores such as ``Q_RecaptchaScore``, legacy ``ResponseSet``
and ``Name``) keep exactly these names, which are also the variable names of a Qualtrics
.sav, so both files give the same columns (``TOOL_METADATA``); they get no alternates. Answers
are kept as exported, choice text or numeric values alike: numbers need the wave mapping,
which harmonise applies.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook, Variable, normalise
from invitesurvey.errors import InputError
from invitesurvey.formats._common import (
    ISO_LAYOUT,
    PARADATA_NAMES,
    Column,
    Export,
    Grid,
    Part,
    assemble,
    header_rows,
    is_tool_column,
    mismatch,
    paradata_text,
    part_text,
    part_wording,
    position,
    read_grid,
    write_csv,
    written_questions,
)

TIME_ZONE = "America/Denver"
TIME_LAYOUT = ISO_LAYOUT
# Metadata columns in export order: tag, wording (row 2), ImportId, standard paradata source.
METADATA = (
    ("StartDate", "Start Date", "startDate", "start_time"),
    ("EndDate", "End Date", "endDate", "end_time"),
    ("Status", "Response Type", "status", "status"),
    ("IPAddress", "IP Address", "ipAddress", "ip_address"),
    ("Progress", "Progress", "progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration", "duration_s"),
    ("Finished", "Finished", "finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate", "end_time"),
    ("ResponseId", "Response ID", "_recordId", "respondent_id"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName", "last_name"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName", "first_name"),
    ("RecipientEmail", "Recipient Email", "recipientEmail", "email"),
    ("ExternalReference", "External Data Reference", "externalDataReference", None),
    ("LocationLatitude", "Location Latitude", "locationLatitude", None),
    ("LocationLongitude", "Location Longitude", "locationLongitude", None),
    ("DistributionChannel", "Distribution Channel", "distributionChannel", None),
    ("UserLanguage", "User Language", "userLanguage", None),
)
_DATED = {"startDate", "endDate", "recordedDate"}
# Standard status -> (choice text, numeric value) as Qualtrics exports them.
STATUS_VALUES = {
    "response": ("IP Address", "0"),
    "preview": ("Survey Preview", "1"),
    "test": ("Survey Test", "2"),
    "imported": ("Imported", "4"),
    "spam": ("Spam", "8"),
}
EXPECTED = (
    "a Qualtrics export (row 1: export tags such as StartDate and ResponseId; row 2: question "
    'wording; row 3: {"ImportId": ...}; or the legacy layout with V1 ... V10 and ResponseID)'
)
_LEGACY_TAG = re.compile(r"V\d+")
# Legacy row-2 names of the V1 ... V10 columns that are not standard paradata, as read.
LEGACY_NAMES = {"ExternalDataReference": "ExternalReference"}


def _import_id(cell: str) -> str:
    """The ImportId in a row-3 cell: JSON, or the Python-dict quotes some exports use."""
    for parse in (json.loads, ast.literal_eval):
        try:
            found = parse(cell)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(found, dict) and "ImportId" in found:
            return str(found["ImportId"])
    raise ValueError(cell)


def _import_ids(row: list[str], grid: Grid) -> list[str]:
    """Row 3 of a three-row export: the ImportId of every column (blank where blank)."""
    ids = []
    for index, cell in enumerate(row):
        try:
            ids.append(_import_id(cell) if cell else "")
        except ValueError as error:
            raise InputError(
                f'{cell!r} is not an ImportId (expected JSON such as {{"ImportId":"QID1"}})',
                file=grid.path,
                row=int(grid.lines[2]),
                column=position(index),
                hint="Export again from Qualtrics without editing the three header rows.",
            ) from error
    return ids


def _three_row(
    grid: Grid, tags: list[str], wording: list[str], ids: list[str], date_order: str | None
) -> Export:
    columns = []
    for index, (tag, text, import_id) in enumerate(zip(tags, wording, ids, strict=True)):
        if import_id.startswith("QID"):
            columns.append(Column(index, text or tag, tag=tag, import_id=import_id, key=""))
        else:  # metadata and embedded data: under the tag
            columns.append(Column(index, tag, tool=is_tool_column(tag)))
    return assemble(grid, columns, 3, names_row=2, date_order=date_order)


def _legacy(grid: Grid, tags: list[str], wording: list[str], date_order: str | None) -> Export:
    columns = []
    for index, (tag, text) in enumerate(zip(tags, wording, strict=True)):
        if _LEGACY_TAG.fullmatch(tag):  # V1 ... V10: ResponseID ... Finished
            name = LEGACY_NAMES.get(text, text)
            tool = PARADATA_NAMES.get(normalise(text)) is None
            columns.append(Column(index, name, key=text, tool=tool and bool(text)))
        elif tag and normalise(tag) == normalise(text) and is_tool_column(tag):
            columns.append(Column(index, tag, tool=True))
        else:
            columns.append(Column(index, text or tag, tag=tag, key=""))
    return assemble(grid, columns, 2, names_row=2, date_order=date_order)


def read(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Export:
    """Read a Qualtrics export, telling the three-row layout from the legacy one by row 3."""
    grid = read_grid(path, encoding, sheet)
    top = header_rows(grid, min(3, len(grid.cells)))
    if len(top) < 2:
        raise mismatch(grid, "qualtrics", EXPECTED)
    tags, wording = top[0], top[1]
    if len(top) == 3 and any(c.startswith("{") for c in top[2]):
        return _three_row(grid, tags, wording, _import_ids(top[2], grid), date_order)
    if normalise("ResponseID") in {normalise(c) for c in wording}:
        return _legacy(grid, tags, wording, date_order)
    if normalise("ResponseId") in {normalise(c) for c in tags}:
        raise mismatch(grid, "qualtrics", 'row 3 of ImportIds ({"ImportId": ...})', row=2)
    raise mismatch(grid, "qualtrics", EXPECTED)


def _metadata_values(frame: pd.DataFrame, numeric: bool) -> list[pd.Series]:
    """The metadata columns' values; status and finished as choice text or numbers."""
    out = []
    for _tag, _text, import_id, name in METADATA:
        values = paradata_text(frame, name, TIME_LAYOUT)
        if name == "status":
            values = values.map({k: v[numeric] for k, v in STATUS_VALUES.items()})
        elif name == "finished":
            values = values.str.lower().map(
                {"true": ("True", "1")[numeric], "false": ("False", "0")[numeric]}
            )
        elif import_id == "distributionChannel":
            values = values.fillna("email" if "email" in frame else "anonymous")
        elif import_id == "userLanguage":
            values = values.fillna("EN")
        out.append(values.astype("string"))
    return out


def _tags(number: int, var: Variable, parts: list[Part]) -> list[tuple[str, dict[str, str]]]:
    """Export tag and ImportId of each column of question ``Q{number}``.

    One column: ``Q8`` (``QID8``; text entry ``QID8_TEXT``, as for a number). Select-all, split
    into a column per choice: ``Q9_1`` ... (``{"ImportId":"QID9","choiceId":"1"}``), the
    "other" choice next and its text box ``Q9_7_TEXT`` (``QID9_7_TEXT``). Grid: ``Q10_1`` ...
    (``QID10_1``) per row.
    """
    if var.type == "multiple":
        out = []
        for choice, part in enumerate(parts, start=1):
            if part.kind == "other_text":  # numbered as the "other" choice just before it
                tag = f"Q{number}_{choice - 1}_TEXT"
                out.append((tag, {"ImportId": f"QID{number}_{choice - 1}_TEXT"}))
            else:
                import_id = {"ImportId": f"QID{number}", "choiceId": str(choice)}
                out.append((f"Q{number}_{choice}", import_id))
        return out
    if var.type == "grid":
        return [
            (f"Q{number}_{row}", {"ImportId": f"QID{number}_{row}"})
            for row in range(1, len(parts) + 1)
        ]
    suffix = "_TEXT" if var.type in ("text", "numeric") else ""
    return [(f"Q{number}", {"ImportId": f"QID{number}{suffix}"})]


def write(frame: pd.DataFrame, path: Path, book: Codebook, *, values: str = "labels") -> None:
    """Three-row Qualtrics layout; ``values="numeric"`` writes choices as 1..k, not their text.

    A select-all takes a column per choice worded ``Question - Option`` (the choice's text, or
    ``1``, when chosen; blank when not), a grid a column per row worded ``Question - Row``, a
    number a text-entry column holding what was typed.
    """
    if values not in ("labels", "numeric"):
        raise ValueError(f"values must be 'labels' or 'numeric', not {values!r}")
    numeric = values == "numeric"
    tags = [m[0] for m in METADATA]
    wording = [m[1] for m in METADATA]
    ids = [
        {"ImportId": m[2], **({"timeZone": TIME_ZONE} if m[2] in _DATED else {})} for m in METADATA
    ]
    columns = _metadata_values(frame, numeric)
    for number, (var, parts) in enumerate(written_questions(frame, book), start=1):
        for (tag, import_id), part in zip(_tags(number, var, parts), parts, strict=True):
            tags.append(tag)
            wording.append(part_wording(part))
            ids.append(import_id)
            columns.append(part_text(frame, part, values_as=values))
    body = pd.concat(columns, axis=1, ignore_index=True)
    header = [tags, wording, [json.dumps(i, separators=(",", ":")) for i in ids]]
    write_csv(path, header, body)
