"""``invitesurvey audit``: check results against the manifest, and trace one back to raw files.

``verify`` re-hashes every file ``results/audit/manifest.tsv`` lists and lists what was edited,
what is missing and what lies under the output folder without being listed. ``trace`` prints
how one result was made (rule, script, parameters, each input with its hash) and walks the
manifest's input lists back to the raw files behind it; given a row, only the waves of that
row are followed.

Paths in the manifest are relative to the project folder: run these from there.
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from invitesurvey.errors import InputError
from invitesurvey.manifest import SEPARATOR, sha256

DEFAULT_MANIFEST = "results/audit/manifest.tsv"
# Source files that are the project's own configuration and code; every other input that no
# rule makes is raw data (the waves sheet may name exports anywhere).
PROJECT_SOURCES = ("config/", "src/", "workflow/", "notebooks/", "Snakefile")
# Files in the output folder that no rule makes.
DOCUMENTATION = "README.md"
WAVE_COLUMNS = ("wave", "wave_from", "wave_to")
POOLED = "all"


@dataclass(frozen=True)
class Entry:
    """One row of the manifest."""

    path: str
    sha256: str
    rule: str
    script: str
    params: str
    inputs: tuple[str, ...]
    input_hashes: tuple[str, ...]
    code_version: str


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(cell.split(SEPARATOR)) if cell else ()


def read_manifest(path: str | Path = DEFAULT_MANIFEST) -> dict[str, Entry]:
    """The manifest's rows by path."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "no manifest here",
            file=path,
            hint="Run `make` from the project folder first (the manifest is its last step), "
            "or name it with --manifest.",
        )
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if rows and not {"path", "sha256", "inputs"} <= set(rows[0]):
        raise InputError("not an audit manifest (no path, sha256 and inputs columns)", file=path)
    entries = {}
    for row in rows:
        inputs = _split(row.get("inputs"))
        hashes = _split(row.get("inputs_sha256"))
        if len(hashes) != len(inputs):
            # A manifest of an older version holds one hash over all inputs.
            hashes = ("",) * len(inputs)
        entries[row["path"]] = Entry(
            path=row["path"],
            sha256=row["sha256"],
            rule=row.get("rule") or "",
            script=row.get("script") or "",
            params=row.get("params") or "",
            inputs=inputs,
            input_hashes=hashes,
            code_version=row.get("code_version") or "",
        )
    return entries


class _Hashes(dict):
    """sha256 of each file, computed once; None for a file that does not exist."""

    def __missing__(self, path: str) -> str | None:
        value = sha256(path) if Path(path).is_file() else None
        self[path] = value
        return value


# --- verify ---------------------------------------------------------------------------------


@dataclass
class Verification:
    """What ``verify`` found; ``ok`` when every listed file is as listed and nothing else is
    in the output folder."""

    manifest: str
    checked: int
    edited: list[tuple[str, str, str]] = field(default_factory=list)  # path, listed, now
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    changed_inputs: list[tuple[str, str]] = field(default_factory=list)  # path, what changed

    @property
    def ok(self) -> bool:
        return not (self.edited or self.missing or self.unexpected)


def _files_under(folder: Path, skip: set[Path]) -> Iterator[Path]:
    """Files under ``folder``, leaving out documentation and any folder with a manifest of
    its own (another configuration's outputs, such as results/demo/)."""
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            if entry != folder and (entry / "audit" / "manifest.tsv").is_file():
                continue
            yield from _files_under(entry, skip)
        elif entry.name != DOCUMENTATION and entry not in skip:
            yield entry


def output_folder(manifest: str | Path) -> Path:
    """The folder a manifest describes: ``results/audit/manifest.tsv`` -> ``results``."""
    return Path(manifest).parent.parent


def _relative(path: Path) -> str:
    return os.path.relpath(path) if path.is_absolute() else str(path)


