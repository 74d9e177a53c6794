"""The logistic regression stage against independent fits written out here in numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq, minimize
from scipy.special import expit
from scipy.stats import chi2
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM

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
@given(n=st.integers(20, 300), seed=st.integers(0, 2**16), several=st.booleans())
def test_the_grouped_design_holds_each_respondent_row_once(n, seed, several):
    frame = survey(n, seed, waves=WAVES if several else None)
    try:
        y, X, info = model.design(frame, SPEC, waves=WAVES)
    except InputError as refused:
        # A small sample can lack a reference level: the grouped design refuses it alike.
        with pytest.raises(InputError) as grouped_refused:
            model.grouped_design(frame, SPEC, waves=WAVES)
        assert str(grouped_refused.value) == str(refused)
        return
    grouped = model.grouped_design(frame, SPEC, waves=WAVES)
    rows = pd.DataFrame(np.column_stack([X.to_numpy(), y.to_numpy()]))
    expanded = pd.DataFrame(np.repeat(np.column_stack([grouped.X, grouped.y]), grouped.counts, 0))
    assert grouped.info == info
    assert grouped.n == len(rows)
    assert len(rows.drop_duplicates()) == len(grouped.y)
    pd.testing.assert_frame_equal(
        expanded.sort_values(list(expanded.columns), ignore_index=True),
        rows.sort_values(list(rows.columns), ignore_index=True),
    )


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
        ({"interval": "bootstrap"}, "interval 'bootstrap'"),
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
    result = model.fit(frame, {**SPEC, "interval": "wald"}, waves=WAVES, level=0.9)
    table = result.coefficients
    assert result.fit["method"] == "maximum likelihood"
    assert (table["test"] == "wald_z").all()
    np.testing.assert_allclose(table["statistic"], beta / np.sqrt(np.diag(cov)), atol=1e-6)
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
    monkeypatch.setattr(model, "detect_separation", lambda *design: {"detected": False})
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


# R 4.2.2 on the design of survey(waves=WAVES) with SPEC (tests/reference/make_r_reference.R):
# glm(y ~ X - 1, binomial) with epsilon 1e-14; the likelihood-ratio statistic of each
# coefficient = 0 (deviance with the coefficient held at 0 by an offset, minus the model's); the
# profile-likelihood interval by its definition (uniroot, 1e-12, on that deviance minus
# qchisq(0.95, 1)); confint() (MASS's spline-interpolated profile) and confint.default() (Wald).
R_LR = [
    6.3051008459,
    30.3281528770,
    6.6555920850,
    0.5411168109,
    0.8328952790,
    1.1415979344,
    0.6005668466,
    0.3181849617,
    0.3416372232,
    0.7143750397,
]
R_PROFILE_LOW = [
    -1.7194887711,
    0.9106196983,
    0.2481173000,
    -0.4881170560,
    -0.4277087338,
    -0.3555894584,
    -0.6997991410,
    -0.7292545962,
    -0.8096977486,
    -0.2781499196,
]
R_PROFILE_HIGH = [
    -0.2059094107,
    1.9709633377,
    1.8614947963,
    1.0870858959,
    1.1864098975,
    1.2239474026,
    0.3008017296,
    0.4009416169,
    0.4341811534,
    0.6999991398,
]
R_CONFINT_LOW = [
    -1.7195181352,
    0.9106304283,
    0.2481262928,
    -0.4881206215,
    -0.4277123103,
    -0.3555911051,
    -0.6998073145,
    -0.7292629080,
    -0.8097092691,
    -0.2781533128,
]
R_CONFINT_HIGH = [
    -0.2059180697,
    1.9709816329,
    1.8615224500,
    1.0871064816,
    1.1864310769,
    1.2239692565,
    0.3008023629,
    0.4009436736,
    0.4341833500,
    0.7000036928,
]
R_WALD_LOW = [
    -1.7018753335,
    0.9016532061,
    0.2377894025,
    -0.4910003584,
    -0.4308087554,
    -0.3595932436,
    -0.6964968099,
    -0.7261737716,
    -0.8052881328,
    -0.2777007603,
]
R_WALD_HIGH = [
    -0.1943278544,
    1.9596324521,
    1.8463240490,
    1.0789695329,
    1.1779355814,
    1.2147865292,
    0.3022251125,
    0.4018120396,
    0.4356582062,
    0.6987883380,
]


def test_profile_intervals_and_lr_tests_match_r():
    result = model.fit(survey(waves=WAVES), SPEC, waves=WAVES, level=0.95)
    table = result.coefficients
    assert list(table.columns) == model.COEFFICIENT_COLUMNS
    assert (table["test"] == "lr_chi2").all()
    assert result.fit["inference"]["intervals"] == "profile likelihood"
    np.testing.assert_allclose(table["statistic"], R_LR, rtol=0, atol=1e-8)
    np.testing.assert_allclose(table["p_value"], chi2.sf(R_LR, 1), rtol=1e-7)
    np.testing.assert_allclose(np.log(table["or_ci_low"]), R_PROFILE_LOW, rtol=0, atol=1e-8)
    np.testing.assert_allclose(np.log(table["or_ci_high"]), R_PROFILE_HIGH, rtol=0, atol=1e-8)
    # confint() interpolates the profile with splines: close, not exact.
    np.testing.assert_allclose(np.log(table["or_ci_low"]), R_CONFINT_LOW, rtol=0, atol=1e-4)
    np.testing.assert_allclose(np.log(table["or_ci_high"]), R_CONFINT_HIGH, rtol=0, atol=1e-4)


def test_wald_intervals_on_request_match_r_confint_default():
    spec = {**SPEC, "interval": "wald"}
    result = model.fit(survey(waves=WAVES), spec, waves=WAVES, level=0.95)
    table = result.coefficients
    np.testing.assert_allclose(np.log(table["or_ci_low"]), R_WALD_LOW, rtol=0, atol=1e-8)
    np.testing.assert_allclose(np.log(table["or_ci_high"]), R_WALD_HIGH, rtol=0, atol=1e-8)
    assert result.fit["inference"]["p_value"] == "Wald"


def test_profile_bounds_drop_the_likelihood_by_the_chi2_quantile():
    frame = survey()
    y, X, _ = model.design(frame, SPEC, waves=WAVES)
    yv, Xv = y.to_numpy(), X.to_numpy()
    table = model.fit(frame, SPEC, waves=WAVES, level=0.9).coefficients
    beta = table["estimate"].to_numpy()

    def loglik(b):
        eta = Xv @ b
        return float(np.sum(yv * eta - np.logaddexp(0, eta)))

    for j in (1, 2):
        for bound in ("or_ci_low", "or_ci_high"):
            fixed = np.log(table.loc[j, bound])
            found = minimize(
                lambda free, fixed=fixed, j=j: -loglik(np.insert(free, j, fixed)),
                np.delete(beta, j),
                method="BFGS",
                options={"gtol": 1e-9},
            )
            assert 2 * (loglik(beta) + found.fun) == pytest.approx(chi2.ppf(0.9, 1), abs=1e-5)


def constrained_loglik(y: np.ndarray, X: np.ndarray, j: int, value: float) -> float:
    """max over the other coefficients of the log-likelihood with coefficient j at ``value``:
    statsmodels' binomial GLM (IRLS) on the other columns, column j an offset."""
    free, offset = np.delete(X, j, axis=1), X[:, j] * value
    return float(GLM(y, free, family=Binomial(), offset=offset).fit(tol=1e-12).llf)


