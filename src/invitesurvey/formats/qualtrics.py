"""Qualtrics CSV exports: the three-row layout and the legacy two-row one.

Three-row: row 1 export tags (``StartDate`` ... ``UserLanguage``, then ``Q1``, ``Q2`` ...),
row 2 the question wording, row 3 ImportIds as JSON (``{"ImportId":"QID1"}``). Legacy: row 1
``V1`` ... ``V10`` and question tags, row 2 ``ResponseID`` ... ``Finished`` and the wording.
Question columns are named by their wording; their tag and ImportId become alternates. Other
columns keep their tag (legacy: their row-2 name). Answers are kept as exported, choice text or
numeric values alike: numbers need the wave mapping, which harmonise applies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook, normalise
from invitesurvey.errors import InputError
from invitesurvey.formats._common import (
    ISO_LAYOUT,
    Export,
    Grid,
    answers,
    assemble,
    header_rows,
    mismatch,
    paradata_text,
    position,
    read_grid,
    write_csv,
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


def _import_ids(row: list[str], grid: Grid) -> list[str]:
    """Row 3 of a three-row export: the ImportId of every column (blank where blank)."""
    ids = []
    for index, cell in enumerate(row):
        try:
            ids.append(str(json.loads(cell)["ImportId"]) if cell else "")
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(
                f'{cell!r} is not an ImportId (expected JSON such as {{"ImportId":"QID1"}})',
                file=grid.path,
                row=int(grid.lines[2]),
                column=position(index),
                hint="Export again from Qualtrics without editing the three header rows.",
            ) from error
    return ids


def _three_row(grid: Grid, tags: list[str], wording: list[str], ids: list[str]) -> Export:
    names, alternates = [], {}
    for tag, text, import_id in zip(tags, wording, ids, strict=True):
        if import_id.startswith("QID"):
            name = text or tag
            alternates[name] = [tag, import_id]
        else:
            name = tag
        names.append(name)
    return Export(grid.path, assemble(grid, names, 3, names_row=2), alternates)


def _legacy(grid: Grid, tags: list[str], wording: list[str]) -> Export:
    names, alternates = [], {}
    for tag, text in zip(tags, wording, strict=True):
        name = text or tag
        if tag and not _LEGACY_TAG.fullmatch(tag):
            alternates[name] = [tag]
        names.append(name)
    return Export(grid.path, assemble(grid, names, 2, names_row=2), alternates)


def read(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Export:
    """Read a Qualtrics export, telling the three-row layout from the legacy one by row 3."""
    grid = read_grid(path, encoding, sheet)
    top = header_rows(grid, min(3, len(grid.cells)))
    if len(top) < 2:
        raise mismatch(grid, "qualtrics", EXPECTED)
    tags, wording = top[0], top[1]
    if len(top) == 3 and any(c.startswith("{") for c in top[2]):
        return _three_row(grid, tags, wording, _import_ids(top[2], grid))
    if normalise("ResponseID") in {normalise(c) for c in wording}:
        return _legacy(grid, tags, wording)
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


def write(frame: pd.DataFrame, path: Path, book: Codebook, *, values: str = "labels") -> None:
    """Three-row Qualtrics layout; ``values="numeric"`` writes choices as 1..k, not their text."""
    if values not in ("labels", "numeric"):
        raise ValueError(f"values must be 'labels' or 'numeric', not {values!r}")
    numeric = values == "numeric"
    items = answers(frame, book, values_as=values)
    tags = [m[0] for m in METADATA] + [f"Q{i}" for i in range(1, len(items) + 1)]
    wording = [m[1] for m in METADATA] + [var.question for var, _ in items]
    ids = [
        {"ImportId": m[2], **({"timeZone": TIME_ZONE} if m[2] in _DATED else {})} for m in METADATA
    ] + [
        {"ImportId": f"QID{i}" + ("_TEXT" if var.type == "text" else "")}
        for i, (var, _) in enumerate(items, start=1)
    ]
    body = pd.concat(
        [*_metadata_values(frame, numeric), *(text for _, text in items)],
        axis=1,
        ignore_index=True,
    )
    header = [tags, wording, [json.dumps(i, separators=(",", ":")) for i in ids]]
    write_csv(path, header, body)
