"""Wave 2014 rebuilt from the article's published figures: the counts, then respondents.

No respondent-level data of the 2014 survey exist. This module solves for whole-number counts per
group and item that reproduce every published figure at the article's rounding, picks one
solution by a fixed rule, and builds respondents that carry exactly those counts, together with
the artefacts a real export has (tests, break-offs, duplicates, speeders, personal data) for the
cleaning step to remove. Everything the article does not say is an assumption from the
``reconstruction`` section of the configuration, listed in ``data/raw/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from invitesurvey import claims as published
from invitesurvey import clean, codebook, io
from invitesurvey.claims import Claim, Claims
from invitesurvey.codebook import Codebook, code_text
from invitesurvey.errors import InputError
from invitesurvey.formats import PARADATA
from invitesurvey.io import read_yaml

GROUP_VARIABLE = "recruiter"
GROUPS = {"recruiters": True, "non_recruiters": False}

Key = tuple[str, str]


# --------------------------------------------------------------------------- solving the counts


@dataclass(frozen=True)
class Item:
    """One group's answers to one question the article reports on; its claims share one base."""

    group: str
    variable: str
    claims: tuple[Claim, ...]
    unclaimed: tuple[str, ...]

    @property
    def key(self) -> Key:
        return (self.group, self.variable)


@dataclass(frozen=True)
class Option:
    """A base and one count per claim that reproduce an item's own published figures."""

    group: str
    variable: str
    size: int
    base: int
    counts: tuple[tuple[str, int], ...]
    distance: Fraction

    @property
    def key(self) -> Key:
        return (self.group, self.variable)

    @property
    def nonresponse(self) -> int:
        return self.size - self.base

    def proportions(self) -> dict[str, Fraction]:
        return {claim_id: Fraction(n, self.base) for claim_id, n in self.counts}


@dataclass(frozen=True)
class Attempt:
    """Everything feasible for one split of the respondents into groups.

    ``options`` holds each item's options judged on its own figures; ``joint`` holds, per set of
    items tied together by ratio claims, the combinations that also meet those ratios.
    """

    sizes: dict[str, int]
    options: dict[Key, list[Option]]
    joint: list[list[tuple[Option, ...]]]

    @property
    def feasible(self) -> bool:
        return all(self.joint)


def _codes_text(codes: Iterable[object]) -> tuple[str, ...]:
    return tuple(code_text(c) for c in codes)


def proportion_items(claims: Claims, book: Codebook) -> list[Item]:
    """The proportion claims grouped by group and variable, checked against the codebook."""
    grouped: dict[Key, list[Claim]] = {}
    for claim in claims.proportions():
        if claim.group not in GROUPS:
            raise InputError(
                f"claim {claim.id!r} is about group {claim.group!r}",
                hint=f"The reconstruction solves per group: use one of {', '.join(GROUPS)}.",
            )
        names = [v.name for v in book.items]
        if claim.variable not in names:
            raise InputError(
                f"claim {claim.id!r} names variable {claim.variable!r}, not a closed codebook item",
                hint=f"Use one of {', '.join(names)}.",
            )
        unknown = set(_codes_text(claim.codes)) - set(_codes_text(book[claim.variable].code_values))
        if not claim.codes or unknown:
            raise InputError(
                f"claim {claim.id!r} counts unknown or no codes of {claim.variable!r}: "
                f"{sorted(unknown)}",
                hint="List the codebook codes the claim counts as 'yes'.",
            )
        grouped.setdefault((claim.group, claim.variable), []).append(claim)
    items = []
    for (group, variable), item_claims in sorted(grouped.items()):
        counted = [code for c in item_claims for code in _codes_text(c.codes)]
        if len(counted) != len(set(counted)):
            raise InputError(
                f"claims about {variable!r} in {group} count the same code twice",
                hint="Claims about one single-choice item must count disjoint codes.",
            )
        codes = _codes_text(book[variable].code_values)
        unclaimed = tuple(c for c in codes if c not in counted)
        items.append(Item(group, variable, tuple(item_claims), unclaimed))
    return items


def _size_range(claims: Claims, group: str) -> range:
    if group not in claims.groups:
        raise InputError(
            f"the published claims give no size for group {group!r}",
            hint=f"Add groups: {group}: {{size: [low, high]}}.",
        )
    low, high = claims.groups[group]
    return range(low, high + 1)


