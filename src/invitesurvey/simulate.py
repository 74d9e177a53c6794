"""SYNTHETIC survey waves of any size, drawn from the reconstructed wave-2014 shares.

Nothing simulated here is survey data: the files exist to exercise the pipeline (tests, the
demo, benchmarks) in every export format. Recruiter status is drawn first; then, within each
group, every closed item independently with that group's answer shares and item non-response
rate (``1 - base / size`` of the wave-2014 counts). The questions follow-up waves add (a number,
a select-all, a grid and the select-all's "other" text) have no data behind them at all: they
are drawn from the stated assumptions of config ``simulation:`` (:class:`FollowUp`). Paradata
and personal data are invented: e-mails at example.com and IP addresses from the documentation
ranges. All draws come from one seeded numpy Generator, so a seed and a wave id fix the frame.

The frame is canonical raw (docs/architecture.md): a number in ``pending_invitations``, one
boolean column per select-all option, one code column per grid row. A small share of numbers
also carries the text a person would type (``1,200``, ``about 800``) in
``formats._common.typed_column`` (``pending_invitations_as_typed``), which text exports write;
only forms that the documented reading rules turn back into the very same number are used.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from invitesurvey import codebook, formats, io
from invitesurvey.codebook import Codebook, Variable, code_text
from invitesurvey.errors import InputError
from invitesurvey.formats._common import typed_column
from invitesurvey.reconstruct import (
    COLLECTOR_ID,
    COMMENTS,
    DOCUMENTATION_NETS,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    FIRST_RESPONDENT_ID,
    GROUP_VARIABLE,
    GROUPS,
    LAST_NAMES,
    SPEEDER_BOUNDS_S,
    TEST_COMMENT,
    companion_paths,
    durations,
    start_times,
)

COUNT_COLUMNS = ["group", "variable", "code", "n", "base", "size"]
SHARE_COLUMNS = ["group", "variable", "code", "share", "answered"]
COMMENTS_SHARE = 0.15  # respondents leaving a free-text comment
TEST_DAYS = 3  # tests happen in the days just before fieldwork opens
DUPLICATE_GAP_S = (3600, 4 * 86400)  # a second submission comes an hour to four days later
_SHIFT = re.compile(r"(?P<variable>[^:=\s]+):(?P<code>[^=\s]+)=(?P<delta>[-+]?[0-9.]+)")


@dataclass(frozen=True)
class Artefacts:
    """Rows for cleaning to remove, as shares of the simulated respondents (at least one each).

    Tests start before fieldwork with status ``test``; break-offs stop part way, leaving every
    later question blank; duplicates resubmit a respondent's answers with the same
    e-mail later on; speeders finish far faster than anyone genuine.
    """

    tests: float = 0.01
    incomplete: float = 0.04
    duplicates: float = 0.015
    speeders: float = 0.02

    def counts(self, n: int) -> dict[str, int]:
        return {
            name: max(1, round(share * n)) if share > 0 else 0 for name, share in vars(self).items()
        }


# What respondents write in the select-all's "Other (please specify)" box (SYNTHETIC); some
# name an invented person, so the text is personal data as a real one would be.
OTHER_REASONS = (
    "We studied at the same university",
    "They are in my professional association",
    "{name} asked me to connect with them",
    "I met them at a conference, briefly",
    "To grow my network before a job search",
    "I met {name} at an industry event",
)
# Numbers as people type them, only forms the reading rules of docs/architecture.md read back
# as the very same number: a thousands separator (plain reading, from 1,000 up) and words or
# signs around the digits (recoded as `approximate`, the number kept).
TYPED_FORMS = ("{:,}", "about {}", "~{}", "{}+")

FOLLOW_UP_TYPES = ("numeric", "multiple", "grid")
_KEYS = {
    "numeric": ("answered", "median", "sigma", "zero"),
    "multiple": ("answered", "options", "other"),
    "grid": ("answered", "row_skipped", "rows"),
}


class _Checker:
    """Reads one ``simulation:`` block; every error names the key (``simulation.a.b``)."""

    def __init__(self, file: str | Path | None) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(
            f"simulation.{where} {problem}",
            file=self.file,
            hint="See the `simulation:` block of config/config.yaml for its layout.",
        )

    def share(self, value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.fail(where, f"must be a share from 0 to 1, not {value!r}")
        return float(value)

    def positive(self, value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(where, f"must be a positive number, not {value!r}")
        return float(value)

    def keyed(self, value: object, keys: Sequence[str], where: str) -> dict:
        if not isinstance(value, dict) or set(map(str, value)) != set(keys):
            found = ", ".join(sorted(map(str, value))) if isinstance(value, dict) else repr(value)
            raise self.fail(where, f"must have exactly the keys {', '.join(keys)} (found {found})")
        return {str(k): v for k, v in value.items()}

    def shares(self, value: object, keys: Sequence[str], where: str) -> dict[str, float]:
        entries = self.keyed(value, keys, where)
        return {k: self.share(entries[k], f"{where}.{k}") for k in keys}

    def question(self, var: Variable, value: object, where: str) -> dict:
        entry = self.keyed(value, _KEYS[var.type], where)
        out: dict = {"answered": self.share(entry["answered"], f"{where}.answered")}
        if var.type == "numeric":
            out["median"] = self.positive(entry["median"], f"{where}.median")
            out["sigma"] = self.positive(entry["sigma"], f"{where}.sigma")
            out["zero"] = self.share(entry["zero"], f"{where}.zero")
        elif var.type == "multiple":
            codes = [code_text(c) for c in var.code_values]
            out["options"] = self.shares(entry["options"], codes, f"{where}.options")
            out["other"] = self.share(entry["other"], f"{where}.other")
        else:
            out["row_skipped"] = self.share(entry["row_skipped"], f"{where}.row_skipped")
            rows = self.keyed(entry["rows"], [code_text(r.code) for r in var.rows], f"{where}.rows")
            scale = [code_text(c) for c in var.code_values]
            out["rows"] = {}
            for row, value in rows.items():
                out["rows"][row] = self.shares(value, scale, f"{where}.rows.{row}")
                if abs(sum(out["rows"][row].values()) - 1) > 1e-6:
                    raise self.fail(f"{where}.rows.{row}", "must add up to 1")
        return out


@dataclass(frozen=True)
class FollowUp:
    """SYNTHETIC answers to the numeric, select-all and grid questions, per group.

    Per group and question (config ``simulation:``), ``answered`` is the share answering it.
    A number: lognormal with ``median`` and log-scale ``sigma``, a share ``zero`` of empty
    inboxes, rounded to whole numbers and kept within the codebook's range. A select-all:
    ``options`` gives each option's chance of being ticked, independently, except for the
    exclusive one, whose chance is of being chosen alone; ``other`` is the chance of writing
    an "other" reason (ticking "other" means writing one). A respondent answering who drew
    nothing takes one option, drawn in proportion to the option chances. A grid: each row's
    distribution over the scale (``rows``), and ``row_skipped``, the chance of leaving a row
    blank (never every row). ``typed_share``: the share of numbers written as people type
    them (``TYPED_FORMS``).
    """

    groups: dict
    typed_share: float

    @classmethod
    def from_config(
        cls, raw: object, book: Codebook, *, file: str | Path | None = None
    ) -> FollowUp:
        """Check a ``simulation:`` block against the codebook's questions and codes."""
        check = _Checker(file)
        questions = [v for v in book.questions if v.type in FOLLOW_UP_TYPES]
        top = check.keyed(raw, ["typed_share", *GROUPS], "")
        groups = {}
        for group in GROUPS:
            entries = check.keyed(top[group], [v.name for v in questions], group)
            groups[group] = {
                v.name: check.question(v, entries[v.name], f"{group}.{v.name}") for v in questions
            }
        return cls(groups, check.share(top["typed_share"], "typed_share"))

    def table(self, name: str, key: str) -> np.ndarray:
        """One setting of question ``name`` per group, in ``GROUPS`` order."""
        return np.asarray([self.groups[g][name][key] for g in GROUPS], dtype=float)

    def shares(self, name: str, keys: Sequence[str], codes: Sequence[str]) -> np.ndarray:
        """Groups x codes: the shares under ``keys`` (``["options"]``, ``["rows", row]``)."""
        entries = [self.groups[g][name] for g in GROUPS]
        for key in keys:
            entries = [e[key] for e in entries]
        return np.asarray([[e[c] for c in codes] for e in entries], dtype=float)


