"""GRIM audit of the published percentages, from the claims file alone."""

from __future__ import annotations

import ast
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from invitesurvey import claims, grim

CLAIMS = claims.load(Path(__file__).parents[1] / "config" / "published_claims.yaml")


def percent(published: int, group: str = "recruiters", rounding: str = "whole_percent"):
    return claims.Claim(
        id=f"p{published}", text="", kind="proportion", published=published,
        rounding=rounding, group=group, variable="purpose", codes=("hire",),
    )  # fmt: skip


def test_known_attainable_and_unattainable_percentages():
    assert grim.numerators(percent(21), 59) == []  # 12/59 = 20.3%, 13/59 = 22.0%
    assert grim.numerators(percent(21), 58) == [12]  # 12/58 = 20.7%
    assert grim.numerators(percent(1, rounding="under"), 345) == [0, 1, 2, 3]
    assert grim.numerators(percent(50), 4) == [2]


@settings(max_examples=100, deadline=None)
@given(published=st.integers(0, 100), denominator=st.integers(1, 400))
def test_listed_numerators_are_exactly_those_within_half_a_point(published, denominator):
    listed = grim.numerators(percent(published), denominator)
    # |100 k / d - p| <= 1/2  <=>  |200 k - 2 p d| <= d, in integers
    expected = [
        k
        for k in range(denominator + 1)
        if abs(200 * k - 2 * published * denominator) <= denominator
    ]
    assert listed == expected


@settings(max_examples=200, deadline=None)
@given(
    tenths=st.integers(0, 1000),
    denominator=st.integers(1, 400),
    rounding=st.sampled_from(grim.AUDITED_ROUNDINGS),
)
def test_the_candidate_window_misses_no_count_a_full_scan_finds(tenths, denominator, rounding):
    claim = percent(Fraction(tenths, 10), rounding=rounding)
    scanned = [
        k
        for k in range(denominator + 1)
        if claims.attains(Fraction(k, denominator), claim.published, rounding)
    ]
    assert grim.numerators(claim, denominator) == scanned


def test_audit_has_a_row_per_percentage_claim_and_candidate_denominator():
    audit = grim.audit(CLAIMS)
    assert list(audit.columns) == grim.AUDIT_COLUMNS
    audited = [c for c in CLAIMS.proportions() if c.rounding in ("whole_percent", "under")]
    sizes = {g: high - low + 1 for g, (low, high) in CLAIMS.groups.items()}
    assert len(audit) == sum(sizes[c.group] for c in audited)
    row = audit[(audit.claim_id == "job_seeking_recruiters") & (audit.denominator == 58)].iloc[0]
    assert (row.published, row.attainable, row.numerators) == ("21%", True, "12")
    row = audit[(audit.claim_id == "job_seeking_recruiters") & (audit.denominator == 59)].iloc[0]
    assert (row.attainable, row.numerators) == (False, "")
    assert set(audit.loc[audit.group == "recruiters", "denominator"]) == set(range(50, 60))


def test_no_recruiter_count_fits_all_six_recruiter_percentages():
    summary = grim.summary(CLAIMS, grim.audit(CLAIMS)).set_index("group")
    assert list(summary.reset_index().columns) == grim.SUMMARY_COLUMNS
    recruiters = summary.loc["recruiters"]
    assert recruiters.claims == 6
    assert (recruiters.common_denominators, recruiters.common_base) == ("", False)
    assert summary.loc["non_recruiters", "common_base"]
    assert "all" not in summary.index  # no percentage claim about everyone


def test_summary_finds_a_common_denominator_when_one_exists():
    figures = claims.Claims(
        source="", groups={"recruiters": (50, 52)}, claims=(percent(50), percent(20))
    )
    summary = grim.summary(figures, grim.audit(figures))
    assert summary.loc[0, "common_denominators"] == "50"  # 25/50 and 10/50; 51 and 52 fail one


def imported_modules(path: str) -> set[str]:
    """Every module a source file imports, read from its syntax tree."""
    modules = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    return modules


def test_grim_imports_only_the_claims_module_of_the_project():
    project = {m for m in imported_modules(grim.__file__) if m.startswith("invitesurvey")}
    assert project == {"invitesurvey.claims"}
    assert not any("reconstruct" in m for m in imported_modules(claims.__file__))