def _counts_allowed(claims: Claims, group: str, n: int) -> bool:
    return all(
        published.attains(n, c.published, c.rounding)
        for c in claims.claims
        if c.kind == "count" and c.group == group
    )


def group_sizes(claims: Claims) -> list[dict[str, int]]:
    """Every split into recruiters and non-recruiters the count claims allow, most recruiters
    first (the article's "almost 60" reads best as close to 60)."""
    splits = []
    for total in _size_range(claims, "all"):
        if not _counts_allowed(claims, "all", total):
            continue
        for recruiters in _size_range(claims, "recruiters"):
            others = total - recruiters
            if (
                _counts_allowed(claims, "recruiters", recruiters)
                and others in _size_range(claims, "non_recruiters")
                and _counts_allowed(claims, "non_recruiters", others)
            ):
                splits.append({"recruiters": recruiters, "non_recruiters": others})
    return sorted(splits, key=lambda s: (-s["recruiters"], -s["non_recruiters"]))


def _count_window(claim: Claim, base: int) -> range:
    """Counts worth testing: the rule can only hold within a point of the published percent."""
    value = Fraction(claim.published)
    if claim.rounding == "whole_percent":
        low = math.floor((value - 1) * base / 100)
        return range(max(0, low), min(base, math.ceil((value + 1) * base / 100)) + 1)
    if claim.rounding == "under":
        return range(0, min(base, math.ceil(value * base / 100)) + 1)
    return range(base + 1)


def _attained_counts(claim: Claim, base: int) -> list[int]:
    return [
        n
        for n in _count_window(claim, base)
        if published.attains(Fraction(n, base), claim.published, claim.rounding)
    ]


def _distance(claim: Claim, n: int, base: int) -> Fraction:
    """Percentage points between the exact and the published value (point estimates only)."""
    if claim.rounding != "whole_percent":
        return Fraction(0)
    return abs(Fraction(100 * n, base) - Fraction(claim.published))


def item_options(item: Item, size: int, max_nonresponse: Fraction) -> list[Option]:
    """Every base (at most ``max_nonresponse`` of the group not answering) and counts that meet
    the item's own figures; with no code left unclaimed, the counts must fill the base."""
    options = []
    for base in range(size - math.floor(max_nonresponse * size), size + 1):
        if base == 0:
            continue
        windows = [_attained_counts(claim, base) for claim in item.claims]
        for counts in itertools.product(*windows):
            total = sum(counts)
            if total > base or (not item.unclaimed and total != base):
                continue
            options.append(
                Option(
                    group=item.group,
                    variable=item.variable,
                    size=size,
                    base=base,
                    counts=tuple((c.id, n) for c, n in zip(item.claims, counts, strict=True)),
                    distance=sum(
                        (_distance(c, n, base) for c, n in zip(item.claims, counts, strict=True)),
                        Fraction(0),
                    ),
                )
            )
    return options


def ratio_attained(ratio: Claim, values: dict[str, Fraction]) -> bool:
    """Whether the ratio of two claims' exact proportions reproduces the published ratio; an
    undefined ratio (zero denominator) reproduces nothing."""
    if values[ratio.denominator] == 0:
        return False
    value = values[ratio.numerator] / values[ratio.denominator]
    return published.attains(value, ratio.published, ratio.rounding)


def linked_items(items: list[Item], ratios: list[Claim]) -> list[tuple[Item, ...]]:
    """Items that ratio claims tie together (solved jointly); every other item stands alone."""
    owner = {claim.id: item.key for item in items for claim in item.claims}
    for ratio in ratios:
        for part in (ratio.numerator, ratio.denominator):
            if part not in owner:
                raise InputError(
                    f"ratio claim {ratio.id!r} refers to {part!r}, not a proportion claim",
                    hint="Name two proportion claims as numerator and denominator.",
                )
    parent = {item.key: item.key for item in items}

    def root(key: Key) -> Key:
        while parent[key] != key:
            key = parent[key]
        return key

    for ratio in ratios:
        a, b = sorted((root(owner[ratio.numerator]), root(owner[ratio.denominator])))
        parent[b] = a
    members: dict[Key, list[Item]] = {}
    for item in items:
        members.setdefault(root(item.key), []).append(item)
    return [tuple(group) for _, group in sorted(members.items())]


