"""The weighted estimates agree with R's survey package to 1e-6.

The reference values were computed by tests/r/survey_reference.R (committed, with its output
tests/data/survey/reference.csv) from the SYNTHETIC wave tests/data/survey/respondents.csv;
R is not needed to run these tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from invitesurvey import margins, survey, weights

DATA = Path(__file__).parent / "data" / "survey"
TOLERANCE = 1e-6
GROUPS = ("all", "recruiters", "non_recruiters")


@pytest.fixture(scope="module")
def wave() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "respondents.csv", dtype={"wave": str})
    for column in ("recruiter", "invites_strangers", "accepts_strangers"):
        frame[column] = frame[column].astype("boolean")
    return frame


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(DATA / "reference.csv", dtype=str, keep_default_na=False).assign(
        value=lambda f: f["value"].astype(float)
    )


@pytest.fixture(scope="module")
def r_weights(wave, reference) -> np.ndarray:
    table = reference[reference["quantity"] == "weight"].set_index("code")["value"]
    return table.loc[wave["respondent_id"]].to_numpy()


def expected(reference, quantity, group, variable, code="") -> float:
    row = reference[
        (reference["quantity"] == quantity)
        & (reference["group"] == group)
        & (reference["variable"] == variable)
        & (reference["code"] == code)
    ]
    assert len(row) == 1, (quantity, group, variable, code)
    return float(row["value"].iloc[0])


def in_group(wave, group) -> np.ndarray:
    recruiter = wave["recruiter"].to_numpy(dtype=bool)
    return {"all": np.ones(len(wave), bool), "recruiters": recruiter}.get(group, ~recruiter)


def test_raking_gives_rs_raked_weights(wave, book, r_weights):
    codes = margins.codebook_codes(Path(__file__).parents[1] / "config" / "codebook.yaml")
    checked = margins.check(yaml.safe_load((DATA / "margins.yaml").read_text()), codes, "m")
    raked, record = weights.rake(
        wave, book, checked, trim=None, max_iterations=1000, tolerance=1e-10
    )
    assert record["converged"]
    assert np.max(np.abs(raked["weight"].to_numpy() - r_weights)) < TOLERANCE


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize(
    ("item", "codes"),
    [("purpose", ["find_role", "hire", "clients", "network"]),
     ("invites_strangers", ["true", "false"])],
)  # fmt: skip
def test_shares_and_korn_graubard_intervals_match_svyciprop(
    wave, reference, r_weights, group, item, codes
):
    values = wave[item].astype("string").str.lower()
    domain = in_group(wave, group) & values.notna().to_numpy()
    indicators = np.column_stack([(values[domain] == c).to_numpy() for c in codes])
    est = survey.shares(indicators, r_weights[domain], 0.95, len(wave))
    for i, code in enumerate(codes):
        for ours, theirs in [("prop", "prop"), ("std_error", "std_error"),
                             ("ci_low", "ci_low"), ("ci_high", "ci_high")]:  # fmt: skip
            want = expected(reference, theirs, group, item, code)
            assert abs(est[ours][i] - want) < TOLERANCE, (ours, code)


@pytest.mark.parametrize("group", GROUPS)
def test_weighted_mean_matches_svymean(wave, reference, r_weights, group):
    values = wave["pending_invitations"].to_numpy(dtype=float)
    domain = in_group(wave, group) & ~np.isnan(values)
    est = survey.mean_summary(values[domain], r_weights[domain], 0.95, len(wave))
    for quantity in ("mean", "std_error", "ci_low", "ci_high"):
        want = expected(reference, quantity, group, "pending_invitations")
        assert abs(est[quantity] - want) < TOLERANCE * max(1, abs(want)), quantity


@pytest.mark.parametrize("item", ["purpose", "invites_strangers"])
def test_rao_scott_matches_svychisq(wave, reference, r_weights, item):
    values = wave[item].astype("string")
    answered = values.notna().to_numpy()
    codes = pd.factorize(values[answered])[0]
    status = wave["recruiter"].to_numpy(dtype=bool)[answered].astype(int)
    result = survey.rao_scott(status, codes, r_weights[answered], len(wave))
    for ours, theirs in [("statistic", "rao_scott_f"), ("ndf", "rao_scott_ndf"),
                         ("ddf", "rao_scott_ddf"), ("p_value", "rao_scott_p")]:  # fmt: skip
        want = expected(reference, theirs, "all", item)
        assert abs(result[ours] - want) < TOLERANCE * max(1, abs(want)), ours


def test_logistic_regression_matches_svyglm_quasibinomial(wave, reference, r_weights):
    complete = wave["invites_strangers"].notna().to_numpy()
    frame = wave[complete]
    X = np.column_stack(
        [
            np.ones(len(frame)),
            frame["recruiter"].to_numpy(dtype=float),
            (frame["seniority"] == "board").to_numpy(dtype=float),
            (frame["seniority"] == "director").to_numpy(dtype=float),
            frame["invites_strangers"].to_numpy(dtype=float),
        ]
    )
    y = frame["accepts_strangers"].to_numpy(dtype=float)
    est = survey.logistic(y, X, r_weights[complete], 0.95, len(wave))
    terms = ["Intercept", "recruiter[T.true]", "seniority[T.board]", "seniority[T.director]",
             "invites_strangers[T.true]"]  # fmt: skip
    for i, term in enumerate(terms):
        for ours, theirs in [("estimate", "estimate"), ("std_error", "std_error"),
                             ("p_value", "p_value")]:  # fmt: skip
            assert abs(est[ours][i] - expected(reference, theirs, "all", "model", term)) < TOLERANCE
        low, high = np.log(est["or_ci_low"][i]), np.log(est["or_ci_high"][i])
        assert abs(low - expected(reference, "ci_low", "all", "model", term)) < TOLERANCE
        assert abs(high - expected(reference, "ci_high", "all", "model", term)) < TOLERANCE