def verify(manifest: str | Path = DEFAULT_MANIFEST) -> Verification:
    """Re-hash every file the manifest lists and look for files it does not list."""
    entries = read_manifest(manifest)
    hashes = _Hashes()
    found = Verification(manifest=str(manifest), checked=len(entries))
    for path, entry in sorted(entries.items()):
        now = hashes[path]
        if now is None:
            found.missing.append(path)
        elif now != entry.sha256:
            found.edited.append((path, entry.sha256, now))
    folder = output_folder(manifest)
    listed = {os.path.normpath(p) for p in entries}
    if folder.is_dir():
        for file in _files_under(folder, skip={Path(manifest)}):
            if os.path.normpath(_relative(file)) not in listed:
                found.unexpected.append(_relative(file))
    # Inputs no rule makes (raw data, configuration, code) that changed since the run: the
    # results are intact, but out of date.
    sources: dict[str, str] = {}
    for entry in entries.values():
        for path, listed_hash in zip(entry.inputs, entry.input_hashes, strict=True):
            if path not in entries and listed_hash:
                sources.setdefault(path, listed_hash)
    for path, listed_hash in sorted(sources.items()):
        now = hashes[path]
        if now is None:
            found.changed_inputs.append((path, "deleted"))
        elif now != listed_hash:
            found.changed_inputs.append((path, "edited"))
    return found


def verification_text(found: Verification) -> str:
    lines = [f"{found.manifest}: {found.checked} files listed"]
    edited = [f"{path}: sha256 {now}, listed {was}" for path, was, now in found.edited]
    for title, items in (
        ("edited since the run", edited),
        ("missing", found.missing),
        ("not in the manifest", found.unexpected),
    ):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
    if found.ok:
        lines.append("OK: every listed file has its listed sha256, and no other file is there.")
    else:
        problems = len(found.edited) + len(found.missing) + len(found.unexpected)
        lines.append(
            f"FAILED: {problems} file(s) differ from the manifest. Rerun `make` to rebuild "
            "the results from the raw files."
        )
    if found.changed_inputs:
        lines.append(
            f"Note: {len(found.changed_inputs)} input(s) changed since these results were "
            "made (the results match the manifest, but `make` would rebuild some of them):"
        )
        lines += [f"  {path}: {what}" for path, what in found.changed_inputs]
    return "\n".join(lines)


# --- trace ----------------------------------------------------------------------------------


def _normalised(file: str | Path) -> str:
    path = Path(file)
    return os.path.normpath(_relative(path.resolve()) if path.is_absolute() else path)


def _entry(entries: dict[str, Entry], file: str | Path, manifest: str | Path) -> Entry:
    path = _normalised(file)
    if path in entries:
        return entries[path]
    close = difflib.get_close_matches(path, list(entries), n=1, cutoff=0.5)
    raise InputError(
        f"{path} is not a file the manifest lists",
        file=manifest,
        hint=(f"Did you mean {close[0]}? " if close else "")
        + "Name a result by its path from the project folder, e.g. results/tables/crosstabs.csv.",
    )


