"""GRIM audit: which denominators could have produced the article's rounded percentages.

It works from the published figures alone (``claims``), never from the reconstruction or any
data, so it tests the article's internal consistency and not our own numbers.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd

from invitesurvey.claims import Claim, Claims, attains, published_text

AUDITED_ROUNDINGS = ("whole_percent", "under")
AUDIT_COLUMNS = ["claim_id", "group", "published", "denominator", "attainable", "numerators"]
SUMMARY_COLUMNS = ["group", "claims", "size_low", "size_high", "common_denominators", "common_base"]


def audited(claims: Claims) -> list[Claim]:
    """Percentage claims whose rounding a GRIM test can check, in the claims file's order."""
    return [c for c in claims.proportions() if c.rounding in AUDITED_ROUNDINGS]


def _candidates(claim: Claim, denominator: int) -> range:
    """The counts out of ``denominator`` that can reproduce the figure, with a count to spare
    on each side: within half a point of it, or below it for an "under" figure."""
    centre = Fraction(claim.published) * denominator / 100
    if claim.rounding == "under":
        return range(0, min(denominator, math.ceil(centre)) + 1)
    half = Fraction(denominator, 200)
    low, high = math.floor(centre - half) - 1, math.ceil(centre + half) + 1
    return range(max(0, low), min(denominator, high) + 1)


def numerators(claim: Claim, denominator: int) -> list[int]:
    """Every count out of ``denominator`` whose exact share reproduces the published figure
    (each candidate checked exactly by :func:`claims.attains`)."""
    return [
        k
        for k in _candidates(claim, denominator)
        if attains(Fraction(k, denominator), claim.published, claim.rounding)
    ]


def _group_range(claims: Claims, claim: Claim) -> range:
    """Candidate denominators: every group size the article's words allow."""
    low, high = claims.groups[claim.group]
    return range(low, high + 1)


def audit(claims: Claims) -> pd.DataFrame:
    """One row per audited claim and candidate denominator: is the percentage attainable?

    ``numerators`` lists the attainable counts, space-separated (empty when there are none).
    Rows follow the claims file's order, then the denominator.
    """
    rows = []
    for claim in audited(claims):
        for denominator in _group_range(claims, claim):
            counts = numerators(claim, denominator)
            rows.append(
                {
                    "claim_id": claim.id,
                    "group": claim.group,
                    "published": published_text(claim),
                    "denominator": denominator,
                    "attainable": bool(counts),
                    "numerators": " ".join(map(str, counts)),
                }
            )
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def summary(claims: Claims, table: pd.DataFrame) -> pd.DataFrame:
    """Per group, the denominators in its size range that make every percentage attainable,
    from the :func:`audit` table of the same claims.

    With none, no single group size fits all the figures: the bases must differ from item to
    item, so the figures imply item non-response. Groups follow the claims file's order.
    """
    rows = []
    for group, (low, high) in claims.groups.items():
        own = table[table["group"] == group]
        if own.empty:
            continue
        fits = own.groupby("denominator")["attainable"].all()
        common = fits.index[fits].tolist()
        rows.append(
            {
                "group": group,
                "claims": own["claim_id"].nunique(),
                "size_low": low,
                "size_high": high,
                "common_denominators": " ".join(map(str, common)),
                "common_base": bool(common),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
