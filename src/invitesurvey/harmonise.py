"""Export columns and answer labels -> codebook variables and codes.

Each export column resolves to a *target*: a variable, or one part of it (a select-all
option, a grid row, the "other" text). Matching goes, for each column: the wave mapping (by
wording, export tag, ImportId or position), the parts a layout marks (SurveyMonkey's second
header row, Google Forms' ``Question [Row]``, SPSS multiple-response sets), the codebook
wording and its aliases, a plain-CSV clean-column name (``accept_reasons__mutual``), then a
codebook wording that starts the header (Qualtrics' ``Question - Option``). Everything that
does not fit is collected and reported at once, so an analyst fixes a new export in one pass.

Answers of the follow-up question types are read by the rules of docs/architecture.md
(numbers, select-all, grids); every answer a rule changes is returned as a recode row.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from invitesurvey.codebook import OTHER, PART, Codebook, Variable, code_text, normalise
from invitesurvey.errors import InputError
from invitesurvey.formats import PARADATA, Export
from invitesurvey.formats._common import is_tool_column
from invitesurvey.io import read_yaml

# Columns survey tools add that carry nothing the analysis uses; dropped at ingest.
TOOL_COLUMNS = frozenset(
    normalise(name)
    for name in (
        "Custom Data 1",
        "CustomData",
        "ResponseSet",
        "Name",
        "ExternalDataReference",
        "RecordedDate",
        "Recorded Date",
        "ExternalReference",
        "External Data Reference",
        "LocationLatitude",
        "LocationLongitude",
        "LocationAccuracy",
        "DistributionChannel",
        "Distribution Channel",
        "UserLanguage",
        "User Language",
    )
)
MAPPING_KEYS = ("columns", "labels", "absent", "ignore")
OTHER_TEXT = "other_text"
RECODE_COLUMNS = ["respondent_id", "source_row", "variable", "rule", "detail"]
# How many distinct misfits of one column a message lists before "and N more".
SHOWN = 5
# Quoted cells and wordings are cut to this many characters in messages.
QUOTED = 100
# A "closest" suggestion is made only at least this similar (difflib ratio).
CLOSE = 0.6

# Cells of a select-all option column that say chosen / not chosen (besides the option's label).
CHOSEN = frozenset({"1", "true", "yes", "selected", "checked", "x"})
NOT_CHOSEN = frozenset({"0", "false", "no", "not selected", "not checked", "unchecked"})
# Numbers as people type them: qualifiers around a number are read as the number (a recode).
_QUALIFIERS = (
    r"about|around|approx\.?|approximately|roughly|circa|ca\.?|c\.|nearly|almost|some|"
    r"over|more than|at least|under|less than|fewer than|up to|~|≈|>|<|>=|<=|\+/-"
)
_APPROXIMATE = re.compile(
    rf"^(?:(?:{_QUALIFIERS})\s*)?(?P<number>[^a-z~≈<>]+?)\s*(?:\+|or so|ish|odd|plus)?$"
)
_GROUPED = re.compile(
    r"^[+]?\d{1,3}(?:(?P<sep>[, \u00a0\u202f'])\d{3})(?:(?P=sep)\d{3})*(?:\.\d+)?$"
)
_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_DOT_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_ZERO_WORDS = frozenset({"none", "zero", "nil"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$|^[0-9a-f:]*:[0-9a-f:]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Mapping:
    """A wave's departures from the codebook (see docs/architecture.md)."""

    columns: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """What one export column holds: a variable, or one part of it (``None``: the whole)."""

    variable: str
    part: str | None = None

    def __str__(self) -> str:
        return self.variable if self.part is None else f"{self.variable}:{self.part}"


@dataclass(frozen=True)
class Harmonised:
    """Paradata plus the canonical columns of every variable, and the answers rules changed.

    A coded answer is a categorical of its code text (booleans ``boolean``, numbers
    ``Float64``, free text ``string``); codebook.typed gives the codebook's order of codes.
    """

    frame: pd.DataFrame
    recodes: pd.DataFrame


