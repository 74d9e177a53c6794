"""The logistic regression stage against independent fits written out here in numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import chi2

from invitesurvey import codebook, model
from invitesurvey.errors import InputError

BOOK = codebook.load("config/codebook.yaml")
WAVES = ["2014", "2015"]
FORMULA = "accepts_strangers ~ recruiter + purpose + invites_strangers + seniority"
SPEC = {
    "name": "accepts",
    "formula": FORMULA,
    "reference": {"purpose": "find_role", "seniority": "senior_manager"},
    "subset": None,
    "cov_type": "nonrobust",
}


def typed(columns: dict[str, list], waves: list[str] | None = None) -> pd.DataFrame:
    """A clean frame: codebook dtypes, ``None`` as item non-response."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"wave": pd.array(waves or ["2014"] * n, dtype="string")})
    for name, values in columns.items():
        frame[name] = pd.Series(values, dtype=object).astype(BOOK[name].dtype())
    return frame


def survey(n: int = 300, seed: int = 1, waves: list[str] | None = None) -> pd.DataFrame:
    """Answers drawn from a known logit, so every coefficient is estimable."""
    rng = np.random.default_rng(seed)
    purpose = rng.choice(["find_role", "hire", "clients", "network", "news"], n)
    recruiter = rng.random(n) < 0.3
    invites = rng.random(n) < 0.4
    seniority = rng.choice(["board", "director", "senior_manager"], n)
    eta = -0.2 + 1.1 * recruiter - 0.6 * invites + 0.5 * (purpose == "hire")
    accepts = rng.random(n) < expit(eta)
    return typed(
        {
            "recruiter": list(recruiter),
            "purpose": list(purpose),
            "invites_strangers": list(invites),
            "seniority": list(seniority),
            "accepts_strangers": list(accepts),
        },
        waves=list(rng.choice(waves, n)) if waves else None,
    )


def newton_ml(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum likelihood by plain Newton-Raphson; covariance the inverse Hessian."""
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        p = expit(X @ beta)
        info = X.T @ (X * (p * (1 - p))[:, None])
        beta = beta + np.linalg.solve(info, X.T @ (y - p))
    p = expit(X @ beta)
    return beta, np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))


def penalised_loglik(beta: np.ndarray, y: np.ndarray, X: np.ndarray) -> float:
    eta = X @ beta
    p = expit(eta)
    _, logdet = np.linalg.slogdet(X.T @ (X * (p * (1 - p))[:, None]))
    return float(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * logdet)


def newton_firth(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Firth (1993): Newton steps on the modified score X'(y - p + h(1/2 - p))."""
    beta = np.zeros(X.shape[1])
    for _ in range(200):
        p = expit(X @ beta)
        w = p * (1 - p)
        inv = np.linalg.inv(X.T @ (X * w[:, None]))
        h = np.einsum("ij,jk,ik->i", X * np.sqrt(w)[:, None], inv, X * np.sqrt(w)[:, None])
        step = inv @ (X.T @ (y - p + h * (0.5 - p)))
        beta = beta + step / max(1.0, np.abs(step).max())
    p = expit(X @ beta)
    return beta, np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))


def separated() -> pd.DataFrame:
    """Every respondent using LinkedIn to hire accepts strangers: quasi-complete separation."""
    frame = survey(n=200, seed=7)
    frame.loc[frame["purpose"] == "hire", "accepts_strangers"] = True
    return frame


def test_design_names_columns_in_formula_and_codebook_order():
    _, X, info = model.design(survey(), SPEC, waves=WAVES)
    assert list(X.columns) == [
        "Intercept",
        "recruiter[T.true]",
        "purpose[T.hire]",
        "purpose[T.clients]",
        "purpose[T.network]",
        "purpose[T.news]",
        "invites_strangers[T.true]",
        "seniority[T.board]",
        "seniority[T.director]",
    ]
    assert info.dropped_levels == ("purpose[T.other]",)


def test_wave_term_appears_only_with_several_waves():
    _, one, _ = model.design(survey(), SPEC, waves=WAVES)
    _, two, info = model.design(survey(waves=WAVES), SPEC, waves=WAVES)
    assert not any(c.startswith("wave") for c in one.columns)
    assert two.columns[-1] == "wave[T.2015]"
    assert info.terms[-1].reference == "2014"


@settings(max_examples=25, deadline=None)
@given(
    answers=st.lists(
        st.tuples(st.sampled_from([True, False, None]), st.sampled_from(["board", None])),
        min_size=1,
        max_size=40,
    )
)
def test_complete_cases_are_rows_with_every_formula_item_answered(answers):
    frame = typed(
        {
            "accepts_strangers": [a for a, _ in answers],
            "seniority": [s for _, s in answers],
            "recruiter": [True] * len(answers),
        }
    )
    spec = {**SPEC, "formula": "accepts_strangers ~ seniority", "reference": {}}
    complete = sum(a is not None and s is not None for a, s in answers)
    if complete == 0:
        with pytest.raises(InputError):
            model.design(frame, spec, waves=WAVES)
        return
    y, X, info = model.design(frame, spec, waves=WAVES)
    assert len(y) == len(X) == complete
    assert list(X.columns) == ["Intercept"]  # only board answered: seniority drops out
    assert info.dropped_levels == ("seniority[T.director]", "seniority[T.senior_manager]")