def shares_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``group, variable, code, share, answered`` from the counts ``group, variable, code, n,
    base, size``: the share of those answering, and the share answering the item at all.

    Recruiter status defines the groups: its rows are ``group="all"``, each group's size over
    the total.
    """
    missing = [c for c in COUNT_COLUMNS if c not in counts]
    if missing:
        raise InputError(
            f"the counts lack column(s) {', '.join(missing)}",
            hint=f"Expected columns: {', '.join(COUNT_COLUMNS)} (see data/raw/README.md).",
        )
    frame = counts[COUNT_COLUMNS].astype({"group": "string", "variable": "string", "code": str})
    items = frame[frame["variable"] != GROUP_VARIABLE]
    base = items["base"].astype(float)
    answering = pd.DataFrame(
        {
            "group": items["group"],
            "variable": items["variable"],
            "code": items["code"],
            "share": (items["n"] / base.where(base > 0)).fillna(0.0),
            "answered": base / items["size"].astype(float),
        }
    )
    sizes = frame.groupby("group")["size"].first()
    groups = pd.DataFrame(
        {
            "group": "all",
            "variable": GROUP_VARIABLE,
            "code": [code_text(GROUPS[g]) for g in sizes.index],
            "share": (sizes / sizes.sum()).to_numpy(),
            "answered": 1.0,
        }
    )
    out = pd.concat([groups, answering], ignore_index=True)
    return out[SHARE_COLUMNS].sort_values(["group", "variable", "code"], ignore_index=True)


def parse_shift(text: str) -> tuple[str, str, float]:
    """``"purpose:find_role=0.05"`` -> ``("purpose", "find_role", 0.05)``."""
    match = _SHIFT.fullmatch(text.strip())
    if match is None:
        raise InputError(
            f"cannot read the shift {text!r}",
            hint="Write VARIABLE:CODE=DELTA, e.g. purpose:find_role=0.05.",
        )
    return match["variable"], match["code"], float(match["delta"])


def shift(shares: pd.DataFrame, variable: str, code: str, delta: float) -> pd.DataFrame:
    """Move ``code``'s share by ``delta`` in every group; the other codes of the variable keep
    their proportions to one another and take up the difference."""
    of_variable = shares["variable"] == variable
    target = of_variable & (shares["code"] == code)
    if not target.any():
        known = sorted(shares.loc[of_variable, "code"]) or sorted(set(shares["variable"]))
        raise InputError(
            f"no share for {variable}:{code}",
            column=variable,
            hint=f"Known {'codes' if of_variable.any() else 'variables'}: {', '.join(known)}.",
        )
    out = shares.copy()
    old = shares["share"].where(target, 0.0).groupby(shares["group"]).transform("sum")
    new = old + delta
    moved = of_variable & shares["group"].isin(shares.loc[target, "group"])
    if ((new < 0) | (new > 1))[moved].any():
        raise InputError(
            f"shifting {variable}:{code} by {delta:+g} leaves a share outside 0..1",
            column=variable,
            hint=f"Current shares: {', '.join(f'{v:.3f}' for v in old[target])}.",
        )
    rest = (1 - new) / (1 - old).where(old < 1)
    if (rest.isna() & moved & ~target & (new < 1)).any():
        raise InputError(
            f"{variable}:{code} holds every answer; the other codes have no shares to scale",
            column=variable,
            hint="Shift another code of the variable up instead.",
        )
    out.loc[target, "share"] = new[target]
    others = moved & ~target
    out.loc[others, "share"] = shares.loc[others, "share"] * rest[others].fillna(0.0)
    return out


def _table(shares: pd.DataFrame, var: codebook.Variable, groups: list[str]) -> pd.DataFrame:
    """One row per group, one column per code (codebook order), plus ``answered``."""
    rows = shares[shares["variable"] == var.name]
    codes = [code_text(c) for c in var.code_values]
    table = rows.pivot(index="group", columns="code", values="share").reindex(
        index=groups, columns=codes
    )
    table["answered"] = rows.groupby("group")["answered"].first().reindex(groups)
    if table.isna().any().any():
        raise InputError(
            f"the shares lack codes of {var.name!r} for group(s) {', '.join(groups)}",
            column=var.name,
            hint="Regenerate the counts with `invitesurvey reconstruct`.",
        )
    return table


def draw(probabilities: np.ndarray, row_group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One code index per row from its group's row of ``probabilities`` (groups x codes)."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative[:, -1] = np.inf  # rounding never lets a draw fall off the last code
    uniform = rng.random(len(row_group))
    index = np.empty(len(row_group), dtype=np.int64)
    for group, bounds in enumerate(cumulative):
        rows = row_group == group
        index[rows] = np.searchsorted(bounds, uniform[rows], side="right")
    return index


def pick(options: Sequence[str], index: np.ndarray) -> pd.Series:
    """``options[index]`` as a pandas string column, taken in pyarrow (fast for millions)."""
    taken = pa.array(list(options), type=pa.string()).take(pa.array(index))
    return pd.Series(pd.arrays.ArrowStringArray(taken))


def numbered(values: np.ndarray) -> pd.Series:
    """Integers as a pandas string column."""
    return pd.Series(pd.arrays.ArrowStringArray(pc.cast(pa.array(values), pa.string())))


def answers(shares: pd.DataFrame, book: Codebook, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` respondents' codes for every closed item: recruiter status, then each item."""
    group_var = book[GROUP_VARIABLE]
    split = _table(shares, group_var, ["all"])
    recruiter = draw(
        split[[code_text(c) for c in group_var.code_values]].to_numpy(), np.zeros(n, dtype=int), rng
    )
    flags = np.asarray(group_var.code_values)[recruiter].astype(bool)
    groups = list(GROUPS)
    row_group = np.where(flags, groups.index("recruiters"), groups.index("non_recruiters"))
    out = {GROUP_VARIABLE: pd.Series(flags, dtype="boolean")}
    for var in book.items:
        if var.name == GROUP_VARIABLE:
            continue
        table = _table(shares, var, groups)
        index = draw(table.drop(columns="answered").to_numpy(), row_group, rng)
        blank = rng.random(n) >= table["answered"].to_numpy()[row_group]
        if var.type == "boolean":
            codes = pd.Series(np.asarray(var.code_values, dtype=bool)[index], dtype="boolean")
        else:
            codes = pick([code_text(c) for c in var.code_values], index)
        out[var.name] = codes.mask(blank)
    return pd.DataFrame(out)