def shorten(text: object, limit: int = QUOTED) -> str:
    """Text for a message: cut to ``limit`` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quoted(value: object) -> str:
    """An answer cell for a message: shortened, and never an e-mail or IP address verbatim."""
    text = str(value)
    if _EMAIL.search(text):
        return "<an e-mail address>"
    if _IP.match(text.strip()):
        return "<an IP address>"
    return repr(shorten(text, 40))


def _parse_target(value: object, book: Codebook, path: Path) -> Target:
    """A mapping value: ``variable`` or ``variable:part``; the part must exist."""
    name, _, part = str(value).partition(":")
    names = [v.name for v in book.variables]
    if name not in names:
        raise InputError(
            f"{shorten(name)!r} is not a codebook variable",
            file=path,
            hint=f"Closest: {closest(name, names)}.",
        )
    if not part:
        return Target(name)
    var = book[name]
    parts = _part_codes(var)
    if part not in parts:
        raise InputError(
            f"{part!r} is not a part of {name!r}",
            file=path,
            hint=f"Parts of {name}: {', '.join(parts) or 'none (map the whole variable)'}.",
        )
    return Target(name, part)


def _part_codes(var: Variable) -> list[str]:
    if var.type == "categorical" and OTHER in map(code_text, var.code_values):
        return [OTHER_TEXT]
    if var.type == "multiple":
        return [code_text(a.code) for a in var.options] + ([OTHER_TEXT] if var.other else [])
    if var.type == "grid":
        return [code_text(r.code) for r in var.rows]
    return []


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
    names = [v.name for v in book.variables]
    columns = {
        normalise(k): _parse_target(v, book, path) for k, v in raw.get("columns", {}).items()
    }
    for name in [*raw.get("labels", {}), *raw.get("absent", [])]:
        if name not in names:
            raise InputError(
                f"{name!r} is not a codebook variable",
                file=path,
                hint=f"Closest: {closest(str(name), names)}.",
            )
    for name, labels in raw.get("labels", {}).items():
        codes = [code_text(c) for c in book[name].code_values]
        for label, code in labels.items():
            if code_text(code) not in codes:
                raise InputError(
                    f"label {label!r} of {name!r} maps to {code!r}, which is not a code of it",
                    file=path,
                    hint=f"Closest: {closest(str(code), codes)}; codes: {', '.join(codes)}.",
                )
    return Mapping(
        columns={k: str(v) for k, v in columns.items()},
        labels={
            var: {normalise(k): code_text(v) for k, v in labels.items()}
            for var, labels in raw.get("labels", {}).items()
        },
        absent=tuple(raw.get("absent", [])),
        ignore=tuple(normalise(c) for c in raw.get("ignore", [])),
    )


def closest(text: str, candidates: Iterable[str]) -> str:
    """The nearest candidate by normalised spelling, quoted, when it is close; else 'none close'."""
    keyed = {normalise(c): c for c in candidates}
    near = difflib.get_close_matches(normalise(text), list(keyed), n=1, cutoff=CLOSE)
    return repr(shorten(keyed[near[0]])) if near else "none close"


def _resolve_part(var: Variable, sub: str) -> str | None:
    """The part of ``var`` a sub-header names (option, row, other or its text), if any."""
    key = normalise(sub)
    if var.type == "categorical" and OTHER in map(code_text, var.code_values):
        # A single choice's "Other (please specify)" box holds free text: personal, dropped.
        other = var.label_lookup()
        if other.get(key) == OTHER or other.get(key.removesuffix(" - text")) == OTHER:
            return OTHER_TEXT
        return None
    if var.type == "grid":
        code = var.row_lookup().get(key)
        return None if code is None else code_text(code)
    if var.type != "multiple":
        return None
    lookup = var.option_lookup()
    if key in lookup:
        return code_text(lookup[key])
    # Qualtrics heads the "other" text "Other (please specify) - Text"; SurveyMonkey heads a
    # free-text column "Open-Ended Response" or "Other (please specify)".
    for suffix in (" - text", " - open-ended response"):
        if var.other and key.endswith(suffix) and lookup.get(key[: -len(suffix)]) == OTHER:
            return OTHER_TEXT
    return None


class _Matcher:
    """Export column -> Target, by the order of the module docstring."""

    def __init__(self, book: Codebook, mapping: Mapping) -> None:
        self.book = book
        self.mapping = mapping
        self.by_wording: dict[str, str] = {}
        for var in book.variables:
            for wording in (var.name, *var.wordings()):
                self.by_wording.setdefault(normalise(wording), var.name)
        # Longest first, so "Question - Option" takes the longest wording that starts it.
        self.stems = sorted(self.by_wording, key=len, reverse=True)
        self.parts = {
            f"{var.name}{PART}{code}": Target(var.name, code)
            for var in book.variables
            for code in _part_codes(var)
            if code != OTHER_TEXT
        }

    def target(self, column: str, alternates: list[str], part: tuple[str, str] | None):
        keys = [normalise(k) for k in (column, *alternates)]
        if any(k in self.mapping.ignore for k in keys):
            return "ignore"
        for key in keys:
            if key in self.mapping.columns:
                name, _, sub = self.mapping.columns[key].partition(":")
                return Target(name, sub or None)
        if part is not None:
            stem, sub = part
            name = self.by_wording.get(normalise(stem))
            if name is not None:
                resolved = _resolve_part(self.book[name], sub)
                return Target(name, resolved) if resolved else None
        for key in keys:
            if key in self.by_wording:
                return Target(self.by_wording[key])
            if key in self.parts:
                return self.parts[key]
        key = keys[0]
        for stem in self.stems:
            for sep, end in ((" - ", ""), (" [", "]")):
                if key.startswith(stem + sep) and key.endswith(end):
                    var = self.book[self.by_wording[stem]]
                    resolved = _resolve_part(var, key[len(stem) + len(sep) : len(key) - len(end)])
                    if resolved:
                        return Target(var.name, resolved)
        return None


def match_columns(
    export: Export, book: Codebook, mapping: Mapping
) -> tuple[dict[str, Target], list[str]]:
    """Map export columns to targets; return the mapping and the unmatched columns."""
    matcher = _Matcher(book, mapping)
    matched: dict[str, Target] = {}
    unmatched: list[str] = []
    parts = getattr(export, "parts", {}) or {}
    for column in export.frame.columns:
        if column in PARADATA or column == "source_row" or _tool_column(column):
            continue
        target = matcher.target(column, export.alternates.get(column, []), parts.get(column))
        if target is None:
            unmatched.append(column)
        elif target != "ignore":
            matched[column] = target
    return matched, unmatched


def _tool_column(column: str) -> bool:
    return normalise(column) in TOOL_COLUMNS or is_tool_column(column)


def _how(export: Export, column: str) -> str:
    told = (getattr(export, "told_apart", {}) or {}).get(column)
    return f"{column!r} ({told})" if told else repr(column)


def _coverage_problems(
    matched: dict[str, Target], export: Export, book: Codebook, mapping: Mapping
) -> list[str]:
    """Two columns on one target (listed all at once), and questions with no column."""
    problems: list[str] = []
    by_target: dict[Target, list[str]] = {}
    for column, target in matched.items():
        by_target.setdefault(target, []).append(column)
    for target, columns in by_target.items():
        if len(columns) > 1:
            names = ", ".join(_how(export, c) for c in columns)
            first = (export.alternates.get(columns[0]) or [columns[0]])[0]
            problems.append(
                f"columns {names} all match {target}: map the one that holds it in the wave "
                f"mapping (e.g. columns: {{{first!r}: {target}}}) and the others to their "
                "own variables or under 'ignore'"
            )
    covered = {t.variable for t in matched.values()}
    parts = {(t.variable, t.part) for t in matched.values()}
    for var in book.variables:
        if var.name in mapping.absent or var.type == "text":
            continue
        whole = var.type not in ("multiple", "grid")
        if var.name not in covered or (whole and (var.name, None) not in parts):
            problems.append(
                f"no column for {var.name!r} ({shorten(var.question)!r}); declare it under "
                "'absent' in the wave mapping if this wave did not ask it"
            )
        elif (var.name, None) not in parts and not whole:
            wanted = [
                code_text(r.code) for r in (var.codes if var.type == "multiple" else var.rows)
            ]
            missing = [c for c in wanted if (var.name, c) not in parts]
            if missing:
                problems.append(
                    f"{var.name!r} has no column for {', '.join(missing)}; map them in the "
                    f"wave mapping as {var.name}:CODE"
                )
    return problems


def first_rows(values: pd.Series, hit: np.ndarray) -> dict[object, int]:
    """The first position of each distinct value among the rows ``hit`` flags (one pass)."""
    rows = np.flatnonzero(hit)
    codes, uniques = pd.factorize(values.iloc[rows])
    _, first = np.unique(codes, return_index=True)
    return {uniques[codes[i]]: int(rows[i]) for i in first if codes[i] >= 0}


def _misfits(
    frame: pd.DataFrame,
    column: str,
    unknown: dict[object, int],
    what: str,
    candidates: list[str] | None = None,
) -> list[str]:
    """One problem line per column: up to SHOWN distinct misfits, each with its row (and the
    closest of ``candidates`` when one is close).

    A column with more distinct misfits than that holds something else than the question
    (another question's answers, or names or addresses under a swapped header): it is
    reported by count and rows only, so no value of it reaches a message or log.
    """
    if not unknown:
        return []
    if len(unknown) > SHOWN:
        rows = sorted(int(frame["source_row"].iloc[pos]) for pos in unknown.values())
        listed = ", ".join(map(str, rows[:SHOWN]))
        return [
            f"column {shorten(column)!r}: {len(unknown)} distinct answers {what} (rows "
            f"{listed} and {len(rows) - SHOWN} more; not quoted: so many misfits mean the "
            "column holds something else, such as another question or personal data under a "
            "swapped header)"
        ]
    shown = sorted(unknown.items(), key=lambda kv: kv[1])

    def one(value: object, pos: int) -> str:
        near = closest(str(value), candidates) if candidates else "none close"
        hint = "" if near == "none close" else f", closest {near}"
        return f"{quoted(value)} (row {int(frame['source_row'].iloc[pos])}{hint})"

    listed = ", ".join(one(value, pos) for value, pos in shown)
    more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
    return [f"column {shorten(column)!r}: {listed}{more} {what}"]


def _lookup(
    frame: pd.DataFrame, column: str, lookup: dict[str, object], var: Variable, what: str
) -> tuple[pd.Series, list[str]]:
    """Cells -> codes through ``lookup`` (each distinct text once); misfits as problems."""
    values = frame[column]
    codes, uniques = pd.factorize(values)
    found = [lookup.get(normalise(u)) for u in uniques]
    bad = np.asarray([f is None for f in found] + [False], dtype=bool)
    unknown = first_rows(values, bad[codes]) if bad.any() else {}
    if var.type == "boolean":
        state = np.asarray([*(bool(f) for f in found), False])[codes]
        mapped = pd.Series(state, index=values.index, dtype="boolean").mask(
            bad[codes] | (codes < 0)
        )
    else:
        # A categorical of the codes' text: each row one small integer, never a string.
        text = {
            c: i for i, c in enumerate(dict.fromkeys(code_text(f) for f in found if f is not None))
        }
        position = np.asarray([*(text[code_text(f)] if f is not None else -1 for f in found), -1])
        mapped = pd.Series(
            pd.Categorical.from_codes(position[codes], list(text)), index=values.index
        )
    labels = [a.label for a in var.codes]
    return mapped, _misfits(frame, column, unknown, what, labels)


def read_number(text: str, integer: bool) -> tuple[float | None, str | None]:
    """A typed number and the recode rule it needed: ``(value, None)`` for a plain reading,
    ``(value, "approximate")`` for ``about 800``, ``(None, "unreadable")`` for text that is no
    number. Thousands separators (``1,200``, ``1 200``; ``1.200`` for whole numbers only) are
    plain readings."""
    key = normalise(text)
    if key in _ZERO_WORDS:
        return 0.0, None
    match = _APPROXIMATE.fullmatch(key)
    core = match["number"].strip() if match else key
    rule = None if core == key else "approximate"
    if integer and _DOT_GROUPED.fullmatch(core):
        return float(core.replace(".", "")), rule
    if _PLAIN.fullmatch(core):
        return float(core), rule
    if _GROUPED.fullmatch(core):
        return float(re.sub(r"[, \u00a0\u202f']", "", core)), rule
    return None, "unreadable"


def _numbers(frame: pd.DataFrame, column: str, var: Variable) -> tuple[pd.Series, pd.DataFrame]:
    """Numeric answers by the reading rules; every changed answer becomes a recode row."""
    rule_of = var.numeric
    values = frame[column]
    codes, uniques = pd.factorize(values)
    read = []
    for text in uniques:
        number, rule = read_number(str(text), rule_of.integer)
        if number is not None and rule_of.integer and not float(number).is_integer():
            number, rule = None, "not_whole"
        if number is not None and not rule_of.minimum <= number <= rule_of.maximum:
            number, rule = None, "out_of_range"
        read.append((number, rule))
    numbers = np.asarray([n if n is not None else np.nan for n, _ in read] + [np.nan])
    rules = np.asarray([r for _, r in read] + [None], dtype=object)
    out = pd.Series(numbers[codes], index=values.index, dtype="Float64")
    hit = pd.notna(rules[codes]) & (codes >= 0)
    details = {
        "approximate": lambda t, n: f"{quoted(t)} read as {n:g}",
        "unreadable": lambda t, n: f"{quoted(t)} is not a number: missing",
        "not_whole": lambda t, n: f"{quoted(t)} is not a whole number: missing",
        "out_of_range": lambda t, n: (
            f"{quoted(t)} is outside {rule_of.minimum:g} to {rule_of.maximum:g}: missing"
        ),
    }
    detail = [
        details[r](u, n if n is not None else 0) if r else None
        for u, (n, r) in zip(uniques, read, strict=True)
    ]
    recodes = pd.DataFrame(
        {
            "source_row": frame["source_row"].to_numpy()[hit],
            "variable": var.name,
            "rule": rules[codes][hit],
            "detail": np.asarray([*detail, None], dtype=object)[codes][hit],
        }
    )
    return out, recodes


def _option_flags(
    frame: pd.DataFrame, column: str, var: Variable, code: str
) -> tuple[pd.Series, pd.Series, list[str]]:
    """One option column -> chosen (True/False/<NA>); for ``other`` also the text written."""
    values = frame[column]
    option = next(a for a in var.options if code_text(a.code) == code)
    mine = {normalise(t) for t in (code, option.label, *option.aliases)}
    codes, uniques = pd.factorize(values)
    keys = [normalise(u) for u in uniques]
    state = [True if k in mine or k in CHOSEN else False if k in NOT_CHOSEN else None for k in keys]
    text = pd.Series(pd.NA, index=values.index, dtype="string")
    if code == OTHER:
        # Anything else in the "other" column is what the respondent wrote: ticked, with text.
        free = np.asarray([s is None for s in state] + [False])[codes]
        text = values.where(free).astype("string")
        state = [True if s is None else s for s in state]
        problems: list[str] = []
    else:
        bad = np.asarray([s is None for s in state] + [False], dtype=bool)
        unknown = first_rows(values, bad[codes]) if bad.any() else {}
        problems = _misfits(
            frame,
            column,
            unknown,
            f"do not say whether {option.label!r} was chosen (the label, 1/0, or blank)",
        )
    flags = pd.Series(np.asarray([*state, None], dtype=object)[codes], index=values.index)
    return flags.astype("boolean"), text, problems


def split_joined(text: str, var: Variable) -> tuple[list[str], str | None]:
    """Google Forms' ``A, B, my own words``: the option codes and any unmatched (other) text.

    From each piece the longest run of ``, ``-joined pieces that is an option label is taken
    whole first, so a label holding ``, `` is never split; pieces no label takes are the
    "other" text, in order.
    """
    lookup = var.option_lookup()
    pieces = text.strip().split(", ")
    chosen: list[str] = []
    other: list[str] = []
    start = 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            code = lookup.get(normalise(", ".join(pieces[start:end])))
            if code is not None:
                chosen.append(code_text(code))
                start = end
                break
        else:
            other.append(pieces[start])
            start += 1
    return chosen, ", ".join(other) if other else None


def _multiple(
    frame: pd.DataFrame, columns: dict[str | None, str], var: Variable
) -> tuple[dict[str, pd.Series], pd.DataFrame, list[str], pd.Series]:
    """A select-all question's option flags, its "other" text, recodes and problems."""
    index = frame.index
    codes = [code_text(a.code) for a in var.options]
    flags = {c: pd.Series(pd.NA, index=index, dtype="boolean") for c in codes}
    text = pd.Series(pd.NA, index=index, dtype="string")
    problems: list[str] = []
    if None in columns:
        values = frame[columns[None]]
        inverse, uniques = pd.factorize(values)  # a blank is -1: the last entry of split
        split = [split_joined(str(u), var) if str(u) else ([], None) for u in uniques]
        split.append(([], None))
        for code in codes:
            chosen = np.asarray([code in s[0] for s in split])[inverse]
            flags[code] = pd.Series(chosen, index=index, dtype="boolean").mask(values.isna())
        written = np.asarray([s[1] for s in split], dtype=object)[inverse]
        text = pd.Series(written, index=index, dtype="string")
        if var.other is not None:
            flags[OTHER] = flags[OTHER] | text.notna()
        elif text.notna().any():
            unknown = first_rows(text, text.notna().to_numpy())
            labels = [a.label for a in var.options]
            problems += _misfits(
                frame, columns[None], unknown, f"are not options of {var.name!r}", labels
            )
    for code in codes:
        if code in columns:
            flags[code], written, found = _option_flags(frame, columns[code], var, code)
            text = text.fillna(written)
            problems += found
    if OTHER_TEXT in columns:
        written = frame[columns[OTHER_TEXT]].astype("string")
        text = text.fillna(written)
        if OTHER in flags:
            flags[OTHER] = flags[OTHER].mask(written.notna(), True)
    if (
        var.other is not None
        and OTHER not in columns
        and OTHER_TEXT not in columns
        and None not in columns
    ):
        flags.pop(OTHER)  # the wave did not offer "other": unknown, never "not chosen"
    table = pd.DataFrame(flags)
    answered = table.notna().any(axis=1) | text.notna()
    table = table.where(table.notna() | ~answered.to_numpy()[:, None], False)
    recodes = pd.DataFrame(columns=RECODE_COLUMNS[1:])
    if var.exclusive is not None:
        alone = code_text(var.exclusive.code)
        others = table.drop(columns=alone).fillna(False).any(axis=1)
        conflict = (table[alone].fillna(False) & others).to_numpy(dtype=bool)
        if conflict.any():
            table.loc[conflict] = pd.NA
            recodes = pd.DataFrame(
                {
                    "source_row": frame["source_row"].to_numpy()[conflict],
                    "variable": var.name,
                    "rule": "exclusive_conflict",
                    "detail": f"{var.exclusive.label!r} chosen with other options: missing",
                }
            )
            text = text.mask(conflict)
    out = {
        var.part_column(c): table[c].astype("boolean")
        if c in table
        else pd.Series(pd.NA, index=index, dtype="boolean")
        for c in codes
    }
    return out, recodes, problems, text


def harmonise(export: Export, book: Codebook, mapping: Mapping, *, file: str | Path) -> Harmonised:
    """Paradata plus every variable's canonical columns, or one error listing all misfits.

    Variables declared absent in the mapping get all-missing columns.
    """
    frame = export.frame
    matched, unmatched = match_columns(export, book, mapping)
    problems: list[str] = []
    wordings = [w for v in book.variables for w in v.wordings()]
    for column in unmatched:
        problems.append(
            f"column {_how(export, column)} matches no codebook question "
            f"(closest: {closest(column, wordings)})"
        )
    problems += _coverage_problems(matched, export, book, mapping)

    by_variable: dict[str, dict[str | None, str]] = {}
    for column, target in matched.items():
        by_variable.setdefault(target.variable, {})[target.part] = column
    out = frame[[c for c in (*PARADATA, "source_row") if c in frame]]  # copy on write
    recodes: list[pd.DataFrame] = []
    for var in book.variables:
        columns = by_variable.get(var.name, {})
        if var.name in mapping.absent or not columns:
            continue
        if var.type == "text":
            out[var.name] = frame[next(iter(columns.values()))].astype("string")
        elif var.type == "numeric":
            out[var.name], changed = _numbers(frame, columns[None], var)
            recodes.append(changed)
        elif var.type == "multiple":
            parts, changed, found, text = _multiple(frame, columns, var)
            out = out.assign(**parts)
            if var.other_text and var.other_text not in by_variable:
                out[var.other_text] = text
            recodes.append(changed)
            problems += found
        elif var.type == "grid":
            lookup = _label_codes(var, mapping)
            for row in var.rows:
                code = code_text(row.code)
                if code in columns:
                    values, found = _lookup(
                        frame, columns[code], lookup, var, f"are not on the scale of {var.name!r}"
                    )
                    out[var.part_column(code)] = values
                    problems += found
        elif None in columns:
            values, found = _lookup(
                frame,
                columns[None],
                _label_codes(var, mapping),
                var,
                f"are not labels of {var.name!r}",
            )
            out[var.name] = values
            problems += found
    for var in book.variables:
        for column in var.columns if var.type != "text" else [var.name]:
            if column not in out:
                out[column] = pd.Series(pd.NA, index=out.index, dtype=_raw_dtype(var))
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) matching the export to the codebook:\n  - "
            + "\n  - ".join(problems),
            file=file,
            hint="Add the wording or label as an alias in config/codebook.yaml, or map it in "
            "the wave's mapping file (column 'mapping' of config/waves.tsv).",
        )
    return Harmonised(out, _recode_table(recodes, out))


