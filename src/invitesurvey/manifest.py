"""The audit manifest: for every output, its hash, shape, producing rule and inputs.

The producing rule, its script and parameters and its inputs come from the record Snakemake
keeps for each output file (``.snakemake/metadata``), so the manifest states what actually ran,
not what we meant to run. Each input's sha256 is listed beside it, so that
``invitesurvey audit trace`` can follow a result back to the raw files it came from and
``invitesurvey audit verify`` can say which file changed.

The manifest job is the last of every run, so nothing runs beside it: it reads and writes with
the standard library and pyarrow's metadata reader, without pandas (0.6 -> 0.2 CPU-s a run).
"""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from invitesurvey.atomic import atomic_path

COLUMNS = [
    "path",
    "sha256",
    "bytes",
    "rows",
    "columns",
    "rule",
    "script",
    "params",
    "inputs",
    "inputs_sha256",
    "code_version",
]
# Lists in one cell (inputs, their hashes) are separated by this; paths never hold it.
SEPARATOR = ";"
# Where the rule files are: a rule's `script:` path is relative to it.
RULES_DIR = "workflow/rules"
_CHUNK = 1 << 20


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def shape(path: str | Path) -> tuple[int | None, int | None]:
    """Rows and columns of a table (CSV, TSV, Parquet); none for other files. A CSV's rows
    are its records after the header (a quoted cell may span lines), blank lines not counted."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        return meta.num_rows, meta.num_columns
    if path.suffix in (".csv", ".tsv"):
        with open(path, newline="", encoding="utf-8") as handle:
            records = [
                r for r in csv.reader(handle, delimiter="\t" if path.suffix == ".tsv" else ",") if r
            ]
        return (len(records) - 1, len(records[0])) if records else (0, 0)
    return None, None


def snakemake_records(metadata_dir: str | Path) -> dict[str, dict]:
    """Snakemake's per-output records, keyed by output path."""
    records = {}
    for entry in Path(metadata_dir).rglob("*"):
        if not entry.is_file():
            continue
        name = "".join(p.name for p in (*reversed(entry.relative_to(metadata_dir).parents), entry))
        try:
            path = base64.urlsafe_b64decode(name.replace("@", "")).decode()
            records[path] = json.loads(entry.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
    return records


def script_of(record: dict, rules_dir: str = RULES_DIR) -> str:
    """The script a record's rule ran (``workflow/scripts/tables.py``); empty for rules that
    run no script. Snakemake records the ``script:`` directive as written in the rule file."""
    try:
        written = ast.literal_eval((record.get("code") or "").strip())
    except (ValueError, SyntaxError):
        return ""
    if not isinstance(written, str):
        return ""
    return os.path.normpath(os.path.join(rules_dir, written))


def params_of(record: dict) -> str:
    """The job's parameter values as Snakemake recorded them: their Python reprs, sorted
    (Snakemake keeps no names), separated by commas."""
    return ", ".join(record.get("params") or [])


def input_hashes(inputs: Iterable[str], hash_of: Callable[[str], str] = sha256) -> str:
    """Each input's sha256, in the order given and separated like the inputs themselves;
    empty for an input that no longer exists."""
    return SEPARATOR.join(hash_of(p) if Path(p).is_file() else "" for p in inputs)


def build(
    outputs: Iterable[str],
    records: dict[str, dict],
    version: str,
    *,
    rules_dir: str = RULES_DIR,
) -> list[dict[str, object]]:
    """One row per output file (a dict keyed by :data:`COLUMNS`), sorted by path."""
    # Outputs of one job share its inputs, and a raw export may be large: hash each file once.
    hashes: dict[str, str] = {}

    def hash_of(path: str) -> str:
        if path not in hashes:
            hashes[path] = sha256(path)
        return hashes[path]

    rows = []
    for path in sorted(outputs):
        record = records.get(path, {})
        inputs = sorted(record.get("input", []))
        n_rows, n_columns = shape(path)
        rows.append(
            {
                "path": path,
                "sha256": hash_of(path),
                "bytes": Path(path).stat().st_size,
                "rows": n_rows,
                "columns": n_columns,
                "rule": record.get("rule", ""),
                "script": script_of(record, rules_dir),
                "params": params_of(record),
                "inputs": SEPARATOR.join(inputs),
                "inputs_sha256": input_hashes(inputs, hash_of),
                "code_version": version,
            }
        )
    return rows


def write(rows: list[dict[str, object]], path: str | Path) -> None:
    """The manifest as TSV, atomically: a header of :data:`COLUMNS`, a line per row, empty
    cells for what a file does not have (the shape of a figure)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