def people(first_serial: int, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Invented people: names, a unique e-mail at example.com, a documentation-range IP."""
    first = pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
    last = pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    serial = numbered(np.arange(first_serial, first_serial + n))
    net = pick(DOCUMENTATION_NETS, rng.integers(0, len(DOCUMENTATION_NETS), n))
    return pd.DataFrame(
        {
            "email": (first + "." + last + serial + "@" + EMAIL_DOMAIN).str.lower(),
            "first_name": first,
            "last_name": last,
            "ip_address": net + "." + numbered(rng.integers(1, 255, n)),
        }
    )


def _texts(templates: Sequence[str], n: int, rng: np.random.Generator) -> pd.Series:
    """One of ``templates`` per row, ``{name}`` filled with an invented person's name."""
    before, names, after = zip(*(text.partition("{name}") for text in templates), strict=True)
    which = rng.integers(0, len(templates), n)
    person = (
        pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
        + " "
        + pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    )
    return pick(before, which) + person.where(pick(names, which) != "", "") + pick(after, which)


def comments(n: int, rng: np.random.Generator) -> pd.Series:
    """Free text for about COMMENTS_SHARE of rows; some name an invented person."""
    return _texts(COMMENTS, n, rng).where(rng.random(n) < COMMENTS_SHARE)


def typed_numbers(values: np.ndarray, share: float, rng: np.random.Generator) -> pd.Series:
    """For about ``share`` of the (positive) numbers, the text a person might have typed
    instead (``TYPED_FORMS``: a thousands separator from 1,000 up, ``about 800``, ``~800``,
    ``800+``); blank for the rest, whose bare number is written."""
    n = len(values)
    typed = (rng.random(n) < share) & (values > 0)
    form = rng.integers(0, len(TYPED_FORMS), n)
    form = np.where((form == 0) & (values < 1000), 1, form)  # "1,200" needs four digits
    text = np.full(n, None, dtype=object)
    for i in np.flatnonzero(typed):
        text[i] = TYPED_FORMS[form[i]].format(int(values[i]))
    return pd.Series(text, dtype="string")


def _numbers(
    var: Variable, settings: FollowUp, row_group: np.ndarray, rng: np.random.Generator
) -> dict[str, pd.Series]:
    """A lognormal whole number per row (a share zero), within the codebook's range."""
    n = len(row_group)
    median = settings.table(var.name, "median")[row_group]
    values = np.round(rng.lognormal(np.log(median), settings.table(var.name, "sigma")[row_group]))
    values[rng.random(n) < settings.table(var.name, "zero")[row_group]] = 0
    values = np.clip(values, np.ceil(var.numeric.minimum), np.floor(var.numeric.maximum))
    blank = rng.random(n) >= settings.table(var.name, "answered")[row_group]
    typed = typed_numbers(values, settings.typed_share, rng)
    return {
        var.name: pd.Series(values, dtype="Float64").mask(blank),
        typed_column(var.name): typed.mask(blank),
    }


def _select_all(
    var: Variable, settings: FollowUp, row_group: np.ndarray, rng: np.random.Generator
) -> dict[str, pd.Series]:
    """One boolean column per option (all missing when not answered), and the "other" text."""
    n = len(row_group)
    codes = [code_text(c) for c in var.code_values]
    chances = settings.shares(var.name, ["options"], codes)
    ticked = rng.random((n, len(codes))) < chances[row_group]
    other = np.zeros(n, dtype=bool)
    if var.other is not None:
        other = rng.random(n) < settings.table(var.name, "other")[row_group]
    weights = chances.copy()
    if var.exclusive is not None:
        alone = codes.index(code_text(var.exclusive.code))
        chosen_alone = ticked[:, alone].copy()
        ticked[chosen_alone] = False
        ticked[chosen_alone, alone] = True
        other[chosen_alone] = False
        weights[:, alone] = 0
    # Answering means choosing something: a row that drew nothing takes one option.
    total = weights.sum(axis=1, keepdims=True)
    fallback = draw(weights / np.where(total > 0, total, 1), row_group, rng)
    empty = np.flatnonzero(~ticked.any(axis=1) & ~other)
    ticked[empty, fallback[empty]] = True
    blank = rng.random(n) >= settings.table(var.name, "answered")[row_group]
    out = {
        var.part_column(code): pd.Series(ticked[:, j], dtype="boolean").mask(blank)
        for j, code in enumerate(var.code_values)
    }
    if var.other is not None:
        out[var.part_column(var.other.code)] = pd.Series(other, dtype="boolean").mask(blank)
        if var.other_text:
            wrote = np.flatnonzero(other & ~blank)
            text = pd.Series(pd.NA, index=range(n), dtype="string")
            text.iloc[wrote] = _texts(OTHER_REASONS, len(wrote), rng).to_numpy()
            out[var.other_text] = text
    return out


def _grid(
    var: Variable, settings: FollowUp, row_group: np.ndarray, rng: np.random.Generator
) -> dict[str, pd.Series]:
    """One scale code per grid row; a question left blank, or a row now and then."""
    n = len(row_group)
    scale = [code_text(c) for c in var.code_values]
    blank = rng.random(n) >= settings.table(var.name, "answered")[row_group]
    skip = settings.table(var.name, "row_skipped")[row_group, None]
    skipped = rng.random((n, len(var.rows))) < skip
    skipped[skipped.all(axis=1)] = False  # a row that answers the grid answers some row
    out = {}
    for j, row in enumerate(var.rows):
        shares = settings.shares(var.name, ["rows", code_text(row.code)], scale)
        index = draw(shares, row_group, rng)
        out[var.part_column(row.code)] = pick(scale, index).mask(blank | skipped[:, j])
    return out


def follow_up_answers(
    questions: Sequence[Variable],
    settings: FollowUp,
    recruiter: pd.Series,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Canonical raw columns of the numeric, select-all and grid ``questions``, in their order,
    drawn with each respondent's group's assumptions (plus the numbers as typed)."""
    groups = list(GROUPS)
    flags = recruiter.astype("boolean").fillna(False).to_numpy(dtype=bool)
    row_group = np.where(flags, groups.index("recruiters"), groups.index("non_recruiters"))
    draws = {"numeric": _numbers, "multiple": _select_all, "grid": _grid}
    out: dict[str, pd.Series] = {}
    for var in questions:
        if var.type in draws:
            out.update(draws[var.type](var, settings, row_group, rng))
    return pd.DataFrame(out, index=recruiter.index)


def raw_columns(var: Variable) -> list[str]:
    """A variable's canonical raw columns: its clean-data columns (a text variable: itself)."""
    return [var.name] if var.type == "text" else var.columns


def _break_off(
    rows: pd.DataFrame,
    book: Codebook,
    asked: Sequence[Variable],
    broken: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Stop each ``broken`` row after a random question of those ``asked`` (in the order of
    ``book.questions``): every later question, a select-all's "other" text with it, and all
    other free text are blank; progress is the share of questions reached."""
    questions = [v for v in book.questions if v in asked]
    stop = np.full(len(rows), len(questions))
    stop[broken] = rng.integers(1, len(questions), int(broken.sum()))
    out = rows.copy()
    for position, var in enumerate(questions):
        columns = raw_columns(var)
        if var.type == "numeric":
            columns.append(typed_column(var.name))
        if var.other_text:
            columns.append(var.other_text)
        for column in columns:
            out[column] = out[column].mask(stop <= position)
    other_texts = {v.other_text for v in questions if v.other_text}
    for var in asked:
        if var.type == "text" and var.name not in other_texts:
            out[var.name] = out[var.name].mask(broken)
    out["progress"] = np.floor(100.0 * stop / len(questions))  # tools report whole percents
    out["finished"] = ~broken
    return out


def simulate(
    book: Codebook,
    shares: pd.DataFrame,
    n: int,
    seed: int,
    *,
    wave: str,
    fieldwork: tuple[dt.date, dt.date],
    shifts: Sequence[tuple[str, str, float]] = (),
    artefacts: Artefacts | None = None,
    follow_up: bool = True,
    assumptions: FollowUp | None = None,
) -> pd.DataFrame:
    """``n`` simulated respondents as a canonical raw frame, in start-time order, plus a
    ``role`` column (``analysed`` or the cleaning rule meant to remove the row).

    With ``artefacts``, their rows come on top of the ``n``, so cleaning leaves exactly ``n``.
    The wave id is mixed into the seed: two waves simulated with one seed still differ.
    ``follow_up=False`` simulates the wave-1 questionnaire only (``Codebook.wave1``); else the
    follow-up questions are drawn too, from ``assumptions`` (the config's ``simulation:``
    block, :meth:`FollowUp.from_config`), which they then need.
    """
    if n < 1:
        raise InputError(f"cannot simulate {n} respondents", hint="Ask for at least one.")
    first, last = fieldwork
    if last < first:
        raise InputError(f"fieldwork ends ({last}) before it starts ({first})")
    rng = np.random.default_rng([seed, zlib.crc32(str(wave).encode())])
    for variable, code, delta in shifts:
        shares = shift(shares, variable, code, delta)
    extra = (artefacts or Artefacts(0, 0, 0, 0)).counts(n)
    roles = np.repeat(
        ["analysed", "preview_or_test", "incomplete", "speeder"],
        [n, extra["tests"], extra["incomplete"], extra["speeders"]],
    )
    total = len(roles)
    asked = list(book.variables) if follow_up else book.wave1
    closed = answers(shares, book, total, rng)
    drawn = [closed]
    if any(v.type in FOLLOW_UP_TYPES for v in asked):
        if assumptions is None:
            raise InputError(
                "simulating the follow-up questions needs their assumptions",
                hint="Pass the config's simulation: block (FollowUp.from_config), or simulate "
                "the wave-1 questionnaire only (follow_up=False, --wave1-only).",
            )
        drawn.append(follow_up_answers(asked, assumptions, closed[GROUP_VARIABLE], rng))
    rows = pd.concat([*drawn, people(1, total, rng)], axis=1)
    other_texts = {v.other_text for v in asked if v.other_text}
    for var in asked:
        if var.type == "text" and var.name not in other_texts:
            rows[var.name] = comments(total, rng).mask(roles == "preview_or_test", TEST_COMMENT)
    rows = _break_off(rows, book, asked, roles == "incomplete", rng)
    rows["role"] = roles
    rows["status"] = np.where(roles == "preview_or_test", "test", "response")
    start = start_times(total, first, (last - first).days + 1, rng)
    tests = roles == "preview_or_test"
    start[tests] = start_times(
        int(tests.sum()), first - dt.timedelta(days=TEST_DAYS), TEST_DAYS, rng
    )
    duration = durations(total, rng)
    speeders = roles == "speeder"
    duration[speeders] = rng.integers(*SPEEDER_BOUNDS_S, int(speeders.sum()), endpoint=True)
    broken = roles == "incomplete"
    duration[broken] = np.maximum(10, np.round(duration[broken] * rows["progress"][broken] / 100))
    rows["start_time"] = start
    rows["duration_s"] = duration
    rows["end_time"] = rows["start_time"] + pd.to_timedelta(duration, unit="s")
    rows = pd.concat([rows, _duplicates(rows, extra["duplicates"], rng)], ignore_index=True)
    rows = rows.sort_values("start_time", kind="stable", ignore_index=True)
    rows["respondent_id"] = numbered(FIRST_RESPONDENT_ID + np.arange(len(rows)))
    rows["collector_id"] = COLLECTOR_ID
    typed = [typed_column(v.name) for v in asked if v.type == "numeric"]
    return rows[[*formats.PARADATA, *(c for v in asked for c in raw_columns(v)), *typed, "role"]]


def _duplicates(rows: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Second complete submissions of ``n`` genuine respondents: same person and answers, later."""
    genuine = np.flatnonzero(rows["role"].to_numpy() == "analysed")
    out = rows.iloc[np.sort(rng.choice(genuine, size=n, replace=False))].copy()
    out["role"] = "duplicate"
    out["start_time"] = out["end_time"] + pd.to_timedelta(rng.integers(*DUPLICATE_GAP_S, n), "s")
    out["duration_s"] = durations(n, rng)
    out["end_time"] = out["start_time"] + pd.to_timedelta(out["duration_s"], unit="s")
    return out


def default_fieldwork(wave: str) -> tuple[dt.date, dt.date]:
    """March of the wave's year when the wave id is a year, else March 2015."""
    year = int(wave) if re.fullmatch(r"\d{4}", str(wave)) else 2015
    return dt.date(year, 3, 1), dt.date(year, 3, 31)


def read_counts(path: Path) -> pd.DataFrame:
    """The reconstructed counts (``invitesurvey reconstruct`` writes them beside wave 2014)."""
    if not path.exists():
        raise InputError(
            "the wave-2014 counts are missing",
            file=path,
            hint="Run `invitesurvey reconstruct` first; simulation draws from its counts.",
        )
    return io.read_table(path)


def cli_main(args: object) -> int:
    """``invitesurvey simulate``: draw a synthetic wave and write it in the chosen format."""
    config = io.read_yaml(args.config, "configuration")
    try:
        output = Path(config["reconstruction"]["output"])
    except (KeyError, TypeError) as error:
        raise InputError(
            f"cannot find reconstruction.output in the config: {error}", file=args.config
        ) from error
    book = codebook.load(args.codebook)
    follow_up = not args.wave1_only
    assumptions = None
    if follow_up:
        if not isinstance(config.get("simulation"), dict):
            raise InputError(
                "the config has no simulation: block (the follow-up questions' assumptions)",
                file=args.config,
                hint="Copy the simulation: block of config/config.yaml, or pass --wave1-only.",
            )
        assumptions = FollowUp.from_config(config["simulation"], book, file=args.config)
    shares = shares_from_counts(read_counts(companion_paths(output)[0]))
    frame = simulate(
        book,
        shares,
        args.n,
        args.seed,
        wave=args.wave,
        fieldwork=default_fieldwork(args.wave),
        shifts=[parse_shift(s) for s in args.shift],
        artefacts=Artefacts() if args.artefacts else None,
        follow_up=follow_up,
        assumptions=assumptions,
    )
    formats.write_export(frame, args.output, args.format, book)
    roles = frame["role"].value_counts()
    print(
        f"SYNTHETIC wave {args.wave} (seed {args.seed}, "
        f"{'follow-up' if follow_up else 'wave-1'} questionnaire): {len(frame)} rows "
        f"({', '.join(f'{r} {k}' for r, k in roles.sort_index().items())}) "
        f"written to {args.output} as {args.format}"
    )
    return 0