def test_subset_keeps_only_the_rows_the_query_selects():
    frame = survey()
    spec = {**SPEC, "formula": "accepts_strangers ~ purpose", "subset": "recruiter == False"}
    spec["reference"] = {}
    y, _, info = model.design(frame, spec, waves=WAVES)
    assert len(y) == info.rows_in_subset == int((~frame["recruiter"]).sum())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"formula": "accepts_strangers ~ recruiter * purpose"}, "cannot read the formula"),
        ({"formula": FORMULA + " + tenure"}, "no column 'tenure'"),
        ({"reference": {"purpose": "sales"}}, "reference 'sales'"),
        ({"reference": {"purpose": "other"}}, "no complete case has the reference"),
        ({"cov_type": "HC3"}, "cov_type 'HC3'"),
        ({"formula": "purpose ~ recruiter", "reference": {}}, "is not boolean"),
        ({"reference": {"senority": "board"}}, "reference given for 'senority'"),
        ({"subset": "recruiter +"}, "cannot evaluate subset"),
        ({"subset": "seniority"}, "is not a condition"),
    ],
)
def test_bad_model_specs_are_refused_with_the_reason(change, message):
    with pytest.raises(InputError, match=message):
        model.fit(survey(), {**SPEC, **change}, waves=WAVES, level=0.95)


def test_a_yaml_boolean_reference_makes_the_other_code_the_dummy():
    spec = {**SPEC, "reference": {**SPEC["reference"], "recruiter": True}}
    _, X, _ = model.design(survey(), spec, waves=WAVES)
    assert X["recruiter[T.false]"].sum() == int((~survey()["recruiter"]).sum())


def test_collinear_terms_are_refused_naming_the_redundant_column():
    frame = survey()
    frame["purpose"] = (
        frame["recruiter"].map({True: "hire", False: "news"}).astype(BOOK["purpose"].dtype())
    )
    spec = {**SPEC, "reference": {"purpose": "news"}}
    with pytest.raises(InputError, match=r"purpose\[T.hire\] is a linear combination"):
        model.design(frame, spec, waves=WAVES)


def test_ml_estimates_and_errors_match_an_independent_newton_fit():
    frame = survey(waves=WAVES)
    y, X, _ = model.design(frame, SPEC, waves=WAVES)
    beta, cov = newton_ml(y.to_numpy(), X.to_numpy())
    result = model.fit(frame, SPEC, waves=WAVES, level=0.9)
    table = result.coefficients
    assert result.fit["method"] == "maximum likelihood"
    np.testing.assert_allclose(table["estimate"], beta, rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["std_error"], np.sqrt(np.diag(cov)), rtol=0, atol=1e-6)
    half = 1.6448536269514722 * np.sqrt(np.diag(cov))  # 90% normal quantile
    np.testing.assert_allclose(table["or_ci_high"], np.exp(beta + half), rtol=1e-6)
    assert result.fit["n"] == len(y) and result.fit["events"] == int(y.sum())


def test_hc1_errors_match_an_independent_sandwich():
    frame = survey()
    y, X, _ = model.design(frame, SPEC, waves=WAVES)
    yv, Xv = y.to_numpy(), X.to_numpy()
    beta, bread = newton_ml(yv, Xv)
    meat = sum(np.outer(x, x) * (yi - expit(x @ beta)) ** 2 for x, yi in zip(Xv, yv, strict=True))
    n, k = Xv.shape
    cov = bread @ meat @ bread * n / (n - k)
    result = model.fit(frame, {**SPEC, "cov_type": "HC1"}, waves=WAVES, level=0.95)
    np.testing.assert_allclose(
        result.coefficients["std_error"], np.sqrt(np.diag(cov)), rtol=0, atol=1e-6
    )
    assert result.fit["cov_type"] == "HC1"


def test_separation_is_detected_and_fitted_by_firth():
    result = model.fit(separated(), SPEC, waves=WAVES, level=0.95)
    fit = result.fit
    assert fit["separation"]["detected"]
    assert {"term": "purpose[T.hire]", "direction": "+inf"} in fit["separation"]["terms"]
    assert fit["method"] == "Firth penalised likelihood"
    assert any("separation" in w for w in fit["warnings"])
    assert np.isfinite(result.coefficients["std_error"]).all()
    assert fit["converged"]


