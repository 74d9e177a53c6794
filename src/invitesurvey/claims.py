"""The article's published figures: loading them and deciding whether a value reproduces one.

This module must not import the reconstruction: the GRIM audit checks the article, not our data.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from invitesurvey.codebook import Codebook, Variable, code_labels, code_text
from invitesurvey.crosstab import wilson
from invitesurvey.errors import InputError
from invitesurvey.io import read_yaml, require_columns

ROUNDINGS = ("whole_percent", "under", "nearest_10", "greater_than", "exact", "range")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    kind: str
    published: object
    rounding: str
    group: str | None = None
    variable: str | None = None
    codes: tuple = ()
    numerator: str | None = None
    denominator: str | None = None
    interpretation: str | None = None


@dataclass(frozen=True)
class Claims:
    source: str
    groups: dict[str, tuple[int, int]]
    claims: tuple[Claim, ...]

    def __getitem__(self, claim_id: str) -> Claim:
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise KeyError(claim_id)

    def proportions(self) -> list[Claim]:
        return [c for c in self.claims if c.kind == "proportion"]


def load(path: str | Path) -> Claims:
    """Read ``config/published_claims.yaml``."""
    path = Path(path)
    raw = read_yaml(path, "published claims")
    claims = []
    for entry in raw.get("claims", []):
        if entry.get("rounding") not in ROUNDINGS:
            raise InputError(
                f"claim {entry.get('id')!r} has rounding {entry.get('rounding')!r}",
                file=path,
                hint=f"Use one of {', '.join(ROUNDINGS)}.",
            )
        claims.append(Claim(**{**entry, "codes": tuple(entry.get("codes", ()))}))
    groups = {name: tuple(spec["size"]) for name, spec in raw.get("groups", {}).items()}
    return Claims(source=raw.get("source", ""), groups=groups, claims=tuple(claims))


def attains(value: Fraction | float, published: object, rounding: str) -> bool:
    """Whether an exact value (a proportion for percent rules) reproduces the published one.

    Exact halves count either way (``12.5`` reproduces 12 and 13) because the article does not
    say how it rounded; fractions keep the comparison exact.
    """
    value = Fraction(value)
    if rounding == "whole_percent":
        return abs(100 * value - Fraction(published)) <= Fraction(1, 2)
    if rounding == "under":
        return 0 <= 100 * value < Fraction(published)
    if rounding == "nearest_10":
        return abs(value - Fraction(published)) <= 5
    if rounding == "greater_than":
        return value > Fraction(published)
    if rounding == "exact":
        return value == Fraction(published)
    if rounding == "range":
        low, high = published
        return low <= value <= high
    raise ValueError(f"unknown rounding {rounding!r}")


CHECK_COLUMNS = [
    "id", "claim", "published", "observed", "numerator", "denominator", "rule", "pass",
    "ci_low", "ci_high", "score_ci_low", "score_ci_high", "supported",
]  # fmt: skip
_GROUP_CODES = {"recruiters": "true", "non_recruiters": "false"}


def ratio_interval(
    n1: int, base1: int, n2: int, base2: int, level: float
) -> tuple[float, float, float, float]:
    """Intervals for the ratio of two independent proportions ``(n1/base1) / (n2/base2)``.

    First the log (Katz) interval, ``exp(log RR +- z sqrt(1/n1 - 1/base1 + 1/n2 - 1/base2))``
    (Katz, Baptista, Azen and Pike 1978, "Obtaining confidence intervals for the risk ratio in
    cohort studies", Biometrics 34, 469-474); then Koopman's (1984) score interval, by
    statsmodels' ``confint_proportions_2indep(method="score", correction=False)``, which keeps
    its coverage better with few events (Fagerland, Lydersen and Laake 2015). NaN where a count
    or base is 0 (the log interval is then undefined, and the ratio claims need both shares).
    """
    from scipy.special import ndtri
    from statsmodels.stats.proportion import confint_proportions_2indep

    if min(n1, base1, n2, base2) <= 0:
        return (np.nan,) * 4
    ratio = (n1 / base1) / (n2 / base2)
    half = float(ndtri((1 + level) / 2)) * np.sqrt(1 / n1 - 1 / base1 + 1 / n2 - 1 / base2)
    score = confint_proportions_2indep(
        n1, base1, n2, base2, compare="ratio", method="score", alpha=1 - level, correction=False
    )
    return ratio * np.exp(-half), ratio * np.exp(half), float(score[0]), float(score[1])


def supports(low: float, high: float, published: object, rounding: str) -> bool | None:
    """Whether an interval (percent for proportions) supports the published wording.

    A point figure (``whole_percent`` "52%", ``nearest_10`` "about 50") is supported when the
    interval contains it: the data cannot tell it from the truth. A bound (``under`` "less
    than 1%", ``greater_than`` "more than three times") is supported only when the whole
    interval lies on its side of it. Counts (``exact``, ``range``) describe this sample and have
    no sampling error: ``None``. A missing interval supports nothing.
    """
    if rounding in ("exact", "range"):
        return None
    if not (np.isfinite(low) and np.isfinite(high)):
        return False
    value = float(published)
    if rounding in ("whole_percent", "nearest_10"):
        return bool(low <= value <= high)
    if rounding == "under":
        return bool(high < value)
    if rounding == "greater_than":
        return bool(low > value)
    raise ValueError(f"unknown rounding {rounding!r}")


def published_text(claim: Claim) -> str:
    """The published figure as a reader would quote it: ``52%``, ``under 1%``, ``50 to 59``."""
    value = claim.published
    if claim.rounding == "whole_percent":
        return f"{value}%"
    if claim.rounding == "under":
        return f"under {value}%"
    if claim.rounding == "nearest_10":
        return f"about {value}"
    if claim.rounding == "greater_than":
        return f"over {value}"
    if claim.rounding == "range":
        low, high = value
        return f"{low} to {high}"
    return str(value)


def rule_text(claim: Claim) -> str:
    """The rounding rule's name, then the chosen reading where the claim gives one."""
    if not claim.interpretation:
        return claim.rounding
    return f"{claim.rounding}: {' '.join(claim.interpretation.split())}"


def _rows(table: pd.DataFrame, claim: Claim, group: str, variable: str) -> pd.DataFrame:
    """The crosstab rows of one group and variable; a claim naming neither is refused."""
    rows = table[(table["group"] == group) & (table["variable"] == variable)]
    if rows.empty:
        raise InputError(
            f"claim {claim.id!r} needs group {group!r} of {variable!r}, not in the crosstabs",
            column="variable",
            hint="Check the claim's group and variable against the codebook.",
        )
    return rows


def _proportion(table: pd.DataFrame, claim: Claim) -> tuple[int, int]:
    """Respondents in the claim's group choosing one of its codes, and those answering."""
    rows = _rows(table, claim, claim.group, claim.variable)
    codes = [code_text(c) for c in claim.codes]
    unknown = sorted(set(codes) - set(rows["code"]))
    if unknown:
        raise InputError(
            f"claim {claim.id!r} counts {', '.join(unknown)}, not codes of {claim.variable!r}",
            column="code",
            hint="Use the codebook's codes in config/published_claims.yaml.",
        )
    return int(rows.loc[rows["code"].isin(codes), "n"].sum()), int(rows["base"].iloc[0])


def _group_size(table: pd.DataFrame, claim: Claim) -> int:
    """Respondents in the claim's group; ``all`` counts those who gave their recruiter status."""
    rows = _rows(table, claim, "all", "recruiter")
    if claim.group == "all":
        return int(rows["base"].iloc[0])
    return int(rows.loc[rows["code"] == _GROUP_CODES[claim.group], "n"].sum())


Observation = tuple[Fraction | None, float, int | None, int | None]


def _observe_proportion(table: pd.DataFrame, claim: Claim) -> Observation:
    """Exact share, percent, numerator and base of a proportion claim."""
    numerator, denominator = _proportion(table, claim)
    share = Fraction(numerator, denominator) if denominator else None
    percent = 100 * float(share) if share is not None else float("nan")
    return share, percent, numerator, denominator


def _observe_count(table: pd.DataFrame, claim: Claim) -> Observation:
    """A group size, as value, observation and numerator."""
    size = _group_size(table, claim)
    return Fraction(size), float(size), size, None


def _observe_ratio(claim: Claim, shares: dict[str, Fraction | None]) -> Observation:
    """The ratio of two proportion claims' exact shares; None when a share is 0 or missing."""
    _check_parts(claim, shares)
    top, bottom = shares[claim.numerator], shares[claim.denominator]
    ratio = top / bottom if top is not None and bottom else None
    return ratio, float(ratio) if ratio is not None else float("nan"), None, None


def _check_parts(claim: Claim, shares: dict) -> None:
    """A ratio claim must name two proportion claims."""
    for part in (claim.numerator, claim.denominator):
        if part not in shares:
            raise InputError(
                f"ratio claim {claim.id!r} refers to {part!r}, which is not a proportion claim",
                column="numerator" if part == claim.numerator else "denominator",
                hint="Name two proportion claims in config/published_claims.yaml.",
            )


def _interval(
    claim: Claim, counts: dict[str, tuple[int, int]], level: float
) -> tuple[float, float, float, float]:
    """A claim's interval in the unit of ``observed``, and for ratios Koopman's score interval.

    Proportions: Wilson in percent (the score interval, so no second one); ratios: Katz and
    Koopman (:func:`ratio_interval`); counts: none.
    """
    if claim.kind == "proportion":
        n, base = counts[claim.id]
        low, high = wilson(np.array([n]), np.array([base]), level)
        return 100 * float(low[0]), 100 * float(high[0]), np.nan, np.nan
    if claim.kind == "ratio":
        _check_parts(claim, counts)
        return ratio_interval(*counts[claim.numerator], *counts[claim.denominator], level)
    return (np.nan,) * 4


def check(claims: Claims, table: pd.DataFrame, wave: str, *, level: float = 0.95) -> pd.DataFrame:
    """Each published claim computed from the crosstabs of ``wave``, in the claims file's order.

    Proportions are the group's counts over its base (observed in percent); counts are group
    sizes (``all``: the base of the ``recruiter`` item, i.e. respondents who gave their status);
    ratios divide the exact shares of two proportion claims and carry no counts. A proportion
    with base 0, or a ratio over a zero share, is NaN and fails.

    ``pass`` is the point check (:func:`attains`). ``ci_low`` and ``ci_high`` are an interval
    at ``level`` in the unit of ``observed`` (:func:`_interval`: Wilson for proportions, Katz's
    log interval for ratios, none for counts); ``score_ci_low`` and ``score_ci_high`` are
    Koopman's score interval of a ratio. ``supported`` says whether the interval supports the
    wording (:func:`supports`); for a ratio, both intervals must. It is empty for counts.
    """
    table = table[table["wave"].astype(str) == str(wave)]
    if table.empty:
        raise InputError(
            f"the crosstabs have no rows for wave {wave!r}",
            column="wave",
            hint="Check the claims wave in config/config.yaml against the waves sheet.",
        )
    table = table.assign(code=table["code"].astype(str))
    observed_parts = {
        c.id: _observe_proportion(table, c) for c in claims.claims if c.kind == "proportion"
    }
    shares = {key: value[0] for key, value in observed_parts.items()}
    counts = {key: (value[2], value[3]) for key, value in observed_parts.items()}
    rows = []
    for claim in claims.claims:
        if claim.kind == "proportion":
            value, observed, numerator, denominator = _observe_proportion(table, claim)
        elif claim.kind == "count":
            value, observed, numerator, denominator = _observe_count(table, claim)
        else:
            value, observed, numerator, denominator = _observe_ratio(claim, shares)
        low, high, score_low, score_high = _interval(claim, counts, level)
        supported = supports(low, high, claim.published, claim.rounding)
        if supported and claim.kind == "ratio":
            supported = supports(score_low, score_high, claim.published, claim.rounding)
        rows.append(
            {
                "id": claim.id,
                "claim": claim.text,
                "published": published_text(claim),
                "observed": round(observed, 6),
                "numerator": numerator,
                "denominator": denominator,
                "rule": rule_text(claim),
                "pass": value is not None and attains(value, claim.published, claim.rounding),
                "ci_low": low,
                "ci_high": high,
                "score_ci_low": score_low,
                "score_ci_high": score_high,
                "supported": supported,
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS).astype(
        {"numerator": "Int64", "denominator": "Int64", "pass": bool, "supported": "boolean"}
    )


def strict_failures(result: pd.DataFrame) -> list[str]:
    """One message per claim the data do not reproduce, for a strict run to raise."""
    failing = result[~result["pass"].astype(bool)]
    return [
        f"claim {row.id!r}: published {row.published}, observed {row.observed:g}"
        + (f" ({row.numerator}/{row.denominator})" if pd.notna(row.denominator) else "")
        for row in failing.itertuples(index=False)
    ]


# Where the pooled cross-tabulations are, for messages about their rows.
CROSSTABS = "results/tables/crosstabs.csv"


@dataclass(frozen=True)
class Behaviour:
    """What a published proportion counts: answers ``codes`` (as text) to ``variable``."""

    variable: str
    codes: tuple[str, ...]
    label: str


def derived_for(book: Codebook, variable: str, codes: tuple[str, ...]) -> Variable | None:
    """The derived variable whose "yes" is exactly these answers to ``variable``, if any."""
    for var in book.derived:
        if var.source == variable and {code_text(c) for c in var.true_codes} == set(codes):
            return var
    return None


def behaviour_label(book: Codebook, variable: str, codes: tuple[str, ...]) -> str:
    """Codebook wording of a behaviour: a derived or yes/no item's title, else title: answers."""
    derived = derived_for(book, variable, codes)
    if derived is not None:
        return derived.title
    var = book[variable]
    if var.type == "boolean" and codes == ("true",):
        return var.title
    labels = code_labels(var)
    return f"{var.title}: {' or '.join(labels[c] for c in codes)}"


def behaviour_of(claim: Claim, book: Codebook) -> Behaviour:
    codes = tuple(code_text(c) for c in claim.codes)
    try:
        var = book[claim.variable]
    except KeyError:
        raise InputError(
            f"claim {claim.id!r} counts variable {claim.variable!r}, which the codebook lacks",
            file="config/published_claims.yaml",
            hint="Name a variable of config/codebook.yaml.",
        ) from None
    known = {code_text(c) for c in var.code_values}
    if not codes or not set(codes) <= known:
        raise InputError(
            f"claim {claim.id!r} counts codes {list(codes)} of {var.name!r}",
            file="config/published_claims.yaml",
            hint=f"Use codes of {var.name!r}: {', '.join(sorted(known))}.",
        )
    return Behaviour(claim.variable, codes, behaviour_label(book, claim.variable, codes))


def behaviours(published: Claims, book: Codebook) -> list[Behaviour]:
    """The behaviours the article published, in article order; claims that count the same
    answers for different groups are one behaviour."""
    found = [behaviour_of(claim, book) for claim in published.proportions()]
    return list(dict.fromkeys(found))


def _summed(rows: pd.DataFrame, behaviour: Behaviour, level: float) -> pd.DataFrame:
    """Shares of several answers together: counts add up, the base is the item's base."""
    cells = rows.groupby(["wave", "group"], as_index=False).agg(
        codes=("code", "nunique"), bases=("base", "nunique"), n=("n", "sum"), base=("base", "first")
    )
    if ((cells["codes"] < len(behaviour.codes)) | (cells["bases"] > 1)).any():
        raise InputError(
            f"rows for {behaviour.variable!r} codes {list(behaviour.codes)} are incomplete or "
            "disagree on the base",
            file=CROSSTABS,
            column="base",
            hint="Every code of an item needs a row per wave and group, all with one base.",
        )
    out = cells[["wave", "group", "n", "base"]].copy()
    out["prop"] = out["n"] / out["base"]
    out["ci_low"], out["ci_high"] = wilson(out["n"], out["base"], level)
    return out


def _shares_of(
    crosstabs: pd.DataFrame, book: Codebook, behaviour: Behaviour, level: float
) -> pd.DataFrame:
    derived = derived_for(book, behaviour.variable, behaviour.codes)
    # A single row of the table holds the behaviour when it is one answer or a derived
    # variable: its interval is then the table's own, so figures and tables agree.
    if derived is not None and (crosstabs["variable"] == derived.name).any():
        variable, codes = derived.name, ("true",)
    else:
        variable, codes = behaviour.variable, behaviour.codes
    rows = crosstabs[(crosstabs["variable"] == variable) & crosstabs["code"].isin(codes)]
    if rows.empty:
        raise InputError(
            f"no rows for variable {variable!r} with codes {list(codes)}",
            file=CROSSTABS,
            column="variable",
            hint="Regenerate crosstabs.csv with the codebook in config/codebook.yaml.",
        )
    if len(codes) > 1:
        rows = _summed(rows, behaviour, level)
    columns = ["wave", "group", "n", "base", "prop", "ci_low", "ci_high"]
    return rows[columns].assign(behaviour=behaviour.label)


def behaviour_shares(
    crosstabs: pd.DataFrame, published: Claims, book: Codebook, *, level: float = 0.95
) -> pd.DataFrame:
    """One row per published behaviour x wave x group: n, base, prop and an interval.

    ``level`` only matters for behaviours the table holds as several rows (answers summed
    without a derived variable); every other interval is copied from the table.
    """
    require_columns(
        crosstabs, ["wave", "group", "variable", "code", "n", "base", "prop"], CROSSTABS
    )
    table = crosstabs.assign(wave=crosstabs["wave"].astype(str), code=crosstabs["code"].astype(str))
    found = behaviours(published, book)
    shares = pd.concat([_shares_of(table, book, b, level) for b in found], ignore_index=True)
    order = {b.label: i for i, b in enumerate(found)}
    shares = shares.sort_values(
        ["behaviour", "wave", "group"], key=lambda s: s.map(order) if s.name == "behaviour" else s
    )
    return shares[["behaviour", "wave", "group", "n", "base", "prop", "ci_low", "ci_high"]]
