"""The claims check: each published figure recomputed from the crosstabs of one wave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import chi2

from invitesurvey import claims, codebook, crosstab, io
from invitesurvey.errors import InputError

CONFIG = Path(__file__).parents[1] / "config"
BOOK = codebook.load(CONFIG / "codebook.yaml")
CLAIMS = claims.load(CONFIG / "published_claims.yaml")

# Counts per group and item that reproduce every published figure: 55 recruiters with some
# item non-response (the GRIM audit shows no single base fits them all) and 345 non-recruiters.
REPRODUCING = {
    True: {
        "size": 55,
        "purpose": {"find_role": 11, "hire": 21, "clients": 21},
        "stranger_response": {"accept_profile": 30, "accept_any": 17, "known_only": 3,
                              "accept_if_engaged": 4},
        "invites_strangers": {True: 29, False: 25},
        "unaccepted_action": {"ignore": 43, "reply": 12},
    },
    False: {
        "size": 345,
        "purpose": {"find_role": 179, "hire": 3, "network": 163},
        "stranger_response": {"accept_profile": 150, "accept_any": 67, "known_only": 72,
                              "accept_if_engaged": 56},
        "invites_strangers": {True: 104, False: 241},
        "unaccepted_action": {"ignore": 248, "other": 97},
    },
}  # fmt: skip


def respondents(spec: dict) -> pd.DataFrame:
    """A clean frame of wave 2014 whose answers have the given counts; the rest are blank."""
    groups = []
    for status, items in spec.items():
        size = items["size"]
        columns = {"recruiter": [status] * size}
        for variable, counts in items.items():
            if variable != "size":
                answers = [code for code, n in counts.items() for _ in range(n)]
                columns[variable] = answers + [None] * (size - len(answers))
        groups.append(pd.DataFrame(columns))
    raw = pd.concat(groups, ignore_index=True)
    for var in BOOK.items:
        if var.name not in raw:
            raw[var.name] = None
    raw.insert(0, "wave", "2014")
    raw.insert(1, "respondent_id", [str(i) for i in range(len(raw))])
    return codebook.typed(codebook.derive(raw, BOOK), BOOK)


def crosstabs(spec: dict) -> pd.DataFrame:
    return crosstab.by_group(respondents(spec), BOOK, level=0.95, min_base=30)


def with_counts(group: bool, variable: str, counts: dict) -> dict:
    """The reproducing counts with one item of one group replaced."""
    return {
        status: {**items, variable: counts} if status == group else items
        for status, items in REPRODUCING.items()
    }


def test_counts_that_reproduce_the_article_pass_every_claim():
    result = claims.check(CLAIMS, crosstabs(REPRODUCING), "2014")
    assert list(result.columns) == claims.CHECK_COLUMNS
    assert list(result["id"]) == [c.id for c in CLAIMS.claims]
    assert result["pass"].all(), result[~result["pass"]]
    assert claims.strict_failures(result) == []


def test_observed_values_numerators_and_denominators():
    result = claims.check(CLAIMS, crosstabs(REPRODUCING), "2014").set_index("id")
    assert result.loc["n_total", "observed"] == 400
    assert result.loc["n_recruiters", "numerator"] == 55
    seeking = result.loc["job_seeking_recruiters"]
    assert (seeking.numerator, seeking.denominator) == (11, 53)
    assert seeking.observed == round(100 * 11 / 53, 6)
    accept = result.loc["accept_strangers_recruiters"]
    assert (accept.numerator, accept.denominator) == (47, 54)
    ratio = result.loc["hiring_ratio"]
    assert ratio.observed == pytest.approx((21 / 53) / (3 / 345))
    assert pd.isna(ratio.numerator) and pd.isna(ratio.denominator)
    assert result.loc["job_seeking_recruiters", "published"] == "21%"
    assert result.loc["hiring_non_recruiters", "published"] == "under 1%"
    assert result.loc["n_recruiters", "published"] == "50 to 59"
    assert result.loc["hiring_ratio", "published"] == "about 50"
    assert result.loc["known_only_ratio", "published"] == "over 3"
    assert result.loc["hiring_ratio", "rule"].startswith("nearest_10: The ratio of the two")
    assert result.loc["ignore_recruiters", "rule"] == "whole_percent"


def test_a_share_off_by_two_respondents_fails_and_is_reported():
    spec = with_counts(True, "purpose", {"find_role": 13, "hire": 21, "clients": 19})
    result = claims.check(CLAIMS, crosstabs(spec), "2014").set_index("id")
    assert not result.loc["job_seeking_recruiters", "pass"]
    assert result.drop(index="job_seeking_recruiters")["pass"].all()
    (message,) = claims.strict_failures(result.reset_index())
    assert "job_seeking_recruiters" in message and "21%" in message and "(13/53)" in message


def test_no_hiring_non_recruiter_makes_the_ratio_undefined_and_failing():
    spec = with_counts(False, "purpose", {"find_role": 179, "network": 166})
    result = claims.check(CLAIMS, crosstabs(spec), "2014").set_index("id")
    assert result.loc["hiring_non_recruiters", "pass"]  # 0% is under 1%
    assert not result.loc["hiring_ratio", "pass"]
    assert pd.isna(result.loc["hiring_ratio", "observed"])


def test_the_check_reads_the_crosstabs_as_written_to_csv(tmp_path):
    path = tmp_path / "crosstabs.csv"
    io.write_table(crosstabs(REPRODUCING), path)
    from_csv = claims.check(CLAIMS, io.read_table(path), "2014")
    pd.testing.assert_frame_equal(from_csv, claims.check(CLAIMS, crosstabs(REPRODUCING), "2014"))


def test_an_absent_wave_is_refused():
    with pytest.raises(InputError, match="2015"):
        claims.check(CLAIMS, crosstabs(REPRODUCING), "2015")


def koopman_statistic(x1: int, n1: int, x2: int, n2: int, ratio: float) -> float:
    """Koopman's (1984) chi-square for p1 / p2 = ratio, the shares fitted under that ratio."""

    def minus_loglik(p2):
        p1 = ratio * p2
        return -(x1 * np.log(p1) + (n1 - x1) * np.log1p(-p1) + x2 * np.log(p2)
                 + (n2 - x2) * np.log1p(-p2))  # fmt: skip

    top = min(1.0, 1 / ratio) - 1e-12
    p2 = minimize_scalar(minus_loglik, bounds=(1e-12, top), method="bounded",
                         options={"xatol": 1e-14}).x  # fmt: skip
    p1 = ratio * p2
    return (x1 - n1 * p1) ** 2 / (n1 * p1 * (1 - p1)) + (x2 - n2 * p2) ** 2 / (n2 * p2 * (1 - p2))


