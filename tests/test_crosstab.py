"""Cross-tabulations, differences, association tests and wave changes."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from invitesurvey import codebook, crosstab
from invitesurvey.errors import InputError

BOOK = codebook.load(Path(__file__).parents[1] / "config" / "codebook.yaml")
ITEMS = [v.name for v in BOOK.items]
LEVEL = 0.95


def clean(rows: list[dict]) -> pd.DataFrame:
    """A typed clean frame from respondents given as {variable: code or None}; wave default 1."""
    raw = pd.DataFrame([{"wave": "1", **row} for row in rows], columns=["wave", *ITEMS]).astype(
        {"wave": "string"}
    )
    raw.insert(1, "respondent_id", [str(i) for i in range(len(raw))])
    return codebook.typed(codebook.derive(raw, BOOK), BOOK)


def answer(var: codebook.Variable) -> st.SearchStrategy:
    return st.sampled_from([*var.code_values, None])


respondent = st.fixed_dictionaries(
    {"wave": st.sampled_from(["2014", "2015", "9"]), **{v.name: answer(v) for v in BOOK.items}}
)
frames = st.lists(respondent, max_size=40).map(clean)


def table_of(frame: pd.DataFrame, min_base: int = 30) -> pd.DataFrame:
    return crosstab.by_group(frame, BOOK, level=LEVEL, min_base=min_base)


@settings(max_examples=40, deadline=None)
@given(frame=frames)
def test_counts_add_up_to_the_base_which_counts_answers_only(frame):
    table = table_of(frame)
    cells = table.groupby(["wave", "group", "variable"])
    assert (cells["n"].sum() == cells["base"].first()).all()
    assert (cells["base"].nunique() == 1).all()
    recruiters = frame[frame["recruiter"].eq(True).fillna(False)]
    expected = recruiters["purpose"].notna().sum()
    row = table[
        (table.wave == "all") & (table.group == "recruiters") & (table.variable == "purpose")
    ]
    assert (row["base"] == expected).all()


@settings(max_examples=40, deadline=None)
@given(frame=frames)
def test_pooled_rows_are_the_sum_of_the_waves(frame):
    table = table_of(frame)
    keys = ["group", "variable", "code"]
    waves = table[table.wave != "all"].groupby(keys)[["n", "base"]].sum()
    pooled = table[table.wave == "all"].set_index(keys)[["n", "base"]]
    pd.testing.assert_frame_equal(waves.reindex(pooled.index).fillna(0).astype(int), pooled)


@settings(max_examples=40, deadline=None)
@given(frame=frames)
def test_group_all_is_recruiters_plus_non_recruiters_plus_unknown_status(frame):
    table = table_of(frame).set_index(["wave", "variable", "code", "group"])["n"].unstack()
    table = table.dropna()  # the recruiter item exists in group all only
    unknown = (
        frame[frame["recruiter"].isna()]
        .melt(id_vars="wave", value_vars=[v.name for v in BOOK.analysed if v.name != "recruiter"])
        .dropna()
        .assign(code=lambda t: t["value"].map(codebook.code_text))
    )
    unknown = pd.concat([unknown, unknown.assign(wave="all")])
    extra = unknown.groupby(["wave", "variable", "code"]).size()
    extra = extra.reindex(table.index, fill_value=0)
    assert (table["all"] == table["recruiters"] + table["non_recruiters"] + extra).all()


@settings(max_examples=40, deadline=None)
@given(frame=frames)
def test_wilson_interval_holds_the_proportion_within_zero_and_one(frame):
    table = table_of(frame)
    answered = table[table.base > 0]
    assert (answered.ci_low <= answered.prop).all() and (answered.prop <= answered.ci_high).all()
    assert (answered.ci_low >= 0).all() and (answered.ci_high <= 1).all()
    unanswered = table[table.base == 0]
    assert unanswered[["prop", "ci_low", "ci_high"]].isna().all().all()


def test_wilson_matches_newcombes_published_intervals():
    low, high = crosstab.wilson(np.array([81, 15, 0]), np.array([263, 148, 10]), LEVEL)
    np.testing.assert_allclose(low, [0.2553, 0.0624, 0.0], atol=5e-5)
    np.testing.assert_allclose(high, [0.3662, 0.1605, 0.2775], atol=5e-5)


def test_every_code_appears_once_per_wave_and_group_and_rows_are_sorted():
    frame = clean([{"wave": "2015", "recruiter": True}, {"wave": "10", "recruiter": False}])
    table = table_of(frame)
    assert list(table.columns) == crosstab.TABLE_COLUMNS
    per_wave = 3 * sum(len(v.codes) for v in BOOK.analysed if v.name != "recruiter") + 2
    assert len(table) == 3 * per_wave  # waves 10, 2015 and the pool
    assert list(table.wave.unique()) == ["10", "2015", "all"]
    first = table[table.wave == "10"]
    assert list(first.group.unique()) == ["recruiters", "non_recruiters", "all"]
    assert list(first[first.group == "all"].variable.unique()) == [v.name for v in BOOK.analysed]
    purpose = first[(first.group == "all") & (first.variable == "purpose")]
    assert list(purpose.code) == [codebook.code_text(c) for c in BOOK["purpose"].code_values]
    assert set(table.loc[table.variable == "recruiter", "group"]) == {"all"}


def test_codes_labels_bases_and_low_base_flag():
    frame = clean(
        [{"recruiter": True, "invites_strangers": True}] * 3
        + [{"recruiter": True, "invites_strangers": None}]
        + [{"recruiter": False, "invites_strangers": False}]
    )
    table = table_of(frame, min_base=2).set_index(["wave", "group", "variable", "code"])
    row = table.loc[("1", "recruiters", "invites_strangers", "true")]
    assert (row.n, row.base, row.prop, row.label, row.low_base) == (3, 3, 1.0, "Yes", False)
    row = table.loc[("1", "non_recruiters", "invites_strangers", "true")]
    assert (row.n, row.base, row.prop, row.low_base) == (0, 1, 0.0, True)


def test_a_single_wave_has_pooled_rows_equal_to_it():
    table = table_of(clean([{"recruiter": True, "purpose": "hire"}, {"recruiter": False}]))
    wave = table[table.wave == "1"].drop(columns="wave").reset_index(drop=True)
    pooled = table[table.wave == "all"].drop(columns="wave").reset_index(drop=True)
    pd.testing.assert_frame_equal(wave, pooled)


def test_an_answer_outside_the_codebook_is_refused():
    frame = clean([{"recruiter": True, "purpose": "hire"}])
    frame["purpose"] = pd.Series(["bribery"], dtype="string")
    with pytest.raises(InputError, match=r"bribery.*'purpose'"):
        table_of(frame)


def test_a_missing_item_column_is_refused():
    with pytest.raises(InputError, match="seniority"):
        table_of(clean([{"recruiter": True}]).drop(columns="seniority"))


def test_a_million_rows_cross_tabulate_in_seconds():
    rng = np.random.default_rng(7)
    n = 1_000_000
    columns = {"wave": pd.Series(rng.choice(["2014", "2015"], n), dtype="string")}
    for var in BOOK.analysed:
        codes = rng.integers(-1, len(var.codes), n)
        if var.type == "boolean":
            columns[var.name] = pd.array(codes == 0, dtype="boolean")
            columns[var.name][codes < 0] = pd.NA
        else:
            columns[var.name] = pd.Categorical.from_codes(codes, dtype=var.dtype())
    frame = pd.DataFrame(columns)
    start = time.perf_counter()
    table = table_of(frame)
    assert time.perf_counter() - start < 5
    assert table.loc[table.wave == "all", "n"].sum() > 0


def test_newcombe_matches_the_published_example():
    diff, low, high = crosstab.newcombe(56, 70, 48, 80, LEVEL)
    assert diff == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=5e-5)


counts = st.integers(0, 200).flatmap(lambda base: st.tuples(st.integers(0, base), st.just(base)))


@settings(max_examples=100, deadline=None)
@given(first=counts, second=counts)
def test_newcombe_interval_contains_the_difference(first, second):
    (n1, b1), (n2, b2) = first, second
    diff, low, high = crosstab.newcombe(n1, b1, n2, b2, LEVEL)
    if b1 == 0 or b2 == 0:
        assert np.isnan([diff, low, high]).all()
    else:
        assert -1 <= low <= diff <= high <= 1


def test_differences_subtract_non_recruiters_from_recruiters():
    frame = clean(
        [{"recruiter": True, "purpose": "hire"}] * 3
        + [{"recruiter": True, "purpose": "find_role"}]
        + [{"recruiter": False, "purpose": "hire"}]
        + [{"recruiter": False, "purpose": "find_role"}] * 3
    )
    diffs = crosstab.differences(table_of(frame), level=LEVEL)
    assert list(diffs.columns) == crosstab.DIFFERENCE_COLUMNS
    assert "recruiter" not in set(diffs.variable)
    hire = diffs[(diffs.wave == "all") & (diffs.code == "hire")].iloc[0]
    assert (hire.prop_recruiters, hire.prop_non_recruiters, hire["diff"]) == (0.75, 0.25, 0.5)
    assert hire.ci_low < 0.5 < hire.ci_high


@settings(max_examples=100, deadline=None)
@given(p=st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), max_size=12))
def test_holm_is_monotone_at_least_the_raw_p_and_at_most_one(p):
    raw = np.array(p)
    adjusted = crosstab.holm(raw)
    present = ~np.isnan(raw)
    assert np.array_equal(np.isnan(adjusted), ~present)
    raw, adjusted = raw[present], adjusted[present]
    assert (adjusted >= raw).all() and (adjusted <= 1).all()
    order = np.argsort(raw, kind="stable")
    assert (np.diff(adjusted[order]) >= 0).all()


def test_holm_matches_a_hand_computed_example():
    np.testing.assert_allclose(crosstab.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])


def freeman_halton_exact(table: np.ndarray) -> float:
    """Exact p-value of a 2 x c table by enumerating every first row with the same margins."""
    cols, first = table.sum(axis=0), table[0].sum()

    def weight(row):
        return math.exp(-sum(math.lgamma(k + 1) for k in (*row, *(cols - row))))

    tables = [
        np.array(row)
        for row in itertools.product(*(range(c + 1) for c in cols))
        if sum(row) == first
    ]
    weights = np.array([weight(row) for row in tables])
    observed = weight(table[0])
    return weights[weights <= observed * (1 + 1e-7)].sum() / weights.sum()


def test_freeman_halton_monte_carlo_approaches_the_exact_p_value():
    table = np.array([[3, 1, 0], [1, 4, 5]])
    mc = crosstab.freeman_halton_mc(table, resamples=50_000, seed=3)
    assert mc == pytest.approx(freeman_halton_exact(table), abs=0.01)
    assert mc == crosstab.freeman_halton_mc(table, resamples=50_000, seed=3)


def test_the_test_is_chosen_by_the_smallest_expected_count():
    big = np.array([[40, 60], [70, 30]])
    small = np.array([[3, 1], [1, 4]])
    wide = np.array([[3, 1, 0], [1, 4, 5]])
    chi2 = crosstab.association(big, resamples=1000, seed=1)
    assert chi2["test"] == "pearson_chi2"
    assert chi2["p_value"] == pytest.approx(stats.chi2_contingency(big, correction=False).pvalue)
    fisher = crosstab.association(small, resamples=1000, seed=1)
    assert fisher["test"] == "fisher_exact"
    assert fisher["p_value"] == pytest.approx(stats.fisher_exact(small).pvalue)
    exact = crosstab.association(wide, resamples=1000, seed=1)
    assert exact["test"] == "fisher_freeman_halton_exact"
    assert exact["p_value"] == pytest.approx(freeman_halton_exact(wide), rel=1e-9)
    assert crosstab.association(wide, resamples=1000, seed=1, exact_limit=13)["test"] == (
        "fisher_freeman_halton_mc(1000, seed=1)"
    )
    assert crosstab.association(np.array([[3, 0], [0, 0]]), resamples=1000, seed=1)["test"] == (
        "not_testable"
    )


def test_association_tests_per_wave_with_holm_within_the_wave():
    rows = [{"wave": w, "recruiter": r, "purpose": "hire" if r else "find_role",
             "invites_strangers": bool(i % 2)}
            for w in ("2014", "2015") for r in (True, False) for i in range(30)]  # fmt: skip
    tests = crosstab.association_tests(clean(rows), BOOK, resamples=1000, seed=1)
    assert list(tests.columns) == crosstab.TEST_COLUMNS
    assert list(tests.wave.unique()) == ["2014", "2015", "all"]
    assert "recruiter" not in set(tests.variable)
    for _, wave in tests.groupby("wave"):
        # Two testable items per wave: Holm doubles the smaller p, keeps the larger.
        p = wave.set_index("variable")["p_value"]
        holm = wave.set_index("variable")["p_holm"]
        assert holm["purpose"] == pytest.approx(min(1.0, 2 * p["purpose"]))
        assert holm["invites_strangers"] == pytest.approx(p["invites_strangers"])
    purpose = tests[(tests.wave == "all") & (tests.variable == "purpose")].iloc[0]
    assert purpose.test == "pearson_chi2" and purpose.p_value < 1e-6
    assert str(tests.dof.dtype) == "Int64" and tests.dof.iloc[0] == 1  # two codes chosen
    unanswered = tests[tests.variable == "seniority"]
    assert (unanswered.test == "not_testable").all() and unanswered.dof.isna().all()


def two_wave_table() -> pd.DataFrame:
    rows = [{"wave": "2014", "recruiter": True, "purpose": "hire"}] * 4
    rows += [{"wave": "2014", "recruiter": True, "purpose": "find_role"}] * 6
    rows += [{"wave": "2015", "recruiter": True, "purpose": "hire"}] * 8
    rows += [{"wave": "2015", "recruiter": True, "purpose": "find_role"}] * 2
    return table_of(clean(rows))


def test_changes_run_from_each_wave_to_the_next_in_sheet_order():
    changes = crosstab.changes(two_wave_table(), level=LEVEL, wave_order=["2014", "2015"])
    assert list(changes.columns) == crosstab.CHANGE_COLUMNS
    hire = changes[(changes.group == "recruiters") & (changes.code == "hire")].iloc[0]
    assert (hire.wave_from, hire.wave_to, hire.prop_from, hire.prop_to) == (
        "2014",
        "2015",
        0.4,
        0.8,
    )
    assert hire["diff"] == pytest.approx(0.4) and hire.ci_low < 0.4 < hire.ci_high
    chi2 = stats.chi2_contingency([[4, 6], [8, 2]], correction=False).pvalue
    assert hire.p_value == pytest.approx(chi2)
    backwards = crosstab.changes(two_wave_table(), level=LEVEL, wave_order=["2015", "2014"])
    assert set(backwards.wave_from) == {"2015"}
    assert backwards["diff"].to_numpy() == pytest.approx(-changes["diff"].to_numpy(), nan_ok=True)
    assert list(changes.group.unique()) == ["recruiters", "non_recruiters", "all"]


def test_changes_are_empty_with_one_wave_and_refuse_unknown_waves():
    table = two_wave_table()
    empty = crosstab.changes(table, level=LEVEL, wave_order=["2014"])
    assert empty.empty and list(empty.columns) == crosstab.CHANGE_COLUMNS
    with pytest.raises(InputError, match="2016"):
        crosstab.changes(table, level=LEVEL, wave_order=["2014", "2016"])


def test_two_proportion_p_is_one_for_identical_extreme_shares():
    assert crosstab.two_proportion_p(0, 10, 0, 20) == 1.0
    assert np.isnan(crosstab.two_proportion_p(0, 0, 1, 20))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=4, max_size=4).filter(lambda c: min(
    c[0] + c[1], c[2] + c[3], c[0] + c[2], c[1] + c[3]) > 0))  # fmt: skip
def test_fisher_exact_agrees_with_scipy(cells):
    table = np.array(cells).reshape(2, 2)
    assert crosstab.fisher_exact_2x2(table) == pytest.approx(stats.fisher_exact(table).pvalue)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=6, max_size=6))
def test_pearson_agrees_with_scipy(cells):
    table = np.array(cells).reshape(2, 3)
    statistic, dof, p_value, expected = crosstab.pearson(table)
    reference = stats.chi2_contingency(table, correction=False)
    assert (statistic, dof) == (pytest.approx(reference.statistic), reference.dof)
    assert p_value == pytest.approx(reference.pvalue)
    np.testing.assert_allclose(expected, reference.expected_freq)


def test_a_derived_variable_is_tested_but_outside_the_holm_family():
    rows = [{"wave": "2014", "recruiter": r, "purpose": "hire" if r else "find_role",
             "stranger_response": "accept_any" if (i % 3) else "known_only"}
            for r in (True, False) for i in range(30)]  # fmt: skip
    tests = crosstab.association_tests(clean(rows), BOOK, resamples=1000, seed=1)
    wave = tests[tests.wave == "2014"].set_index("variable")
    assert np.isnan(wave.loc["accepts_strangers", "p_holm"])
    assert not np.isnan(wave.loc["accepts_strangers", "p_value"])
    family = wave.loc[["purpose", "stranger_response"], "p_value"].to_numpy()
    np.testing.assert_allclose(
        wave.loc[["purpose", "stranger_response"], "p_holm"], crosstab.holm(family)
    )


# R 4.2.2, fisher.test(table, workspace = 2e8)$p.value: the exact Fisher-Freeman-Halton test.
# The first three are wave 2014's purpose, stranger_response and unaccepted_action by recruiter
# status (tests/reference/make_r_reference.R).
R_FISHER = [
    ([[12, 23, 9, 7, 6, 1], [177, 3, 65, 48, 40, 8]], 2.48093072191001e-17),
    ([[28, 19, 4, 3], [129, 86, 54, 72]], 0.00387512806353776),
    ([[46, 6, 6, 1], [246, 43, 43, 9]], 0.917526388796333),
    ([[3, 1, 0], [1, 4, 5]], 0.0509490509490512),
    ([[5, 0, 2, 7, 1, 3], [2, 6, 1, 0, 4, 9]], 0.000382801276967939),
    ([[20, 3, 1, 15, 2], [30, 9, 0, 40, 6]], 0.361130996475234),
    ([[103, 10, 10, 2], [490, 90, 80, 15]], 0.159843338467295),  # 795 respondents
]


@pytest.mark.parametrize(("table", "expected"), R_FISHER)
def test_exact_freeman_halton_matches_r_fisher_test(table, expected):
    assert crosstab.freeman_halton_exact(np.array(table)) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=6, max_size=8).filter(lambda c: len(c) % 2 == 0))
def test_exact_freeman_halton_equals_full_enumeration(cells):
    table = np.array(cells).reshape(2, -1)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return
    assert crosstab.freeman_halton_exact(table) == pytest.approx(
        freeman_halton_exact(table), rel=1e-9, abs=1e-15
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=4, max_size=4).filter(lambda c: min(
    c[0] + c[1], c[2] + c[3], c[0] + c[2], c[1] + c[3]) > 0))  # fmt: skip
def test_exact_freeman_halton_of_a_2x2_table_is_fishers_exact_test(cells):
    table = np.array(cells).reshape(2, 2)
    assert crosstab.freeman_halton_exact(table) == pytest.approx(
        stats.fisher_exact(table).pvalue, rel=1e-9
    )


def test_exact_freeman_halton_of_wave_2014_purpose_is_quick_and_not_floored():
    table = np.array(R_FISHER[0][0])
    start = time.perf_counter()
    result = crosstab.association(table, resamples=100_000, seed=2014)
    assert time.perf_counter() - start < 5
    assert result["test"] == "fisher_freeman_halton_exact"
    # The Monte Carlo p-value cannot go below 1 / (resamples + 1), about 1e-5.
    assert result["p_value"] < 1e-16


def holm_rows() -> pd.DataFrame:
    rows = [{"wave": "2014", "recruiter": r, "purpose": "hire" if r else "find_role",
             "invites_strangers": bool(i % 2), "seniority": "board" if r else "director",
             "connections": "lt500" if i % 3 else "1000_plus"}
            for r in (True, False) for i in range(30)]  # fmt: skip
    return clean(rows)


def test_holm_family_is_configurable_and_leaves_background_items_out():
    family = ["purpose", "stranger_response", "invites_strangers", "unaccepted_action"]
    tests = crosstab.association_tests(
        holm_rows(), BOOK, resamples=1000, seed=1, holm_family=family
    )
    wave = tests[tests.wave == "2014"].set_index("variable")
    assert wave.loc[["seniority", "connections", "accepts_strangers"], "p_holm"].isna().all()
    assert wave.loc["seniority", "p_value"] < 1e-6  # tested, but outside the family
    inside = wave.loc[["purpose", "invites_strangers"]]  # the two testable family items
    np.testing.assert_allclose(inside["p_holm"], crosstab.holm(inside["p_value"]))
    everything = crosstab.association_tests(holm_rows(), BOOK, resamples=1000, seed=1)
    wide = everything[everything.wave == "2014"].set_index("variable")
    assert wide.loc[["seniority", "connections"], "p_holm"].notna().all()
    with pytest.raises(InputError, match="senority"):
        crosstab.association_tests(holm_rows(), BOOK, holm_family=["senority"])


def test_differences_carry_the_two_proportion_test_and_holm_within_the_wave():
    table = table_of(holm_rows())
    family = ["purpose", "invites_strangers"]
    diffs = crosstab.differences(table, level=LEVEL, book=BOOK, holm_family=family)
    assert list(diffs.columns) == crosstab.DIFFERENCE_COLUMNS
    wave = diffs[diffs.wave == "2014"].set_index(["variable", "code"])
    hire = wave.loc[("purpose", "hire")]
    z = stats.chi2_contingency([[30, 0], [0, 30]], correction=False).pvalue
    assert hire.p_value == pytest.approx(z)
    # The family: the six purpose codes and invites_strangers once (its true row).
    counted = [*(("purpose", c) for c in wave.loc["purpose"].index), ("invites_strangers", "true")]
    expected = crosstab.holm(wave.loc[counted, "p_value"].to_numpy())
    np.testing.assert_allclose(wave.loc[counted, "p_holm"], expected)
    strangers = wave.loc["invites_strangers"]
    assert strangers.loc["false", "p_holm"] == strangers.loc["true", "p_holm"]
    assert wave.loc["seniority", "p_holm"].isna().all()
    assert crosstab.differences(table, level=LEVEL)["p_holm"].isna().all()  # no book, no family


def test_changes_are_holm_adjusted_within_each_step_and_group():
    changes = crosstab.changes(
        two_wave_table(), level=LEVEL, wave_order=["2014", "2015"], book=BOOK,
        holm_family=["purpose"],
    )  # fmt: skip
    assert list(changes.columns) == crosstab.CHANGE_COLUMNS
    for _, group in changes[changes.variable == "purpose"].groupby("group"):
        np.testing.assert_allclose(group["p_holm"], crosstab.holm(group["p_value"]))
    assert changes.loc[changes.variable != "purpose", "p_holm"].isna().all()