def joint_options(
    component: tuple[Item, ...], options: dict[Key, list[Option]], ratios: list[Claim]
) -> list[tuple[Option, ...]]:
    """Combinations of the component's item options that meet every ratio among them."""
    ids = {claim.id for item in component for claim in item.claims}
    inside = [r for r in ratios if r.numerator in ids]
    combos = []
    for combo in itertools.product(*(options[item.key] for item in component)):
        values = {k: v for option in combo for k, v in option.proportions().items()}
        if all(ratio_attained(r, values) for r in inside):
            combos.append(combo)
    return combos


def explore(claims: Claims, book: Codebook, max_nonresponse: Fraction) -> list[Attempt]:
    """One attempt per group split the count claims allow, most recruiters first."""
    items = proportion_items(claims, book)
    ratios = [c for c in claims.claims if c.kind == "ratio"]
    components = linked_items(items, ratios)
    attempts = []
    for sizes in group_sizes(claims):
        options = {
            item.key: item_options(item, sizes[item.group], max_nonresponse) for item in items
        }
        joint = [joint_options(component, options, ratios) for component in components]
        attempts.append(Attempt(sizes, options, joint))
    return attempts


def _preference(combo: tuple[Option, ...]) -> tuple:
    """Least item non-response, then closest to the published percentages, then lexicographic."""
    return (
        sum(o.nonresponse for o in combo),
        sum((o.distance for o in combo), Fraction(0)),
        tuple((o.group, o.variable, o.base, o.counts) for o in combo),
    )


def choose(attempts: list[Attempt]) -> tuple[Attempt, tuple[Option, ...]]:
    """The selection rule: the first feasible attempt (most recruiters), and in each set of
    linked items the preferred combination; the criteria add up across independent sets, so
    choosing per set is choosing overall."""
    for attempt in attempts:
        if attempt.feasible:
            chosen = [o for combos in attempt.joint for o in min(combos, key=_preference)]
            return attempt, tuple(sorted(chosen, key=lambda o: o.key))
    tried = ", ".join(str(a.sizes["recruiters"]) for a in attempts) or "none"
    raise InputError(
        f"no counts reproduce every published figure (recruiter counts tried: {tried})",
        hint=(
            "Check the published claims for a typo, or allow more item non-response "
            "(reconstruction.max_item_nonresponse)."
        ),
    )


def _counts_text(option: Option, items: dict[Key, Item]) -> str:
    codes = {c.id: "+".join(_codes_text(c.codes)) for c in items[option.key].claims}
    return ";".join(f"{codes[claim_id]}={n}" for claim_id, n in option.counts)


