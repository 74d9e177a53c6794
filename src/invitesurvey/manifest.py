"""The audit manifest: for every output, its hash, shape, producing rule and inputs.

The producing rule and its inputs come from the record Snakemake keeps for each output file
(``.snakemake/metadata``), so the manifest states what actually ran, not what we meant to run.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

COLUMNS = [
    "path",
    "sha256",
    "bytes",
    "rows",
    "columns",
    "rule",
    "inputs",
    "inputs_sha256",
    "code_version",
]
_CHUNK = 1 << 20


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def shape(path: str | Path) -> tuple[int | None, int | None]:
    """Rows and columns of a table (CSV, TSV, Parquet); none for other files."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        return meta.num_rows, meta.num_columns
    if path.suffix in (".csv", ".tsv"):
        frame = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", dtype="string")
        return frame.shape
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


def inputs_digest(inputs: Iterable[str], hash_of: Callable[[str], str] = sha256) -> str:
    """One hash over every input's path and content hash, in sorted order."""
    lines = "".join(f"{p}\t{hash_of(p)}\n" for p in sorted(inputs) if Path(p).is_file())
    return hashlib.sha256(lines.encode()).hexdigest()


def build(outputs: Iterable[str], records: dict[str, dict], version: str) -> pd.DataFrame:
    """One row per output file, sorted by path."""
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
                "inputs": ";".join(inputs),
                "inputs_sha256": inputs_digest(inputs, hash_of),
                "code_version": version,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"rows": "Int64", "columns": "Int64"})
