"""Export columns and answer labels -> codebook variables and codes.

Matching goes, for each column: the wave mapping (by wording, export tag or ImportId), then the
codebook wording and its aliases. Labels: the wave mapping, then the codebook label and aliases.
Everything that does not match is collected and reported at once, each with its closest
codebook entry, so an analyst fixes a new export in one pass.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from invitesurvey.codebook import Codebook, Variable, code_text, normalise
from invitesurvey.errors import InputError
from invitesurvey.formats import PARADATA
from invitesurvey.io import read_yaml

# Columns survey tools add that carry nothing the analysis uses; dropped at ingest.
TOOL_COLUMNS = frozenset(
    normalise(name)
    for name in (
        "Custom Data 1",
        "ResponseSet",
        "Name",
        "ExternalDataReference",
        "RecordedDate",
        "Recorded Date",
        "ExternalReference",
        "External Data Reference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "Distribution Channel",
        "UserLanguage",
        "User Language",
    )
)
MAPPING_KEYS = ("columns", "labels", "absent", "ignore")


@dataclass(frozen=True)
class Mapping:
    """A wave's departures from the codebook (see docs/architecture.md)."""

    columns: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def load_mapping(path: str | Path | None, book: Codebook) -> Mapping:
    """Read a wave mapping file; an empty path means the wave follows the codebook."""
    if not path:
        return Mapping()
    path = Path(path)
    raw = read_yaml(path, "wave mapping")
    unknown = sorted(set(raw) - set(MAPPING_KEYS))
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(unknown)}",
            file=path,
            hint=f"A mapping has only {', '.join(MAPPING_KEYS)}.",
        )
    names = {v.name for v in book.variables}
    named = [*raw.get("columns", {}).values(), *raw.get("labels", {}), *raw.get("absent", [])]
    for name in named:
        if name not in names:
            raise InputError(
                f"{name!r} is not a codebook variable",
                file=path,
                hint=f"Closest: {_closest(str(name), sorted(names))}.",
            )
    for name, labels in raw.get("labels", {}).items():
        codes = [code_text(c) for c in book[name].code_values]
        for label, code in labels.items():
            if code_text(code) not in codes:
                raise InputError(
                    f"label {label!r} of {name!r} maps to {code!r}, which is not a code of it",
                    file=path,
                    hint=f"Closest: {_closest(str(code), codes)}; codes: {', '.join(codes)}.",
                )
    return Mapping(
        columns={normalise(k): v for k, v in raw.get("columns", {}).items()},
        labels={
            var: {normalise(k): code_text(v) for k, v in labels.items()}
            for var, labels in raw.get("labels", {}).items()
        },
        absent=tuple(raw.get("absent", [])),
        ignore=tuple(normalise(c) for c in raw.get("ignore", [])),
    )


def _closest(text: str, candidates: list[str]) -> str:
    """The nearest candidate by normalised spelling, quoted, or a note that none is near."""
    keyed = {normalise(c): c for c in candidates}
    near = difflib.get_close_matches(normalise(text), list(keyed), n=1, cutoff=0.0)
    return repr(keyed[near[0]]) if near else "none"


def match_columns(
    columns: list[str],
    alternates: dict[str, list[str]],
    book: Codebook,
    mapping: Mapping,
) -> tuple[dict[str, str], list[str]]:
    """Map export columns to variables; return the mapping and the unmatched columns."""
    # A variable's own name counts as a wording: the plain `csv` format heads columns with it.
    by_wording = {normalise(w): v.name for v in book.variables for w in (v.name, *v.wordings())}
    matched: dict[str, str] = {}
    unmatched: list[str] = []
    for column in columns:
        keys = [normalise(k) for k in (column, *alternates.get(column, []))]
        if column in PARADATA or column == "source_row" or keys[0] in TOOL_COLUMNS:
            continue
        if any(k in mapping.ignore for k in keys):
            continue
        name = next((mapping.columns[k] for k in keys if k in mapping.columns), None)
        name = name or next((by_wording[k] for k in keys if k in by_wording), None)
        if name is None:
            unmatched.append(column)
        else:
            matched[column] = name
    return matched, unmatched


def _label_codes(var: Variable, mapping: Mapping) -> dict[str, object]:
    lookup: dict[str, object] = dict(var.label_lookup())
    for label, code in mapping.labels.get(var.name, {}).items():
        lookup[label] = next(c for c in var.code_values if code_text(c) == code)
    return lookup


def harmonise(
    frame: pd.DataFrame,
    alternates: dict[str, list[str]],
    book: Codebook,
    mapping: Mapping,
    *,
    file: str | Path,
) -> pd.DataFrame:
    """Paradata plus one column of codes per codebook variable, or one error listing all misfits.

    Items declared absent in the mapping become all-missing columns.
    """
    matched, unmatched_columns = match_columns(list(frame.columns), alternates, book, mapping)
    problems: list[str] = []
    all_wordings = [w for v in book.variables for w in v.wordings()]
    for column in unmatched_columns:
        problems.append(
            f"column {column!r} matches no codebook question "
            f"(closest: {_closest(column, all_wordings)})"
        )
    seen: dict[str, str] = {}
    for column, name in matched.items():
        if name in seen:
            problems.append(f"columns {seen[name]!r} and {column!r} both map to {name!r}")
        seen[name] = column
    for var in book.variables:
        if var.name not in seen and var.name not in mapping.absent and var.type != "text":
            problems.append(
                f"no column for {var.name!r} ({var.question!r}); declare it under 'absent' "
                "in the wave mapping if this wave did not ask it"
            )

    out = frame[[c for c in (*PARADATA, "source_row") if c in frame]].copy()
    for column, name in matched.items():
        var = book[name]
        values = frame[column]
        if var.type == "text":
            out[name] = values.astype("string")
            continue
        lookup = _label_codes(var, mapping)
        # Labels repeat across respondents: match each distinct text once, then map.
        present = values.dropna()
        codes_of = {label: lookup.get(normalise(label)) for label in present.unique()}
        for label in (label for label, code in codes_of.items() if code is None):
            first = present.index[(present == label).to_numpy()][0]
            candidates = [a.label for a in var.codes]
            problems.append(
                f"row {int(frame.at[first, 'source_row'])}, column {column!r}: answer "
                f"{label!r} is not a label of {var.name!r} "
                f"(closest: {_closest(str(label), candidates)})"
            )
        out[name] = values.map(codes_of).astype("boolean" if var.type == "boolean" else "string")
    for name in mapping.absent:
        out[name] = pd.Series(
            pd.NA, index=out.index, dtype="boolean" if book[name].type == "boolean" else "string"
        )
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) matching the export to the codebook:\n  - "
            + "\n  - ".join(problems),
            file=file,
            hint="Add the wording or label as an alias in config/codebook.yaml, or map it in "
            "the wave's mapping file (column 'mapping' of config/waves.tsv).",
        )
    return out
