"""The inference the review asked for, on wave 2014 as the pipeline ingests it.

Reference values: R 4.2.2 (tests/reference/make_r_reference.R run on this wave's design and
tables) and the review's own figures: "about 50" is 45.1 with a log interval of about 14 to
145, "more than three times" 3.8 with about 1.2 to 11.6, the recruiter odds ratio's profile
interval 1.41 to 10.32 (Wald: 1.31 to 9.31), and an exact purpose test of 2.5e-17 that the
Monte Carlo floor reported as 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from invitesurvey import claims, codebook, crosstab, io, model
from invitesurvey.clean import QC
from invitesurvey.ingest import ingest_wave

ROOT = Path(__file__).resolve().parents[1]

# R: the profile-likelihood interval of recruiter[T.true] by its definition (uniroot on the
# profile deviance), by confint() (MASS, spline-interpolated), and the likelihood-ratio
# statistic of recruiter[T.true] = 0; fisher.test of purpose by recruiter status.
R_RECRUITER_PROFILE = (0.3402156692, 2.3341202222)
R_RECRUITER_CONFINT = (0.3403101361, 2.3342437652)
R_RECRUITER_LR = 7.6234261722
R_PURPOSE_FISHER = 2.48093072191001e-17


@pytest.fixture(scope="module")
def wave() -> pd.DataFrame:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cleaned = ingest_wave(
        ROOT / "data" / "raw" / "wave-2014.csv",
        "surveymonkey",
        codebook.load(ROOT / "config" / "codebook.yaml"),
        mapping=ROOT / "config" / "mappings" / "wave-2014.yaml",
        wave="2014",
        qc=QC.from_config(config["qc"]),
        fieldwork_start="2014-03-10",
    )
    return cleaned.data


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_the_ratio_claims_get_intervals_and_honest_verdicts(wave, book):
    table = crosstab.by_group(wave, book, level=0.95, min_base=30)
    result = claims.check(claims.load(ROOT / "config" / "published_claims.yaml"), table, "2014")
    assert result["pass"].all()  # the point check a strict run enforces still holds
    rows = result.set_index("id")
    hiring = rows.loc["hiring_ratio"]
    assert round(hiring.observed, 1) == 45.1
    assert (round(hiring.ci_low), round(hiring.ci_high)) == (14, 145)
    assert hiring.supported  # 50 lies inside: consistent with "about 50", if barely informative
    known = rows.loc["known_only_ratio"]
    assert round(known.observed, 1) == 3.8
    assert (round(known.ci_low, 1), round(known.ci_high, 1)) == (1.2, 11.6)
    assert not known.supported  # "more than three times" needs a lower bound above 3


def test_the_purpose_test_is_exact_and_matches_r(wave, book):
    tests = crosstab.association_tests(wave, book, resamples=100_000, seed=2014, pooled=False)
    purpose = tests.set_index("variable").loc["purpose"]
    assert purpose.test == "fisher_freeman_halton_exact"
    assert purpose.p_value == pytest.approx(R_PURPOSE_FISHER, rel=1e-9)


def test_the_default_holm_family_leaves_the_background_items_out(wave, book, config):
    tests = crosstab.association_tests(wave, book, **_tests(config), pooled=False)
    family = tests.set_index("variable")
    assert family.loc[["seniority", "connections", "accepts_strangers"], "p_holm"].isna().all()
    inside = family.loc[list(_tests(config)["holm_family"])]
    np.testing.assert_allclose(inside["p_holm"], crosstab.holm(inside["p_value"]))


def _tests(config: dict) -> dict:
    """The tests block with the schema's defaults for keys config.yaml leaves out."""
    defaults = {
        "exact_limit": crosstab.EXACT_LIMIT,
        "holm_family": ["purpose", "stranger_response", "invites_strangers", "unaccepted_action"],
    }
    return {**defaults, **config["tests"]}


def test_the_recruiter_odds_ratio_has_its_profile_interval_and_lr_test(wave, config):
    spec = config["models"][0]
    table = model.fit(wave, spec, waves=["2014"], level=0.95).coefficients.set_index("term")
    recruiter = table.loc["recruiter[T.true]"]
    assert recruiter.test == "lr_chi2"
    assert recruiter.statistic == pytest.approx(R_RECRUITER_LR, abs=1e-8)
    bounds = np.log([recruiter.or_ci_low, recruiter.or_ci_high])
    np.testing.assert_allclose(bounds, R_RECRUITER_PROFILE, rtol=0, atol=1e-8)
    np.testing.assert_allclose(bounds, R_RECRUITER_CONFINT, rtol=0, atol=2e-4)
    assert (round(recruiter.or_ci_low, 2), round(recruiter.or_ci_high, 2)) == (1.41, 10.32)
    wald = model.fit(wave, {**spec, "interval": "wald"}, waves=["2014"], level=0.95)
    row = wald.coefficients.set_index("term").loc["recruiter[T.true]"]
    assert (round(row.or_ci_low, 2), round(row.or_ci_high, 2)) == (1.31, 9.31)


def test_tiny_p_values_keep_their_digits_in_the_csv(wave, book, tmp_path):
    tests = crosstab.association_tests(wave, book, resamples=100_000, seed=2014, pooled=False)
    path = tmp_path / "tests.csv"
    io.write_table(tests, path)
    text = path.read_text()
    assert "0.000000" not in text and "2.48093e-17" in text
    back = io.read_table(path)
    np.testing.assert_allclose(back["p_value"], tests["p_value"], rtol=1e-5)
    assert back["p_holm"].isna().sum() == tests["p_holm"].isna().sum()