def _raw_dtype(var: Variable) -> str:
    return {"boolean": "boolean", "multiple": "boolean", "numeric": "Float64"}.get(
        var.type, "string"
    )


def _recode_table(parts: list[pd.DataFrame], frame: pd.DataFrame) -> pd.DataFrame:
    """Recode rows with the respondent id of each source row, sorted by row and variable."""
    rows = [p for p in parts if len(p)]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in RECODE_COLUMNS}).astype(
            {"source_row": "int64"}
        )
    table = pd.concat(rows, ignore_index=True)
    ids = frame.set_index("source_row")["respondent_id"] if "respondent_id" in frame else None
    table.insert(
        0,
        "respondent_id",
        ids.reindex(table["source_row"]).to_numpy() if ids is not None else pd.NA,
    )
    table = table.astype(
        {
            "respondent_id": "string",
            "source_row": "int64",
            "variable": "string",
            "rule": "string",
            "detail": "string",
        }
    )
    return table.sort_values(["source_row", "variable"], kind="stable", ignore_index=True)[
        RECODE_COLUMNS
    ]


def _label_codes(var: Variable, mapping: Mapping) -> dict[str, object]:
    lookup: dict[str, object] = dict(var.label_lookup())
    for label, code in mapping.labels.get(var.name, {}).items():
        lookup[label] = next(c for c in var.code_values if code_text(c) == code)
    return lookup
