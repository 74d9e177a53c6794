"""``invitesurvey add-wave``: check a new export against the codebook, then add it to the sheet.

The check runs the same reader, harmonisation and quality control as the workflow's ingest
rule, so a file that passes here ingests cleanly; nothing is written until it passes.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from invitesurvey import codebook
from invitesurvey.clean import QC, complete_paradata, exclude
from invitesurvey.errors import InputError
from invitesurvey.formats import Export, read_export
from invitesurvey.harmonise import (
    OTHER_TEXT,
    Target,
    harmonise,
    load_mapping,
    match_columns,
    shorten,
)
from invitesurvey.io import read_yaml

SHEET_COLUMNS = (
    "wave",
    "path",
    "format",
    "fieldwork_start",
    "fieldwork_end",
    "mapping",
    "encoding",
    "sheet",
    "date_order",
    "origin",
    "note",
)
# The sheet's origin column (workflow/schemas/waves.schema.yaml).
ORIGINS = ("collected", "reconstructed", "synthetic")
# What marks an export `invitesurvey simulate` (or `reconstruct`) wrote: every respondent it
# invents has an e-mail at this domain, which RFC 2606 reserves, so no real respondent has one.
# Every format carries the e-mail column.
INVENTED_DOMAIN = "@example.com"
TYPE_NAMES = {
    "boolean": "yes/no",
    "categorical": "single choice",
    "numeric": "number",
    "multiple": "select-all",
    "grid": "grid",
    "text": "free text",
}
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "waves.schema.yaml"


@dataclass(frozen=True)
class WaveCheck:
    row: dict[str, str]
    book: codebook.Codebook
    export: Export
    matched: dict[str, Target]
    absent: tuple[str, ...]
    flow: pd.DataFrame
    recodes: pd.DataFrame


def fieldwork_dates(start_times: pd.Series) -> tuple[str, str]:
    """First and last response day, for a sheet row whose dates were not given."""
    known = start_times.dropna()
    if known.empty:
        raise InputError("no start times in the export", hint="Pass --fieldwork-start/-end.")
    return f"{known.min():%Y-%m-%d}", f"{known.max():%Y-%m-%d}"


def invented(frame: pd.DataFrame) -> bool:
    """Whether an export's respondents were invented by `invitesurvey simulate`: it has
    e-mails, and every one is at the reserved domain (:data:`INVENTED_DOMAIN`)."""
    if "email" not in frame:
        return False
    emails = frame["email"].dropna().astype(str).str.strip().str.lower()
    emails = emails[emails != ""]
    return bool(len(emails)) and bool(emails.str.endswith(INVENTED_DOMAIN).all())


def origin_of(requested: str | None, frame: pd.DataFrame, path: str | Path) -> str:
    """The sheet's origin for an export: the one asked for, else ``synthetic`` for an export
    `simulate` wrote and ``collected`` for any other. A simulated file is never collected."""
    marked = invented(frame)
    if requested and requested not in ORIGINS:
        raise InputError(
            f"origin {requested!r} is not one of {', '.join(ORIGINS)}",
            file=path,
            hint="Pass --origin collected, reconstructed or synthetic.",
        )
    if marked and requested == "collected":
        raise InputError(
            "the export was written by `invitesurvey simulate` (every e-mail is at "
            "example.com), so its wave cannot be collected",
            file=path,
            column="email",
            hint="Add it as synthetic (the default for such a file), or add the real export.",
        )
    return requested or ("synthetic" if marked else "collected")


def check_wave(args: argparse.Namespace, book: codebook.Codebook, qc: QC) -> WaveCheck:
    """Read, map and preview the QC of the export named in ``args``; raise on any misfit."""
    export = read_export(
        args.file, args.format, encoding=args.encoding, sheet=args.sheet, date_order=args.date_order
    )
    mapping = load_mapping(args.mapping, book)
    harmonised = harmonise(export, book, mapping, file=args.file)
    matched, _ = match_columns(export, book, mapping)
    frame = complete_paradata(harmonised.frame, book)
    first, last = (
        (args.fieldwork_start, args.fieldwork_end)
        if args.fieldwork_start and args.fieldwork_end
        else fieldwork_dates(frame["start_time"])
    )
    start = args.fieldwork_start or first
    _, _, flow = exclude(frame, qc, pd.Timestamp(start))
    row = {
        "wave": args.wave,
        "path": str(args.file),
        "format": args.format,
        "fieldwork_start": start,
        "fieldwork_end": args.fieldwork_end or last,
        "mapping": args.mapping or "",
        "encoding": args.encoding or "",
        "sheet": args.sheet or "",
        "date_order": args.date_order or "",
        "origin": origin_of(getattr(args, "origin", None), export.frame, args.file),
        "note": args.note,
    }
    return WaveCheck(
        row=row,
        book=book,
        export=export,
        matched=matched,
        absent=mapping.absent,
        flow=flow,
        recodes=harmonised.recodes,
    )


def _column_id(export: Export, column: str) -> str:
    """How a person finds a column: its export tag where the tool writes one, else its text."""
    tags = [a for a in export.alternates.get(column, []) if not a.startswith("column ")]
    return tags[0] if tags else repr(shorten(column, 60))


def question_type(var: codebook.Variable, parts: list[str | None]) -> str:
    """``select-all, 6 options + other text``: the type and what the export's columns hold."""
    kind = TYPE_NAMES[var.type]
    if var.type == "multiple":
        options = [p for p in parts if p not in (None, "other", OTHER_TEXT)]
        if None in parts:
            other = " + other text" if var.other else ""
            return f"{kind}, {len(var.codes)} options{other} (one column, joined by ', ')"
        other = " + other text" if {"other", OTHER_TEXT} & set(parts) else ""
        return f"{kind}, {len(options)} options{other}"
    if var.type == "grid":
        return f"{kind}, {len(parts)} rows x {len(var.codes)}-point scale"
    if var.type == "numeric":
        rule = var.numeric
        whole = "whole, " if rule.integer else ""
        return f"{kind} ({whole}{rule.minimum:,g} to {rule.maximum:,g})"
    return kind