@pytest.mark.parametrize("frame", [separated, survey], ids=["separated", "survey"])
def test_separation_check_agrees_with_firthmodels(frame):
    from firthmodels import detect_separation as reference

    y, X, _ = model.design(frame(), SPEC, waves=WAVES)
    found = model.detect_separation(y, X)
    expected = reference(X.to_numpy(), y.to_numpy(), fit_intercept=False)
    assert found["detected"] == bool(expected.separation)
    directions = {t["term"]: t["direction"] for t in found["terms"]}
    assert directions == {
        term: "+inf" if d > 0 else "-inf"
        for term, d in zip(X.columns, expected.directions, strict=True)
        if d != 0
    }


def test_firth_p_values_and_profile_intervals_agree():
    result = model.fit(separated(), SPEC, waves=WAVES, level=0.95)
    table = result.coefficients
    excludes_one = (table["or_ci_low"] > 1) | (table["or_ci_high"] < 1)
    assert ((table["p_value"] < 0.05) == excludes_one).all()
    assert result.fit["inference"]["p_value"] == "penalised likelihood ratio"


def test_firth_estimates_match_an_independent_modified_score_fit():
    frame = separated()
    y, X, _ = model.design(frame, SPEC, waves=WAVES)
    beta, cov = newton_firth(y.to_numpy(), X.to_numpy())
    table = model.fit(frame, SPEC, waves=WAVES, level=0.95).coefficients
    np.testing.assert_allclose(table["estimate"], beta, rtol=0, atol=1e-5)
    np.testing.assert_allclose(table["std_error"], np.sqrt(np.diag(cov)), rtol=0, atol=1e-5)


def test_firth_profile_interval_drops_the_penalised_likelihood_by_the_chi2_quantile():
    frame = separated()
    y, X, _ = model.design(frame, SPEC, waves=WAVES)
    yv, Xv = y.to_numpy(), X.to_numpy()
    result = model.fit(frame, SPEC, waves=WAVES, level=0.95)
    j = list(X.columns).index("purpose[T.hire]")
    top = penalised_loglik(result.coefficients["estimate"].to_numpy(), yv, Xv)
    for bound in ("or_ci_low", "or_ci_high"):
        fixed = np.log(result.coefficients.loc[j, bound])

        def negative(free, fixed=fixed):
            return -penalised_loglik(np.insert(free, j, fixed), yv, Xv)

        start = np.delete(result.coefficients["estimate"].to_numpy(), j)
        profile = -minimize(negative, start, method="BFGS", options={"gtol": 1e-8}).fun
        assert 2 * (top - profile) == pytest.approx(chi2.ppf(0.95, 1), abs=1e-3)


def test_ml_failure_without_detected_separation_falls_back_to_firth(monkeypatch):
    monkeypatch.setattr(model, "detect_separation", lambda y, X: {"detected": False})
    result = model.fit(separated(), SPEC, waves=WAVES, level=0.95)
    assert result.fit["method"] == "Firth penalised likelihood"
    assert any("refitted by Firth" in w for w in result.fit["warnings"])
    assert (result.coefficients["std_error"] < 10).all()


def test_marginal_effect_of_one_binary_regressor_is_the_difference_in_proportions():
    frame = survey()
    spec = {**SPEC, "formula": "accepts_strangers ~ recruiter", "reference": {}}
    effect = model.fit(frame, spec, waves=WAVES, level=0.95).marginal_effects.iloc[0]
    accepts = frame["accepts_strangers"].astype(bool)
    p1, p0 = accepts[frame["recruiter"]].mean(), accepts[~frame["recruiter"]].mean()
    n1, n0 = int(frame["recruiter"].sum()), int((~frame["recruiter"]).sum())
    assert effect["term"] == "recruiter[T.true]"
    assert effect["ame"] == pytest.approx(p1 - p0, abs=1e-9)
    # Delta method on a saturated model gives the unpooled binomial standard error.
    assert effect["std_error"] == pytest.approx(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))


def test_marginal_effect_of_a_level_sets_the_other_levels_of_its_factor_to_zero():
    frame = survey()
    _, X, _ = model.design(frame, SPEC, waves=WAVES)
    result = model.fit(frame, SPEC, waves=WAVES, level=0.95)
    beta = result.coefficients["estimate"].to_numpy()
    purpose = [c for c in X.columns if c.startswith("purpose")]
    base = X.assign(**dict.fromkeys(purpose, 0.0))
    shifted = base.assign(**{"purpose[T.news]": 1.0})
    expected = np.mean(expit(shifted.to_numpy() @ beta) - expit(base.to_numpy() @ beta))
    effects = result.marginal_effects.set_index("term")
    assert effects.loc["purpose[T.news]", "ame"] == pytest.approx(expected, abs=1e-12)
    assert list(effects.index) == list(X.columns[1:])


def test_two_fits_of_the_same_data_are_identical():
    first = model.fit(separated(), SPEC, waves=WAVES, level=0.95)
    second = model.fit(separated(), SPEC, waves=WAVES, level=0.95)
    pd.testing.assert_frame_equal(first.coefficients, second.coefficients, check_exact=True)
    pd.testing.assert_frame_equal(first.marginal_effects, second.marginal_effects)
    assert first.fit == second.fit
