"""SYNTHETIC survey waves of any size, drawn from the reconstructed wave-2014 shares.

Nothing simulated here is survey data: the files exist to exercise the pipeline (tests, the
demo, benchmarks) in every export format. Recruiter status is drawn first; then, within each
group, every closed item independently with that group's answer shares and item non-response
rate (``1 - base / size`` of the wave-2014 counts). Paradata and personal data are invented:
e-mails at example.com and IP addresses from the documentation ranges. All draws come from one
seeded numpy Generator, so a seed and a wave id fix the frame.
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
import yaml

from invitesurvey import codebook, formats, io
from invitesurvey.codebook import Codebook, code_text
from invitesurvey.errors import InputError
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
    later closed question blank; duplicates resubmit a respondent's answers with the same
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


def comments(n: int, rng: np.random.Generator) -> pd.Series:
    """Free text for about COMMENTS_SHARE of rows; some name an invented person."""
    before, names, after = zip(*(text.partition("{name}") for text in COMMENTS), strict=True)
    which = rng.integers(0, len(COMMENTS), n)
    person = (
        pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
        + " "
        + pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    )
    text = pick(before, which) + person.where(pick(names, which) != "", "") + pick(after, which)
    return text.where(rng.random(n) < COMMENTS_SHARE)


def _break_off(
    rows: pd.DataFrame, book: Codebook, broken: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Stop each ``broken`` row after a random closed question; progress is how far it got."""
    names = [v.name for v in book.items]
    stop = np.full(len(rows), len(names))
    stop[broken] = rng.integers(1, len(names), int(broken.sum()))
    out = rows.copy()
    for position, name in enumerate(names):
        out[name] = out[name].mask(stop <= position)
    for var in book.variables:
        if var.type == "text":
            out[var.name] = out[var.name].mask(broken)
    out["progress"] = np.floor(100.0 * stop / len(names))  # tools report whole percents
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
) -> pd.DataFrame:
    """``n`` simulated respondents as a canonical raw frame, in start-time order, plus a
    ``role`` column (``analysed`` or the cleaning rule meant to remove the row).

    With ``artefacts``, their rows come on top of the ``n``, so cleaning leaves exactly ``n``.
    The wave id is mixed into the seed: two waves simulated with one seed still differ.
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
    rows = pd.concat([answers(shares, book, total, rng), people(1, total, rng)], axis=1)
    for var in book.variables:
        if var.type == "text":
            rows[var.name] = comments(total, rng).mask(roles == "preview_or_test", TEST_COMMENT)
    rows = _break_off(rows, book, roles == "incomplete", rng)
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
    return rows[[*formats.PARADATA, *(v.name for v in book.variables), "role"]]


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
    try:
        config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
        output = Path(config["reconstruction"]["output"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise InputError(
            f"cannot find reconstruction.output in the config: {error}", file=args.config
        ) from error
    book = codebook.load(args.codebook)
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
    )
    formats.write_export(frame, args.output, args.format, book)
    roles = frame["role"].value_counts()
    print(
        f"SYNTHETIC wave {args.wave} (seed {args.seed}): {len(frame)} rows "
        f"({', '.join(f'{r} {k}' for r, k in roles.sort_index().items())}) "
        f"written to {args.output} as {args.format}"
    )
    return 0