def read_row(path: str | Path, row: int) -> dict[str, str]:
    """Row ``row`` of a table, counted as a spreadsheet does (CSV and TSV: the header is row
    1, so the first data row is row 2; Parquet: the first data row is row 1)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if not 1 <= row <= table.num_rows:
            raise InputError(f"no row {row}: the file has {table.num_rows} rows", file=path)
        values = table.slice(row - 1, 1).to_pylist()[0]
        return {name: "" if value is None else str(value) for name, value in values.items()}
    if path.suffix not in (".csv", ".tsv"):
        raise InputError("only a table (CSV, TSV or Parquet) has rows", file=path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t" if path.suffix == ".tsv" else ",")
        header = next(reader, [])
        for number, values in enumerate(reader, start=2):
            if number == row:
                return dict(zip(header, values, strict=False))
    raise InputError(
        f"no row {row}: the header is row 1 and the last row is {number if header else 0}",
        file=path,
    )


def _waves_of(values: dict[str, str]) -> set[str] | None:
    """The waves a row is about, or None when it is about every wave."""
    waves = {values[c] for c in WAVE_COLUMNS if values.get(c) and values[c] != POOLED}
    return waves or None


def _about_other_wave(path: str, waves: set[str] | None) -> bool:
    """Whether a per-wave file (``.../waves/{wave}/...``) belongs to a wave not asked for."""
    if waves is None:
        return False
    parts = Path(path).parts
    for i, part in enumerate(parts[:-1]):
        if part == "waves" and i + 1 < len(parts) - 1:
            return parts[i + 1] not in waves
    return False


@dataclass
class Trace:
    entry: Entry
    now: str | None
    row: dict[str, str] | None
    upstream: list[Entry]  # every result the file depends on, nearest first
    raw: list[tuple[str, str, str | None]]  # path, listed sha256, sha256 now
    sources: list[tuple[str, str, str | None]]  # configuration and code


def _is_project_source(path: str) -> bool:
    return path.startswith(PROJECT_SOURCES)


def trace(
    file: str | Path, row: int | None = None, manifest: str | Path = DEFAULT_MANIFEST
) -> Trace:
    """How ``file`` (or one row of it) was made, back to the raw files."""
    entries = read_manifest(manifest)
    entry = _entry(entries, file, manifest)
    hashes = _Hashes()
    values = read_row(entry.path, row) if row is not None else None
    waves = _waves_of(values) if values else None
    upstream: list[Entry] = []
    raw: dict[str, tuple[str, str | None]] = {}
    sources: dict[str, tuple[str, str | None]] = {}
    seen = {entry.path}
    queue = [entry]
    while queue:
        current = queue.pop(0)
        for path, listed in zip(current.inputs, current.input_hashes, strict=True):
            if path in seen or _about_other_wave(path, waves):
                continue
            seen.add(path)
            if path in entries:
                upstream.append(entries[path])
                queue.append(entries[path])
            elif _is_project_source(path):
                sources[path] = (listed, hashes[path])
            else:
                raw[path] = (listed, hashes[path])
    return Trace(
        entry=entry,
        now=hashes[entry.path],
        row=values,
        upstream=upstream,
        raw=[(p, *raw[p]) for p in sorted(raw)],
        sources=[(p, *sources[p]) for p in sorted(sources)],
    )


def _state(listed: str, now: str | None) -> str:
    if now is None:
        return "MISSING now"
    if not listed:
        return f"sha256 {now}"
    return f"sha256 {listed}" + ("" if now == listed else f", EDITED since: now {now}")


def _inputs_lines(entry: Entry, entries_by_path: dict[str, Entry], hashes: _Hashes) -> list:
    width = max((len(p) for p in entry.inputs), default=0)
    lines = []
    for path, listed in zip(entry.inputs, entry.input_hashes, strict=True):
        made = entries_by_path.get(path)
        by = f"  (made by {made.rule})" if made else ""
        lines.append(f"    {path:<{width}}  {_state(listed, hashes[path])}{by}")
    return lines


def trace_text(found: Trace, row: int | None = None) -> str:
    entry = found.entry
    hashes = _Hashes()
    by_path = {e.path: e for e in found.upstream}
    lines = [entry.path + (f", row {row}" if row is not None else "")]
    lines.append(f"  sha256:       {_state(entry.sha256, found.now).removeprefix('sha256 ')}")
    lines.append(f"  made by rule: {entry.rule or '(not recorded)'}")
    lines.append(f"  script:       {entry.script or '(none)'}")
    lines.append(f"  parameters:   {entry.params or '(none)'}")
    lines.append(f"  code version: {entry.code_version}")
    lines.append("  inputs:")
    lines += _inputs_lines(entry, by_path, hashes)
    if found.row is not None:
        lines.append("  the row:")
        lines += [f"    {name} = {value}" for name, value in found.row.items()]
        if found.row.get("source_row") and found.raw:
            files = ", ".join(p for p, _, _ in found.raw)
            lines.append(f"    (source_row {found.row['source_row']} is the row of {files})")
    if found.upstream:
        lines.append("  made from these results (nearest first):")
        for up in found.upstream:
            lines.append(f"    {up.path}  <- rule {up.rule}, {up.script or 'no script'}")
    lines.append("  raw files behind it:")
    lines += _listed(found.raw) or ["    (none)"]
    lines.append("  configuration and code behind it:")
    lines += _listed(found.sources)
    return "\n".join(lines)


def _listed(files: list[tuple[str, str, str | None]]) -> list[str]:
    width = max((len(path) for path, _, _ in files), default=0)
    return [f"    {path:<{width}}  {_state(listed, now)}" for path, listed, now in files]


def cli_verify(manifest: str) -> int:
    found = verify(manifest)
    print(verification_text(found))
    return 0 if found.ok else 1


def cli_trace(file: str, row: int | None, manifest: str) -> int:
    print(trace_text(trace(file, row, manifest), row))
    return 0