def test_ratio_interval_is_katz_log_interval_and_koopman_score_interval():
    # The hiring ratio of wave 2014: 23 of 58 recruiters against 3 of 341 non-recruiters.
    low, high, score_low, score_high = claims.ratio_interval(23, 58, 3, 341, 0.95)
    ratio = (23 / 58) / (3 / 341)
    se = np.sqrt(1 / 23 - 1 / 58 + 1 / 3 - 1 / 341)
    assert (low, high) == pytest.approx(
        (ratio * np.exp(-1.959964 * se), ratio * np.exp(1.959964 * se))
    )
    assert (round(low, 1), round(high, 1)) == (14.0, 145.3)
    for bound in (score_low, score_high):
        assert koopman_statistic(23, 58, 3, 341, bound) == pytest.approx(
            chi2.ppf(0.95, 1), abs=1e-4
        )
    assert low < score_low < ratio < score_high < high
    assert np.isnan(claims.ratio_interval(23, 58, 0, 341, 0.95)).all()


@pytest.mark.parametrize(
    ("low", "high", "published", "rounding", "expected"),
    [
        (14.0, 145.3, 50, "nearest_10", True),  # "about 50": 50 is inside
        (14.0, 45.0, 50, "nearest_10", False),
        (1.24, 11.6, 3, "greater_than", False),  # "more than three times": 1.24 is not above 3
        (3.2, 11.6, 3, "greater_than", True),
        (0.30, 2.55, 1, "under", False),  # "less than 1%": the interval reaches 2.55%
        (0.01, 0.9, 1, "under", True),
        (46.6, 57.2, 52, "whole_percent", True),
        (float("nan"), float("nan"), 50, "nearest_10", False),
        (1.0, 2.0, 400, "exact", None),
    ],
)
def test_supported_reads_each_rule_as_documented(low, high, published, rounding, expected):
    assert claims.supports(low, high, published, rounding) is expected


def test_intervals_and_verdicts_of_the_reproducing_counts():
    result = claims.check(CLAIMS, crosstabs(REPRODUCING), "2014", level=0.95).set_index("id")
    hiring = result.loc["hiring_ratio"]
    expected = claims.ratio_interval(21, 53, 3, 345, 0.95)
    assert tuple(hiring[["ci_low", "ci_high", "score_ci_low", "score_ci_high"]]) == (
        pytest.approx(expected)
    )
    assert hiring["pass"] and hiring["supported"]  # about 50, and 50 is inside the interval
    known = result.loc["known_only_ratio"]
    assert known["pass"] and not known["supported"]  # 3.8 > 3, but the interval starts at 1.2
    assert known["ci_low"] < 3 < known["observed"]
    seeking = result.loc["job_seeking_recruiters"]
    low, high = crosstab.wilson(np.array([11]), np.array([53]), 0.95)
    assert (seeking.ci_low, seeking.ci_high) == pytest.approx((100 * low[0], 100 * high[0]))
    assert pd.isna(seeking.score_ci_low) and seeking.supported
    assert pd.isna(result.loc["n_total", "supported"]) and pd.isna(result.loc["n_total", "ci_low"])
    assert not result.loc["hiring_non_recruiters", "supported"]  # 3 of 345: up to 2.5%
    # The point check alone decides a strict run.
    assert claims.strict_failures(result.reset_index()) == []