def describe(result: WaveCheck) -> str:
    """What maps to what (type, columns grouped), the recodes, and the QC exclusions."""
    lines = [
        f"wave {result.row['wave']}: {result.row['path']} ({result.row['format']}), "
        f"origin {result.row['origin']}"
    ]
    by_variable: dict[str, list[tuple[str, str | None]]] = {}
    for column, target in result.matched.items():
        by_variable.setdefault(target.variable, []).append((column, target.part))
    lines.append(f"questions matched to the codebook ({len(by_variable)}):")
    for name, columns in by_variable.items():
        ids = [_column_id(result.export, c) for c, _ in columns]
        shown = ids[0] if len(ids) == 1 else f"{ids[0]} ... {ids[-1]} ({len(ids)} columns)"
        kind = question_type(result.book[name], [p for _, p in columns])
        lines.append(f"  {shown} -> {name}: {kind}")
    told = getattr(result.export, "told_apart", {}) or {}
    if told:
        lines.append("columns with a repeated header, told apart:")
        lines += [f"  {shorten(c, 60)!r}: by {how}" for c, how in told.items()]
    if result.absent:
        lines.append(f"declared absent in the mapping: {', '.join(result.absent)}")
    if len(result.recodes):
        lines.append("answers a documented rule will change (see recodes.csv after the run):")
        counts = result.recodes.groupby(["variable", "rule"]).size()
        lines += [f"  {v}: {r} {n}" for (v, r), n in counts.items()]
    lines.append("quality control preview:")
    lines += [
        f"  {r.rule:<16} {r.rows_in:>8} in {r.excluded:>7} excluded {r.rows_out:>8} out"
        for r in result.flow.itertuples()
    ]
    return "\n".join(lines)


def validate_row(row: dict[str, str], sheet: dict[str, dict[str, str]], path: Path) -> None:
    """The row against the waves schema the workflow uses, and against the existing waves."""
    import jsonschema

    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(row, schema)
    except jsonschema.ValidationError as error:
        column = ".".join(map(str, error.absolute_path)) or None
        raise InputError(error.message, file=path, column=column) from None
    if row["wave"] in sheet:
        raise InputError(
            f"wave {row['wave']!r} is already in the sheet",
            file=path,
            column="wave",
            hint="Choose a new wave id, or edit the existing row.",
        )


def read_sheet(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["wave"]: row for row in csv.DictReader(handle, delimiter="\t")}


def append_row(path: Path, row: dict[str, str]) -> None:
    """Append in the sheet's own column order; columns the sheet lacks must be empty."""
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle, delimiter="\t"))
    missing = [c for c in SHEET_COLUMNS if row.get(c) and c not in header]
    if missing:
        raise InputError(
            f"the sheet has no column {', '.join(missing)}",
            file=path,
            hint="Add the column(s) to the header of the waves sheet.",
        )
    text = path.read_text(encoding="utf-8")
    line = "\t".join(row.get(c, "") for c in header) + "\n"
    path.write_text(text + ("" if text.endswith("\n") else "\n") + line, encoding="utf-8")


def cli_main(args: argparse.Namespace) -> int:
    config = read_yaml(args.config, "configuration")
    book = codebook.load(config["codebook"])
    sheet_path = Path(config["waves"])
    result = check_wave(args, book, QC.from_config(config["qc"]))
    print(describe(result))
    if not (args.fieldwork_start and args.fieldwork_end):
        print(
            "note: fieldwork dates taken from the responses; pass --fieldwork-start so that "
            "test responses made before launch are excluded"
        )
    validate_row(result.row, read_sheet(sheet_path), sheet_path)
    if args.check_only:
        print("check only: the waves sheet is unchanged")
        return 0
    append_row(sheet_path, result.row)
    print(f"added wave {result.row['wave']} to {sheet_path}; run `snakemake` to analyse it")
    return 0