@pytest.mark.parametrize(("n", "seed"), [(80, 2), (150, 5), (400, 11)])
def test_profile_bounds_match_brents_method_on_an_independent_profile(n, seed):
    y, X, _ = model.design(survey(n=n, seed=seed, waves=WAVES), SPEC, waves=WAVES)
    yv, Xv = y.to_numpy(dtype=float), X.to_numpy(dtype=float)
    beta, cov = newton_ml(yv, Xv)
    top = float(np.sum(yv * (Xv @ beta) - np.logaddexp(0, Xv @ beta)))
    quantile = chi2.ppf(0.95, 1)
    bounds, statistics = model.profile_intervals(yv, Xv, np.ones(n), beta, cov, 0.95)
    for j in range(len(beta)):

        def excess(b, j=j):
            return 2 * (top - constrained_loglik(yv, Xv, j, b)) - quantile

        # Brackets half as wide again as the bounds found; the root inside owes them nothing.
        low = brentq(excess, beta[j] - 1.5 * (beta[j] - bounds[j, 0]), beta[j], xtol=1e-12)
        high = brentq(excess, beta[j], beta[j] + 1.5 * (bounds[j, 1] - beta[j]), xtol=1e-12)
        np.testing.assert_allclose(bounds[j], [low, high], rtol=0, atol=1e-8)
        assert statistics[j] == pytest.approx(excess(0.0) + quantile, abs=1e-8)


def test_lr_p_values_and_profile_intervals_agree():
    table = model.fit(survey(n=200, seed=3), SPEC, waves=WAVES, level=0.95).coefficients
    excludes_one = (table["or_ci_low"] > 1) | (table["or_ci_high"] < 1)
    assert ((table["p_value"] < 0.05) == excludes_one).all()


def test_hc1_errors_keep_wald_intervals_and_say_so():
    result = model.fit(survey(), {**SPEC, "cov_type": "HC1"}, waves=WAVES, level=0.95)
    assert (result.coefficients["test"] == "wald_z").all()
    assert result.fit["inference"]["intervals"] == "Wald"
    assert any("HC1" in w for w in result.fit["warnings"])


def test_firth_rows_report_the_penalised_lr_statistic_with_its_own_p():
    table = model.fit(separated(), SPEC, waves=WAVES, level=0.95).coefficients
    assert (table["test"] == "penalised_lr_chi2").all()
    np.testing.assert_allclose(chi2.sf(table["statistic"], 1), table["p_value"], rtol=1e-9)


def test_firth_marginal_effects_carry_no_wald_interval_and_say_why():
    effects = model.fit(separated(), SPEC, waves=WAVES, level=0.95).marginal_effects
    assert list(effects.columns) == model.EFFECT_COLUMNS
    assert effects["ame"].notna().all()
    assert effects[["std_error", "z", "p_value", "ci_low", "ci_high"]].isna().all().all()
    assert (effects["note"] == model.NO_EFFECT_INTERVAL).all()
    assert effects["note"].str.startswith("not computed").all()
    ml = model.fit(survey(), SPEC, waves=WAVES, level=0.95).marginal_effects
    assert ml[["ci_low", "ci_high"]].notna().all().all() and (ml["note"] == "").all()
