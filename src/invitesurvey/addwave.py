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
from invitesurvey.formats import read_export
from invitesurvey.harmonise import harmonise, load_mapping, match_columns
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
    "note",
)
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "waves.schema.yaml"


@dataclass(frozen=True)
class WaveCheck:
    row: dict[str, str]
    matched: dict[str, str]
    absent: tuple[str, ...]
    flow: pd.DataFrame


def fieldwork_dates(start_times: pd.Series) -> tuple[str, str]:
    """First and last response day, for a sheet row whose dates were not given."""
    known = start_times.dropna()
    if known.empty:
        raise InputError("no start times in the export", hint="Pass --fieldwork-start/-end.")
    return f"{known.min():%Y-%m-%d}", f"{known.max():%Y-%m-%d}"


def check_wave(args: argparse.Namespace, book: codebook.Codebook, qc: QC) -> WaveCheck:
    """Read, map and preview the QC of the export named in ``args``; raise on any misfit."""
    export = read_export(args.file, args.format, encoding=args.encoding, sheet=args.sheet)
    mapping = load_mapping(args.mapping, book)
    harmonised = harmonise(export.frame, export.alternates, book, mapping, file=args.file)
    matched, _ = match_columns(list(export.frame.columns), export.alternates, book, mapping)
    frame = complete_paradata(harmonised, book)
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
        "note": args.note,
    }
    return WaveCheck(row=row, matched=matched, absent=mapping.absent, flow=flow)


def describe(result: WaveCheck) -> str:
    """What maps to what, and the QC exclusions the workflow will apply."""
    lines = [f"wave {result.row['wave']}: {result.row['path']} ({result.row['format']})"]
    lines.append(f"columns matched to the codebook ({len(result.matched)}):")
    lines += [f"  {name:<18} <- {column!r}" for column, name in result.matched.items()]
    if result.absent:
        lines.append(f"declared absent in the mapping: {', '.join(result.absent)}")
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