def alternatives_table(
    attempts: list[Attempt], chosen: tuple[Option, ...], items: list[Item]
) -> pd.DataFrame:
    """One row per recruiter count, item and option that is part of at least one solution
    meeting every published figure; ``chosen`` marks the selected solution."""
    by_key = {item.key: item for item in items}
    rows = []
    for attempt in attempts:
        if not attempt.feasible:
            continue
        usable = {o for combos in attempt.joint for combo in combos for o in combo}
        for option in sorted(usable, key=lambda o: (o.key, o.base, o.counts)):
            rows.append(
                {
                    "recruiters": attempt.sizes["recruiters"],
                    "group": option.group,
                    "variable": option.variable,
                    "size": option.size,
                    "base": option.base,
                    "nonresponse": option.nonresponse,
                    "counts": _counts_text(option, by_key),
                    "remainder": option.base - sum(n for _, n in option.counts),
                    "distance": float(option.distance),
                    "chosen": option in chosen,
                }
            )
    columns = ["recruiters", "group", "variable", "size", "base", "nonresponse", "counts"]
    frame = pd.DataFrame(rows, columns=[*columns, "remainder", "distance", "chosen"])
    return frame.sort_values(
        ["recruiters", "group", "variable", "base", "counts"], ascending=[False, *[True] * 4]
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- counts per code


def split_shares(
    codes: tuple[str, ...], assumed: dict, *, file: Path | None
) -> dict[str, Fraction]:
    """The assumed shares for splitting one count over ``codes``.

    A configured mapping whose keys are exactly these codes, or ``<code>_share`` for one code
    of two (the other takes the rest); a single code needs no assumption.
    """
    if len(codes) == 1:
        return {codes[0]: Fraction(1)}
    for name, entry in sorted(assumed.items()):
        if isinstance(entry, dict) and set(map(str, entry)) == set(codes):
            shares = {str(k): Fraction(str(v)) for k, v in entry.items()}
            if any(s < 0 for s in shares.values()) or sum(shares.values()) <= 0:
                raise InputError(
                    f"assumed shares {name!r} must be non-negative and not all zero",
                    file=file,
                    column=f"reconstruction.assumed_shares.{name}",
                )
            return {code: shares[code] for code in codes}
        if len(codes) == 2 and name.endswith("_share") and name.removesuffix("_share") in codes:
            share = Fraction(str(entry))
            if not 0 <= share <= 1:
                raise InputError(
                    f"assumed share {name!r} is {entry}, not between 0 and 1",
                    file=file,
                    column=f"reconstruction.assumed_shares.{name}",
                )
            first = name.removesuffix("_share")
            return {code: share if code == first else 1 - share for code in codes}
    raise InputError(
        f"no assumed shares split a count over the codes {', '.join(codes)}",
        file=file,
        column="reconstruction.assumed_shares",
        hint="Add a mapping with exactly these codes as keys (the shares the article omits).",
    )


def largest_remainder(total: int, shares: dict[str, Fraction]) -> dict[str, int]:
    """Whole numbers proportional to ``shares`` that add up to ``total``: floors first, then one
    more each for the largest remainders (ties to the earlier code)."""
    weight = sum(shares.values())
    quotas = {code: total * share / weight for code, share in shares.items()}
    counts = {code: math.floor(q) for code, q in quotas.items()}
    order = sorted(
        quotas, key=lambda code: (-(quotas[code] - counts[code]), list(quotas).index(code))
    )
    for code in order[: total - sum(counts.values())]:
        counts[code] += 1
    return counts


def _item_parts(
    var_codes: tuple[str, ...], size: int, option: Option | None, item: Item | None
) -> tuple[int, list[tuple[tuple[str, ...], int]]]:
    """An item's base and the counts to split: one per claim, then the unclaimed remainder."""
    if option is None or item is None:
        return size, [(var_codes, size)]
    parts = [
        (_codes_text(c.codes), n) for c, (_, n) in zip(item.claims, option.counts, strict=True)
    ]
    remainder = option.base - sum(n for _, n in option.counts)
    if item.unclaimed:
        parts.append((item.unclaimed, remainder))
    return option.base, parts


def counts_table(
    sizes: dict[str, int],
    chosen: tuple[Option, ...],
    items: list[Item],
    book: Codebook,
    assumed: dict,
    *,
    file: Path | None = None,
) -> pd.DataFrame:
    """Every code of every closed item per group: ``group, variable, code, n, base, size``.

    Claimed counts come from the solution; what the article never published is split by the
    assumed shares with the largest-remainder method. Items without claims have no
    non-response; the recruiter item defines the groups.
    """
    options = {o.key: o for o in chosen}
    by_key = {item.key: item for item in items}
    rows = []
    for group, flag in GROUPS.items():
        size = sizes[group]
        for var in book.items:
            codes = _codes_text(var.code_values)
            if var.name == GROUP_VARIABLE:
                base, counts = size, {code: size * (code == code_text(flag)) for code in codes}
            else:
                key = (group, var.name)
                base, parts = _item_parts(codes, size, options.get(key), by_key.get(key))
                counts = {}
                for part_codes, n in parts:
                    counts |= largest_remainder(n, split_shares(part_codes, assumed, file=file))
            rows += [
                {
                    "group": group,
                    "variable": var.name,
                    "code": code,
                    "n": counts[code],
                    "base": base,
                    "size": size,
                }
                for code in codes
            ]
    frame = pd.DataFrame(rows, columns=["group", "variable", "code", "n", "base", "size"])
    return frame.sort_values(["group", "variable", "code"]).reset_index(drop=True)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """The ``reconstruction`` section of config/config.yaml, plus the QC it must survive."""

    file: Path
    wave: str
    output: Path
    seed: int
    max_item_nonresponse: Fraction
    fieldwork: tuple[dt.date, dt.date]
    assumed_shares: dict
    artefacts: dict
    qc: dict


REQUIRED = (
    "wave",
    "output",
    "seed",
    "max_item_nonresponse",
    "fieldwork",
    "assumed_shares",
    "artefacts",
)
ARTEFACTS = ("tests", "incomplete", "duplicates", "speeders", "comments_share")


def settings_from(config: dict, file: Path) -> Settings:
    """Check the configuration's ``reconstruction`` section and turn it into settings."""
    section = config.get("reconstruction")
    if not isinstance(section, dict):
        raise InputError(
            "no reconstruction section", file=file, hint="Add reconstruction: (see README)."
        )
    missing = [key for key in REQUIRED if key not in section]
    missing += [f"artefacts.{k}" for k in ARTEFACTS if k not in section.get("artefacts", {})]
    if missing:
        raise InputError(
            f"reconstruction lacks {', '.join(missing)}",
            file=file,
            column="reconstruction",
            hint="Add the missing keys; config/config.yaml documents each.",
        )
    try:
        start, end = (dt.date.fromisoformat(str(day)) for day in section["fieldwork"])
    except (TypeError, ValueError) as error:
        raise InputError(
            f"fieldwork must be two dates: {error}",
            file=file,
            column="reconstruction.fieldwork",
            hint="Write [YYYY-MM-DD, YYYY-MM-DD].",
        ) from error
    share = Fraction(str(section["max_item_nonresponse"]))
    if end < start or not 0 <= share < 1:
        raise InputError(
            "fieldwork must not end before it starts, and max_item_nonresponse must be in [0, 1)",
            file=file,
            column="reconstruction",
        )
    return Settings(
        file=file,
        wave=str(section["wave"]),
        output=Path(section["output"]),
        seed=int(section["seed"]),
        max_item_nonresponse=share,
        fieldwork=(start, end),
        assumed_shares=dict(section["assumed_shares"]),
        artefacts=dict(section["artefacts"]),
        qc=dict(config.get("qc") or {}),
    )


def read_settings(path: str | Path) -> Settings:
    """Read config/config.yaml and return its reconstruction settings."""
    path = Path(path)
    return settings_from(read_yaml(path, "configuration"), path)


# --------------------------------------------------------------------------- respondents

# fmt: off
FIRST_NAMES = (
    "Aisha", "Alan", "Amelia", "Andrew", "Anna", "Ben", "Carla", "Chen", "Claire", "Daniel",
    "David", "Elena", "Emma", "Farid", "Fiona", "George", "Grace", "Hannah", "Ian", "James",
    "Julia", "Karen", "Kwame", "Laura", "Liam", "Maria", "Mark", "Nadia", "Oliver", "Paul",
    "Priya", "Rachel", "Raj", "Sarah", "Simon", "Sofia", "Tom", "Victoria", "Wei", "Zoe",
)
LAST_NAMES = (
    "Adams", "Ahmed", "Baker", "Bell", "Brown", "Campbell", "Clarke", "Cooper", "Davies",
    "Evans", "Fischer", "Garcia", "Green", "Hall", "Hughes", "Jackson", "Johnson", "Kaur",
    "Khan", "Lewis", "Martin", "Miller", "Morgan", "Murphy", "Nguyen", "Novak", "Patel",
    "Roberts", "Rossi", "Shaw", "Singh", "Smith", "Taylor", "Thomas", "Turner", "Walker",
    "Ward", "White", "Wilson", "Wright",
)
# fmt: on
# The address blocks RFC 5737 reserves for documentation: no real person's address.
DOCUMENTATION_NETS = ("192.0.2", "198.51.100", "203.0.113")
EMAIL_DOMAIN = "example.com"
COLLECTOR_ID = "51820394"
FIRST_RESPONDENT_ID = 3_100_000_000
COMMENTS = (
    "Interesting survey, I would like to see the results.",
    "Too many invitations come from people selling services.",
    "I only connect with recruiters I have actually worked with.",
    "Most invitations I get come without a personal note.",
    "LinkedIn has become noisy; I check it once a week at most.",
    "{name} forwarded this survey to me.",
    "Please send the results to me and to {name} in our HR team.",
    "I had a poor experience with a recruiter called {name}.",
)
TEST_COMMENT = "Test response, please ignore"
# Completion times: lognormal around four minutes; genuine ones never under half the median,
# so the speeder rule (a third of the median) cannot catch them, while artefact speeders take
# well under a third.
MEDIAN_DURATION_S = 240.0
DURATION_SIGMA = 0.4
DURATION_BOUNDS_S = (120.0, 1800.0)
SPEEDER_BOUNDS_S = (20, 60)
DAY_HOURS = (7, 22)
ROLES = ("analysed", "preview_or_test", "incomplete", "duplicate", "speeder")


def _answer(var: codebook.Variable, code: object) -> object:
    return code if var.type == "boolean" else str(code)


def genuine_answers(counts: pd.DataFrame, book: Codebook, rng: np.random.Generator) -> pd.DataFrame:
    """The analysed respondents, group by group, carrying ``counts`` exactly.

    Within a group each item is an independent random permutation of its answers and blanks:
    the least-assumption joint distribution, since the article published no cross-tabulation
    beyond recruiter status.
    """
    frames = []
    for group in GROUPS:
        rows = counts[counts["group"] == group]
        size = int(rows["size"].iloc[0])
        columns = {}
        for var in book.items:
            item = rows[rows["variable"] == var.name].set_index("code")
            values = [
                _answer(var, code)
                for code in var.code_values
                for _ in range(int(item.loc[code_text(code), "n"]))
            ]
            values += [None] * (size - int(item["base"].iloc[0]))
            columns[var.name] = rng.permutation(np.array(values, dtype=object))
        frames.append(pd.DataFrame(columns, dtype=object))
    return pd.concat(frames, ignore_index=True)


def _name(index: int) -> tuple[str, str]:
    """The fake person numbered ``index`` among every first and last name pair."""
    return FIRST_NAMES[index // len(LAST_NAMES)], LAST_NAMES[index % len(LAST_NAMES)]


def people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` distinct fake people: names, an e-mail at example.com, a documentation-range IP."""
    if n > len(FIRST_NAMES) * len(LAST_NAMES):
        raise InputError(f"cannot invent {n} distinct people", hint="Reduce the artefact counts.")
    picks = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=n, replace=False)
    first, last = zip(*(_name(i) for i in picks), strict=True) if n else ((), ())
    nets = rng.integers(0, len(DOCUMENTATION_NETS), size=n)
    hosts = rng.integers(1, 255, size=n)
    return pd.DataFrame(
        {
            "email": [f"{f}.{s}@{EMAIL_DOMAIN}".lower() for f, s in zip(first, last, strict=True)],
            "first_name": list(first),
            "last_name": list(last),
            "ip_address": [
                f"{DOCUMENTATION_NETS[i]}.{h}" for i, h in zip(nets, hosts, strict=True)
            ],
        },
        dtype=object,
    )


def comments(n: int, share: float, rng: np.random.Generator) -> list[str | None]:
    """Free text for about ``share`` of ``n`` rows; some comments name a (fake) person."""
    said = rng.random(n) < share
    texts = rng.integers(0, len(COMMENTS), size=n)
    names = rng.integers(0, len(FIRST_NAMES) * len(LAST_NAMES), size=n)
    return [
        COMMENTS[t].format(name=" ".join(_name(m))) if s else None
        for s, t, m in zip(said, texts, names, strict=True)
    ]


def durations(n: int, rng: np.random.Generator) -> np.ndarray:
    """Whole-second completion times of genuine responses, within ``DURATION_BOUNDS_S``."""
    kept = np.empty(0)
    while kept.size < n:
        draws = np.round(rng.lognormal(math.log(MEDIAN_DURATION_S), DURATION_SIGMA, size=n))
        low, high = DURATION_BOUNDS_S
        kept = np.concatenate([kept, draws[(draws >= low) & (draws <= high)]])
    return kept[:n]


def start_times(n: int, first_day: dt.date, days: int, rng: np.random.Generator) -> np.ndarray:
    """Start times on ``days`` days from ``first_day``, in the waking hours ``DAY_HOURS``."""
    day = rng.integers(0, days, size=n)
    second = rng.integers(DAY_HOURS[0] * 3600, DAY_HOURS[1] * 3600, size=n)
    origin = pd.Timestamp(first_day)
    return (origin + pd.to_timedelta(day * 86400 + second, unit="s")).to_numpy(copy=True)


def break_off(answers: pd.DataFrame, book: Codebook, rng: np.random.Generator) -> pd.DataFrame:
    """Stop each row part way: every closed question after a random one is left blank."""
    out = answers.copy()
    names = [v.name for v in book.items]
    stops = rng.integers(1, len(names), size=len(out))
    for row, stop in zip(out.index, stops, strict=True):
        out.loc[row, names[stop:]] = None
    return out


def _timings(rows: pd.DataFrame, settings: Settings, rng: np.random.Generator) -> pd.DataFrame:
    """Start and end times by role: tests in the days before fieldwork, everyone else inside it;
    speeders far faster than anyone genuine, break-offs stopping part way through."""
    first, last = settings.fieldwork
    days = (last - first).days + 1
    out = rows.copy()
    duration = durations(len(out), rng)
    speeder = out["role"].eq("speeder").to_numpy()
    duration[speeder] = rng.integers(*SPEEDER_BOUNDS_S, size=speeder.sum(), endpoint=True)
    broken = out["role"].eq("incomplete").to_numpy()
    duration[broken] = np.maximum(
        10, np.round(duration[broken] * rng.uniform(0.1, 0.8, broken.sum()))
    )
    start = start_times(len(out), first, days, rng)
    test = out["role"].eq("preview_or_test").to_numpy()
    start[test] = start_times(int(test.sum()), first - dt.timedelta(days=3), 3, rng)
    out["start_time"] = start
    out["duration_s"] = duration
    out["end_time"] = out["start_time"] + pd.to_timedelta(duration, unit="s")
    return out


def duplicates(
    rows: pd.DataFrame, n: int, settings: Settings, rng: np.random.Generator
) -> pd.DataFrame:
    """Second, later, complete submissions by ``n`` genuine respondents (same person, same
    e-mail and answers), each started between an hour and four days after the first ended."""
    gap = rng.integers(3600, 4 * 86400, size=n)
    closes = pd.Timestamp(settings.fieldwork[1] + dt.timedelta(days=1))
    latest = closes - pd.Timedelta(seconds=4 * 86400 + DURATION_BOUNDS_S[1])
    eligible = rows.index[rows["role"].eq("analysed") & rows["end_time"].le(latest)]
    if len(eligible) < n:
        raise InputError(
            f"fieldwork is too short for {n} later duplicate submissions",
            file=settings.file,
            column="reconstruction.fieldwork",
            hint="Lengthen fieldwork or lower artefacts.duplicates.",
        )
    chosen = rng.choice(np.asarray(eligible), size=n, replace=False)
    out = rows.loc[np.sort(chosen)].copy().reset_index(drop=True)
    out["role"] = "duplicate"
    out["start_time"] = out["end_time"] + pd.to_timedelta(gap, unit="s")
    out["duration_s"] = durations(n, rng)
    out["end_time"] = out["start_time"] + pd.to_timedelta(out["duration_s"], unit="s")
    return out


def _with_ids(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Start-time order, with ten-digit respondent ids that rise with time as SurveyMonkey's do."""
    out = rows.sort_values("start_time", kind="stable").reset_index(drop=True)
    steps = rng.integers(1_000, 50_000, size=len(out))
    out["respondent_id"] = [str(FIRST_RESPONDENT_ID + s) for s in np.cumsum(steps)]
    out["collector_id"] = COLLECTOR_ID
    return out


def cleaning_rules(frame: pd.DataFrame, book: Codebook, settings: Settings) -> pd.Series:
    """The rule cleaning applies to each row (``analysed`` if none), judged on what a
    SurveyMonkey export carries: no status, progress or finished flag, so cleaning must infer
    them from dates and answers exactly as it will for the written file."""
    seen = frame.drop(columns=["status", "progress", "finished", "duration_s"], errors="ignore")
    seen = clean.complete_paradata(seen.assign(source_row=np.arange(len(seen))), book)
    _, exclusions, _ = clean.exclude(
        seen, clean.QC.from_config(settings.qc), pd.Timestamp(settings.fieldwork[0])
    )
    rules = pd.Series("analysed", index=frame.index, dtype=object)
    rules.iloc[exclusions["source_row"].to_numpy()] = exclusions["rule"].to_numpy()
    return rules


def respondents(counts: pd.DataFrame, book: Codebook, settings: Settings) -> pd.DataFrame:
    """The wave's raw rows as the canonical raw frame plus ``role`` (the cleaning rule that
    must remove the row, or ``analysed``), in start-time order.

    Raises InputError if the configured artefacts and QC thresholds would let cleaning keep an
    artefact or drop a genuine respondent.
    """
    rng = np.random.default_rng(settings.seed)
    art = settings.artefacts
    genuine = genuine_answers(counts, book, rng)

    def donors(n: int) -> pd.DataFrame:
        return genuine.iloc[rng.integers(0, len(genuine), size=n)].reset_index(drop=True)

    parts = {
        "analysed": genuine,
        "preview_or_test": donors(int(art["tests"])),
        "incomplete": break_off(donors(int(art["incomplete"])), book, rng),
        "speeder": donors(int(art["speeders"])),
    }
    rows = pd.concat([p.assign(role=r) for r, p in parts.items()], ignore_index=True)
    rows = pd.concat([rows, people(len(rows), rng)], axis=1)
    for var in book.wave1:
        if var.type == "text":
            text = pd.Series(comments(len(rows), float(art["comments_share"]), rng), dtype=object)
            text[rows["role"].eq("preview_or_test")] = TEST_COMMENT
            text[rows["role"].eq("incomplete")] = None
            rows[var.name] = text
    rows = _timings(rows, settings, rng)
    rows = pd.concat([rows, duplicates(rows, int(art["duplicates"]), settings, rng)])
    rows = _with_ids(rows, rng)
    paradata = clean.complete_paradata(rows.drop(columns=["duration_s"]), book)
    rows["progress"] = paradata["progress"].astype(float)
    rows["finished"] = paradata["finished"].astype(bool)
    rows["status"] = np.where(rows["role"].eq("preview_or_test"), "test", "response")
    frame = rows[[*PARADATA, *(v.name for v in book.wave1), "role"]]
    wrong = frame.index[cleaning_rules(frame, book, settings).ne(frame["role"])]
    if len(wrong):
        raise InputError(
            f"cleaning would misjudge {len(wrong)} reconstructed rows "
            f"(first: {frame.loc[wrong[0], 'role']} row {wrong[0]})",
            file=settings.file,
            column="qc",
            hint="The artefacts assume speeder_fraction below 0.5 and min_progress 100.",
        )
    return frame


# --------------------------------------------------------------------------- the whole job


@dataclass(frozen=True)
class Reconstruction:
    """The chosen counts, the feasible alternatives, and the respondents built from the counts."""

    sizes: dict[str, int]
    chosen: tuple[Option, ...]
    counts: pd.DataFrame
    alternatives: pd.DataFrame
    respondents: pd.DataFrame


def reconstruct(claims: Claims, book: Codebook, settings: Settings) -> Reconstruction:
    """Solve for the counts, choose one solution by the documented rule, build respondents."""
    items = proportion_items(claims, book)
    attempts = explore(claims, book, settings.max_item_nonresponse)
    attempt, chosen = choose(attempts)
    counts = counts_table(
        attempt.sizes, chosen, items, book, settings.assumed_shares, file=settings.file
    )
    return Reconstruction(
        sizes=attempt.sizes,
        chosen=chosen,
        counts=counts,
        alternatives=alternatives_table(attempts, chosen, items),
        respondents=respondents(counts, book, settings),
    )


def companion_paths(output: Path) -> tuple[Path, Path]:
    """Where the counts and the alternatives go, beside the export: ``<stem>.counts.csv``..."""
    return (
        output.with_name(f"{output.stem}.counts.csv"),
        output.with_name(f"{output.stem}.alternatives.csv"),
    )


def write_reconstruction(result: Reconstruction, output: Path, book: Codebook) -> None:
    """Write the export (SurveyMonkey layout) and, beside it, the counts and alternatives."""
    from invitesurvey import formats

    counts_path, alternatives_path = companion_paths(output)
    io.write_table(result.counts, counts_path)
    alternatives = result.alternatives.assign(chosen=result.alternatives["chosen"].map(code_text))
    io.write_table(alternatives, alternatives_path)
    formats.write_export(result.respondents.drop(columns="role"), output, "surveymonkey", book)


def cli_main(args: argparse.Namespace) -> int:
    """``invitesurvey reconstruct``: solve, build and write wave 2014."""
    settings = read_settings(args.config)
    book = codebook.load(args.codebook)
    result = reconstruct(published.load(args.claims), book, settings)
    output = Path(args.output) if args.output else settings.output
    write_reconstruction(result, output, book)
    roles = result.respondents["role"].value_counts()
    print(
        f"wave {settings.wave}: {result.sizes['recruiters']} recruiters, "
        f"{result.sizes['non_recruiters']} non-recruiters; {len(result.respondents)} rows "
        f"({', '.join(f'{r} {roles.get(r, 0)}' for r in ROLES)}) written to {output}"
    )
    return 0
