"""Raking weights, their margins' checks, design effects, weighted tables and their display."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from invitesurvey import margins, survey, weightreport, weights
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "config" / "codebook.yaml"
MARGINS = {
    "recruiter": {True: 0.15, False: 0.85},
    "seniority": {"board": 0.2, "director": 0.4, "senior_manager": 0.4},
}


@pytest.fixture(scope="module")
def codes() -> dict:
    return margins.codebook_codes(CODEBOOK)


@pytest.fixture(scope="module")
def wave() -> pd.DataFrame:
    frame = pd.read_csv(ROOT / "tests" / "data" / "survey" / "respondents.csv", dtype={"wave": str})
    for column in ("recruiter", "invites_strangers", "accepts_strangers"):
        frame[column] = frame[column].astype("boolean")
    return frame


def test_margins_are_read_with_codes_as_text(codes):
    checked = margins.check(MARGINS, codes, "config.yaml: weights.margins.2015")
    assert checked["recruiter"] == {"true": 0.15, "false": 0.85}


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"recruiter": {True: 0.2, False: 0.7}}, "add up to 0.9, not 1"),
        ({"seniority": {"board": 0.5, "ceo": 0.5}}, "'ceo' is not a code of 'seniority'"),
        ({"pending_invitations": {"0": 1.0}}, "is not a boolean or categorical"),
        ({"recruiter": {True: 1.2, False: -0.2}}, "not a number between 0 and 1"),
    ],
)
def test_wrong_margins_are_refused_naming_the_key(codes, bad, says):
    with pytest.raises(InputError) as error:
        margins.check(bad, codes, "config.yaml: weights.margins.2015")
    assert says in str(error.value)
    assert "config.yaml: weights.margins.2015." in str(error.value)


def test_margins_for_an_unknown_wave_or_in_two_places_are_refused(tmp_path):
    sheet = {"2015": {"wave": "2015", "margins": ""}}
    with pytest.raises(InputError, match=r"weights\.margins\.2016: there is no such wave"):
        margins.wave_margins({"2016": MARGINS}, sheet, CODEBOOK)
    file = tmp_path / "margins.yaml"
    file.write_text("recruiter: {true: 0.15, false: 0.85}\n")
    both = {"2015": {"wave": "2015", "margins": str(file)}}
    with pytest.raises(InputError, match="both in"):
        margins.wave_margins({"2015": MARGINS}, both, CODEBOOK)
    assert margins.wave_margins({}, both, CODEBOOK) == {
        "2015": {"recruiter": {"true": 0.15, "false": 0.85}}
    }
    assert margins.wave_margins(None, sheet, CODEBOOK) == {}


def test_raked_weights_hit_the_margins_and_have_mean_one(wave, book, codes):
    raked, record = weights.rake(
        wave, book, margins.check(MARGINS, codes, "m"), trim=None, max_iterations=100,
        tolerance=1e-8,
    )  # fmt: skip
    w = raked["weight"].to_numpy()
    assert record["converged"] and record["max_margin_error"] < 1e-8
    assert w.mean() == pytest.approx(1.0)
    assert w[wave["recruiter"].to_numpy(dtype=bool)].sum() / w.sum() == pytest.approx(0.15)


def test_trimming_keeps_weights_within_bounds(wave, book, codes):
    extreme = {"recruiter": {"true": 0.02, "false": 0.98}}
    raked, record = weights.rake(
        wave, book, margins.check(extreme, codes, "m"), trim=[0.5, 2.0], max_iterations=100,
        tolerance=1e-6,
    )  # fmt: skip
    w = raked["weight"].to_numpy()
    assert w.min() >= 0.5 - 1e-3 and w.max() <= 2.0 + 1e-3
    # Recruiters' weight of a 2% share would be far below 0.5 of the mean: trimming stops it,
    # and the record says the margins are then missed.
    assert not record["converged"] and record["trimmed_low"] > 0


def test_a_respondent_missing_a_raking_variable_keeps_the_mean_weight(wave, book, codes):
    gappy = wave.copy()
    gappy.loc[[0, 1], "seniority"] = None
    raked, record = weights.rake(
        gappy, book, margins.check(MARGINS, codes, "m"), trim=None, max_iterations=100,
        tolerance=1e-6,
    )  # fmt: skip
    assert record["unraked"] == 2
    assert raked["weight"].iloc[0] == raked["weight"].iloc[1]


def test_kish_design_effect_is_one_for_equal_weights_and_grows_with_spread():
    assert weights.design_effects(np.ones(10))["deff_kish"] == pytest.approx(1.0)
    uneven = weights.design_effects(np.array([0.5, 1.5]))
    assert uneven["deff_kish"] == pytest.approx(2 * (0.25 + 2.25) / 4)
    assert uneven["n_eff"] == pytest.approx(2 / uneven["deff_kish"])


def test_equal_weights_give_the_unweighted_share_and_a_clopper_pearson_interval():
    from scipy.stats import beta

    y = np.array([1] * 7 + [0] * 13, dtype=float)[:, None]
    est = survey.shares(y, np.ones(20), 0.95)
    assert est["prop"][0] == est["prop_unweighted"][0] == pytest.approx(0.35)
    # With equal weights var = p(1-p)/(n-1), so n_eff = n - 1 and the interval is exact
    # binomial at n - 1 trials: Korn and Graubard's interval reduces to Clopper-Pearson.
    n_eff, x = 19, 0.35 * 19
    assert est["n_eff"][0] == pytest.approx(n_eff)
    assert est["ci_low"][0] == pytest.approx(beta.ppf(0.025, x, n_eff - x + 1))
    assert est["ci_high"][0] == pytest.approx(beta.ppf(0.975, x + 1, n_eff - x))


def test_shares_of_nobody_and_everybody_have_closed_bounds():
    est = survey.shares(np.array([[0, 1]] * 5, dtype=float), np.linspace(0.5, 1.5, 5), 0.95)
    assert est["ci_low"][0] == 0.0 and est["ci_high"][1] == 1.0
    assert 0 < est["ci_high"][0] < 1 and 0 < est["ci_low"][1] < 1


def test_wave_tables_cover_every_item_type(wave, book, codes):
    raked, _ = weights.rake(
        wave, book, margins.check(MARGINS, codes, "m"), trim=[0.3, 3.0], max_iterations=100,
        tolerance=1e-6,
    )  # fmt: skip
    data = wave.drop(columns=["pending_invitations"])
    subset = book.__class__(
        variables=tuple(v for v in book.variables if v.name in data), derived=()
    )
    tables = survey.wave_tables(data, raked, subset, level=0.95, min_base=30)
    crosstabs = tables["crosstabs"]
    # Shares of one item and group add up to 1, weighted and unweighted.
    sums = crosstabs.groupby(["group", "variable"])[["prop", "prop_unweighted"]].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    assert set(crosstabs["group"]) == {"recruiters", "non_recruiters", "all"}
    assert (crosstabs["ci_low"] <= crosstabs["prop"]).all()
    assert (crosstabs["prop"] <= crosstabs["ci_high"]).all()
    assert tables["tests"]["test"].eq("rao_scott_f").all()
    differences = tables["differences"]
    assert np.allclose(
        differences["diff"], differences["prop_recruiters"] - differences["prop_non_recruiters"]
    )


def test_display_tables_format_the_comparison_and_design_effects():
    weighted = pd.DataFrame(
        {
            "wave": ["2015", "2015"], "group": ["all", "all"], "variable": ["v", "v"],
            "code": ["a", "b"], "label": ["A", "B"], "prop_unweighted": [0.4, 0.6],
            "prop": [0.45, 0.55], "ci_low": [0.35, 0.45], "ci_high": [0.55, 0.65],
            "n_eff": [80.4, 80.4], "deff": [1.24, 1.24],
        }
    )  # fmt: skip
    table = weightreport.comparison(weighted, "v", wave="2015")
    assert table.iloc[0].to_dict() == {
        "Group": "everyone", "Answer": "A", "Unweighted": "40.0%", "Weighted": "45.0%",
        "Interval": "35.0–55.0%", "Effective base": "80", "Design effect": "1.24",
    }  # fmt: skip
    shifts = weightreport.largest_shifts(weighted, top=1)
    assert shifts["Shift"].tolist() == ["+5.0 pts"]
    summary = pd.DataFrame(
        {
            "wave": ["2015"], "group": ["all"], "n": [400], "n_eff": [366.4],
            "deff_kish": [1.0918], "weight_min": [0.72], "weight_max": [1.52],
            "converged": [True],
        }
    )  # fmt: skip
    assert weightreport.design_effects(summary).iloc[0].tolist() == [
        "2015", "everyone", 400, "366.4", "1.09", "0.72 to 1.52", "yes",
    ]  # fmt: skip
