"""Tables of the select-all, grid and numeric questions: counts, intervals, tests and bins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from invitesurvey import codebook, io, itemtables
from invitesurvey.errors import InputError

BOOK = codebook.load(Path(__file__).parents[1] / "config" / "codebook.yaml")
REASONS = BOOK["accept_reasons"]
LIKELIHOOD = BOOK["accept_likelihood"]
LEVEL = 0.95
COLUMNS = ["wave", "respondent_id", "recruiter", "pending_invitations", *REASONS.columns,
           *LIKELIHOOD.columns]  # fmt: skip


def person(
    wave: str,
    recruiter: bool | None,
    *,
    pending: float | None = None,
    reasons: list[str] | None = None,
    likelihood: dict[str, str] | None = None,
) -> dict:
    """One clean respondent: ``reasons`` None = question not answered, [] = answered, none
    chosen; grid rows missing from ``likelihood`` are unanswered."""
    row = {"wave": wave, "recruiter": recruiter, "pending_invitations": pending}
    if reasons is not None:
        row |= {REASONS.part_column(a.code): a.code in reasons for a in REASONS.options}
    for code, answer in (likelihood or {}).items():
        row[LIKELIHOOD.part_column(code)] = answer
    return row


def clean(people: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(people, columns=COLUMNS)
    frame["respondent_id"] = [f"r{i}" for i in range(len(frame))]
    return codebook.typed(frame.astype({"wave": "string"}), BOOK)


def not_asked(wave: str, size: int = 4) -> list[dict]:
    """A wave that did not ask the follow-up questions: all their columns missing."""
    return [person(wave, i % 2 == 0) for i in range(size)]


# Wave 2015: three recruiters answered the select-all (one ticked nothing is not among them:
# the fourth skipped it), two non-recruiters answered (one ticking nothing), one respondent of
# unknown status answered.
PEOPLE_2015 = [
    person("2015", True, pending=0, reasons=["profile_useful", "mutual"],
           likelihood={"recruiter_in_field": "always", "former_colleague": "usually"}),
    person("2015", True, pending=12, reasons=["profile_useful"],
           likelihood={"recruiter_in_field": "usually", "former_colleague": "never"}),
    person("2015", True, pending=250, reasons=["never"],
           likelihood={"recruiter_in_field": "never"}),
    person("2015", True),
    person("2015", False, pending=3, reasons=["mutual", "other"],
           likelihood={"recruiter_in_field": "sometimes", "former_colleague": "always"}),
    person("2015", False, pending=None, reasons=[],
           likelihood={"recruiter_in_field": "always"}),
    person("2015", False),
    person("2015", None, pending=1, reasons=["profile_useful"],
           likelihood={"recruiter_in_field": "usually"}),
]  # fmt: skip
DATA = clean([*not_asked("2014"), *PEOPLE_2015])


def cell(table: pd.DataFrame, **keys) -> pd.Series:
    rows = table
    for column, value in keys.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, keys
    return rows.iloc[0]


def multiple(data: pd.DataFrame = DATA, **kwargs) -> pd.DataFrame:
    return itemtables.multiple(data, BOOK, level=LEVEL, min_base=3, **kwargs)


def test_multiple_counts_each_option_among_those_who_answered_the_question():
    table = multiple()
    assert list(table.columns) == itemtables.MULTIPLE_COLUMNS
    recruiters = table[(table.wave == "2015") & (table.group == "recruiters")].set_index("code")
    assert list(recruiters.index) == ["profile_useful", "job_help", "recruiter", "mutual",
                                      "any_useful", "never", "other"]  # fmt: skip
    assert (recruiters["base"] == 3).all()
    assert recruiters["n"].to_dict() == {
        "profile_useful": 2, "job_help": 0, "recruiter": 0, "mutual": 1, "any_useful": 0,
        "never": 1, "other": 0,
    }  # fmt: skip
    assert recruiters.loc["profile_useful", "prop"] == pytest.approx(2 / 3)
    assert recruiters.loc["other", "label"] == "Other (please specify)"
    # A respondent may tick several options: the shares add to more than 100%.
    assert recruiters["prop"].sum() == pytest.approx(4 / 3)
    non = cell(table, wave="2015", group="non_recruiters", code="mutual")
    assert (non.n, non.base, non.low_base) == (1, 2, True)
    everyone = cell(table, wave="2015", group="all", code="profile_useful")
    assert (everyone.n, everyone.base, everyone.low_base) == (3, 6, False)


def test_a_wave_that_did_not_ask_has_no_rows_and_the_pool_holds_only_the_waves_that_did():
    later = [{**p, "wave": "2016"} for p in PEOPLE_2015[:5]]
    table = multiple(clean([*not_asked("2014"), *PEOPLE_2015, *later]))
    assert list(table.wave.unique()) == ["2015", "2016", "all"]
    keys = ["group", "variable", "code"]
    waves = table[table.wave != "all"].groupby(keys, sort=False)[["n", "base"]].sum()
    pooled = table[table.wave == "all"].set_index(keys)[["n", "base"]]
    pd.testing.assert_frame_equal(waves, pooled)
    assert cell(table, wave="all", group="recruiters", code="profile_useful").base == 3 + 3


def test_one_waves_own_table_equals_its_rows_of_the_pooled_table():
    pooled = itemtables.item_tables(DATA, BOOK, level=LEVEL, min_base=3)
    own = itemtables.item_tables(
        DATA[DATA.wave == "2015"].reset_index(drop=True), BOOK, level=LEVEL, min_base=3,
        pooled=False,
    )  # fmt: skip
    assert list(own) == list(pooled) == ["multiple", "multiple_differences", "grid", "grid_top",
                                         "numeric", "numeric_tests", "numeric_bins"]  # fmt: skip
    for name, table in own.items():
        assert set(table["wave"]) == {"2015"}, name
        expected = pooled[name][pooled[name]["wave"] == "2015"].reset_index(drop=True)
        pd.testing.assert_frame_equal(table, expected, obj=name)


def test_no_wave_asked_gives_empty_tables_with_their_columns():
    tables = itemtables.item_tables(clean(not_asked("2014")), BOOK, level=LEVEL, min_base=3)
    assert all(table.empty for table in tables.values())
    assert list(tables["numeric_bins"].columns) == itemtables.BIN_COLUMNS
    assert list(tables["multiple_differences"].columns) == [
        "wave", "variable", "code", "label", "prop_recruiters", "prop_non_recruiters", "diff",
        "ci_low", "ci_high", "p_value", "p_holm",
    ]  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    chosen=st.lists(
        st.one_of(st.none(), st.lists(st.sampled_from([a.code for a in REASONS.options]))),
        min_size=1,
        max_size=30,
    )
)
def test_intervals_are_statsmodels_wilson_intervals(chosen):
    table = multiple(clean([person("2015", i % 2 == 0, reasons=c) for i, c in enumerate(chosen)]))
    answered = table[table.base > 0]
    low, high = proportion_confint(answered.n, answered.base, alpha=1 - LEVEL, method="wilson")
    np.testing.assert_allclose(answered.ci_low, low, atol=1e-12)
    np.testing.assert_allclose(answered.ci_high, high, atol=1e-12)
    assert table.loc[table.base == 0, ["prop", "ci_low", "ci_high"]].isna().all().all()


def test_differences_are_recruiters_minus_non_recruiters_with_newcombes_interval():
    people = [person("2015", True, reasons=["mutual"] if i < 5 else []) for i in range(12)]
    people += [person("2015", False, reasons=["mutual"] if i < 3 else []) for i in range(14)]
    table = multiple(clean(people))
    diffs = itemtables.multiple_differences(table, level=LEVEL)
    row = cell(diffs, wave="2015", code="mutual")
    assert row["diff"] == pytest.approx(5 / 12 - 3 / 14)
    low, high = confint_proportions_2indep(5, 12, 3, 14, method="newcomb", compare="diff")
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert list(diffs.wave.unique()) == ["2015", "all"]


def test_a_select_all_answered_only_in_part_is_refused_by_name():
    data = DATA.copy()
    data.loc[data.index[-1], REASONS.part_column("mutual")] = pd.NA
    with pytest.raises(InputError, match="accept_reasons") as error:
        multiple(data)
    assert error.value.column == "accept_reasons__mutual"


def test_missing_question_columns_are_named():
    with pytest.raises(InputError, match="pending_invitations"):
        itemtables.numeric(DATA.drop(columns="pending_invitations"), BOOK, level=LEVEL)


def test_grid_rows_count_their_own_answers_and_the_top_box_adds_the_first_codes():
    grid = itemtables.grid(DATA, BOOK, level=LEVEL, min_base=3)
    assert list(grid.columns) == itemtables.GRID_COLUMNS
    assert set(grid.wave) == {"2015", "all"}
    field = grid[(grid.wave == "2015") & (grid.group == "all") & (grid.row == "recruiter_in_field")]
    assert field.set_index("code")["n"].to_dict() == {"always": 2, "usually": 2, "sometimes": 1,
                                                      "never": 1}  # fmt: skip
    assert (field["base"] == 6).all()
    colleague = grid[(grid.wave == "2015") & (grid.row == "former_colleague")]
    assert colleague.groupby("group", sort=False)["base"].first().to_dict() == {
        "recruiters": 2, "non_recruiters": 1, "all": 3,
    }  # fmt: skip
    # Nobody answered the stranger rows: base 0 and no shares, but the rows are there.
    unanswered = grid[(grid.wave == "2015") & (grid.row == "stranger_no_note")]
    assert (
        len(unanswered) == 3 * 4 and (unanswered.base == 0).all() and unanswered.prop.isna().all()
    )
    answered = grid[grid.base > 0]
    sums = answered.groupby(["wave", "group", "row"])["prop"].sum()
    np.testing.assert_allclose(sums, 1.0)

    top = itemtables.grid_top(DATA, BOOK, level=LEVEL, min_base=3)
    assert list(top.columns) == itemtables.GRID_TOP_COLUMNS
    row = cell(top, wave="2015", group="all", row="recruiter_in_field")
    assert (row.top_codes, row.n, row.base, row.prop) == ("always+usually", 4, 6, 4 / 6)
    low, high = proportion_confint(4, 6, alpha=1 - LEVEL, method="wilson")
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert cell(top, wave="2015", group="recruiters", row="former_colleague").n == 1


def test_numeric_summary_counts_answers_only():
    table = itemtables.numeric(DATA, BOOK, level=LEVEL)
    assert list(table.columns) == itemtables.NUMERIC_COLUMNS
    assert list(table.wave) == ["2015"] * 3 + ["all"] * 3
    recruiters = cell(table, wave="2015", group="recruiters")
    expected = {"n": 3, "mean": 262 / 3, "median": 12, "q1": 6, "q3": 131, "min": 0, "max": 250}
    assert recruiters[list(expected)].to_dict() == pytest.approx(expected)
    everyone = cell(table, wave="2015", group="all")
    assert (everyone.n, everyone["median"]) == (5, 3)
    # Five answers are too few for a 95% distribution-free interval of the median.
    assert np.isnan(everyone.median_ci_low) and np.isnan(everyone.median_ci_high)
    non = cell(table, wave="2015", group="non_recruiters")
    assert non.n == 1 and np.isnan(non.mean_ci_low) and non["mean"] == 3


def test_numeric_intervals_match_scipy_and_the_binomial_order_statistics():
    values = np.array([0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584,
                       4181, 6765], dtype=float)  # fmt: skip
    rng = np.random.default_rng(7)
    people = [person("2015", True, pending=v) for v in rng.permutation(values)]
    row = cell(itemtables.numeric(clean(people), BOOK, level=LEVEL), wave="2015", group="all")
    low, high = stats.t.interval(LEVEL, len(values) - 1, values.mean(), stats.sem(values))
    assert (row.mean_ci_low, row.mean_ci_high) == pytest.approx((low, high))
    # n = 20: the 6th and 15th order statistics, as the binomial tails give (Conover 1999, 3.2).
    k = int(stats.binom.ppf((1 - LEVEL) / 2, len(values), 0.5))
    assert k == 6
    assert (row.median_ci_low, row.median_ci_high) == (values[k - 1], values[len(values) - k])
    assert (row.median_ci_low, row.median_ci_high) == (8, 610)


def test_all_answers_equal_give_a_zero_width_mean_interval():
    people = [person("2015", True, pending=7) for _ in range(8)]
    row = cell(itemtables.numeric(clean(people), BOOK, level=LEVEL), wave="all", group="all")
    assert (row.mean_ci_low, row["mean"], row.mean_ci_high) == (7, 7, 7)


def test_mann_whitney_is_scipys_two_sided_test_and_needs_both_groups():
    tests = itemtables.numeric_tests(DATA, BOOK)
    assert list(tests.columns) == itemtables.NUMERIC_TEST_COLUMNS
    row = cell(tests, wave="2015")
    expected = stats.mannwhitneyu([0, 12, 250], [3], alternative="two-sided")
    assert (row.test, row.statistic, row.p_value) == (
        "mann_whitney_u", expected.statistic, expected.pvalue,
    )  # fmt: skip
    only_recruiters = clean([person("2015", True, pending=4), person("2015", None, pending=2)])
    row = cell(itemtables.numeric_tests(only_recruiters, BOOK), wave="2015")
    assert row.test == "not_testable" and np.isnan(row.p_value)


answers = st.lists(
    st.one_of(st.integers(0, 6), st.floats(-1e3, 1e3, allow_nan=False)).map(float),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(answers, answers)
def test_mann_whitney_matches_scipy_exact_and_asymptotic(recruiters, non_recruiters):
    # Small groups without ties take scipy's exact path; ties or both groups over 8, the normal.
    x, y = np.array(recruiters), np.array(non_recruiters)
    got = itemtables.mann_whitney(x, y)
    expected = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert got["statistic"] == expected.statistic
    assert got["p_value"] == pytest.approx(expected.pvalue, rel=1e-10, abs=1e-300)


def test_mann_whitney_exact_tail_at_scipys_limit_of_eight():
    rng = np.random.default_rng(3)
    for m, n in [(8, 8), (8, 300), (1, 50), (3, 9)]:
        x, y = rng.normal(size=m) + 0.8, rng.normal(size=n)
        expected = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
        assert itemtables.mann_whitney(x, y)["p_value"] == pytest.approx(expected.pvalue, rel=1e-10)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_median_interval_is_scipys_quantile_test_interval(level):
    for n in range(1, 1200):
        x = np.arange(n, dtype=float)
        interval = stats.quantile_test(x, q=0, p=0.5).confidence_interval(level)
        low, high = itemtables.median_interval(n, level)
        assert (low, high) == (
            -1 if np.isnan(interval.low) else int(interval.low),
            n if np.isnan(interval.high) else int(interval.high),
        ), n


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=60))
def test_mean_interval_is_scipys_t_interval(values):
    x = np.array(values)
    row = itemtables.summary(x, LEVEL)
    if stats.sem(x) == 0:
        assert row["mean_ci_low"] == row["mean"] == row["mean_ci_high"]
        return
    low, high = stats.t.interval(LEVEL, len(x) - 1, x.mean(), stats.sem(x))
    assert (row["mean_ci_low"], row["mean_ci_high"]) == pytest.approx((low, high), rel=1e-12)


def test_bins_come_from_the_codebook_with_zero_apart():
    bins = itemtables.log_bins(BOOK["pending_invitations"])
    assert bins[:4] == [(0, 0), (1, 3), (3, 10), (10, 30)]
    assert bins[-1] == (100_000, 300_000)
    assert all(low < high for low, high in bins[1:])
    values = [0, 0, 1, 2, 3, 9, 10, 100_000]
    table = itemtables.numeric_bins(clean([person("2015", True, pending=v) for v in values]), BOOK)
    assert list(table.columns) == itemtables.BIN_COLUMNS
    counts = table[(table.wave == "2015") & (table.group == "recruiters")]
    assert len(counts) == len(bins)
    got = {(low, high): n for low, high, n in counts[["bin_low", "bin_high", "n"]].to_numpy()}
    assert got[(0, 0)] == 2 and got[(1, 3)] == 2 and got[(3, 10)] == 2 and got[(10, 30)] == 1
    assert got[(100_000, 300_000)] == 1 and sum(got.values()) == len(values)
    assert (table.loc[table.group == "non_recruiters", "n"] == 0).all()


def test_bins_for_decimals_and_negatives_keep_every_answer():
    var = codebook.Variable(
        "score", "Score", "numeric", numeric=codebook.Numeric(integer=False, minimum=-5, maximum=40)
    )
    bins = itemtables.log_bins(var)
    assert bins == [(-5, 0), (0, 0), (0, 1), (1, 3), (3, 10), (10, 30), (30, 100)]
    at = itemtables._bin_of(np.array([-5, -0.1, 0, 0.5, 1, 2.9, 40]), bins)
    assert list(at) == [0, 0, 1, 2, 3, 3, 6]


def test_bin_counts_add_up_to_the_numeric_tables_n():
    bins = itemtables.numeric_bins(DATA, BOOK)
    summary = itemtables.numeric(DATA, BOOK, level=LEVEL).set_index(["wave", "group"])["n"]
    totals = bins.groupby(["wave", "group"])["n"].sum()
    assert totals.to_dict() == summary.to_dict()


def test_tables_write_the_same_sorted_bytes_twice(tmp_path):
    tables = itemtables.item_tables(DATA, BOOK, level=LEVEL, min_base=3)
    for name, table in tables.items():
        io.write_table(table, tmp_path / "a" / f"{name}.csv")
        io.write_table(table, tmp_path / "b" / f"{name}.csv")
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (
            tmp_path / "b" / f"{name}.csv"
        ).read_bytes()
    text = (tmp_path / "a" / "multiple.csv").read_text()
    assert "2015,recruiters,accept_reasons,profile_useful,Their profile looks useful to me,2,3," \
        "0.666667," in text  # fmt: skip
    waves = tables["grid"]["wave"].tolist()
    assert waves == sorted(waves, key=lambda w: w == "all")


def test_scipy_stats_is_imported_only_for_numeric_answers():
    code = (
        "import sys, pandas as pd\n"
        "from invitesurvey import codebook, itemtables\n"
        "book = codebook.load('config/codebook.yaml')\n"
        "parts = [c for v in book.of_type('multiple') + book.of_type('grid') for c in v.columns]\n"
        "frame = pd.DataFrame({'wave': ['2014'], 'recruiter': [True],"
        " 'pending_invitations': [None], **{c: [None] for c in parts}})\n"
        "frame = codebook.typed(frame, book)\n"
        "itemtables.item_tables(frame, book, level=0.95, min_base=30)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"
