"""The write-up's follow-up sections: which waves asked each question, tables as read."""

from __future__ import annotations

import pandas as pd

from invitesurvey import itemreport


def multiple_rows(waves: list[str]) -> pd.DataFrame:
    rows = []
    for wave in waves:
        for group, base in (("recruiters", 20), ("non_recruiters", 80), ("all", 100)):
            for code, n in (("profile_useful", 10), ("never", 2)):
                rows.append(
                    {
                        "wave": wave,
                        "group": group,
                        "variable": "accept_reasons",
                        "code": code,
                        "n": n,
                        "base": base,
                        "prop": n / base,
                        "ci_low": 0.01,
                        "ci_high": 0.9,
                    }
                )
    return pd.DataFrame(rows)


def test_waves_asking_and_the_sentence_name_the_waves_that_did_not(book):
    var = book["accept_reasons"]
    tables = {"multiple": multiple_rows(["2015", "2016", "all"])}
    asked = itemreport.waves_asking(tables, var, ["2014", "2015", "2016"])
    assert asked == ["2015", "2016"]
    sentence = itemreport.asked_sentence(var, asked, ["2014", "2015", "2016"])
    assert sentence == (
        "Asked in waves 2015 and 2016; wave 2014 did not ask it, so those waves are missing "
        "here, not zero."
    )
    assert itemreport.asked_sentence(var, [], ["2014"]).startswith("No wave analysed here")


def test_option_table_has_every_group_and_the_base(book):
    var = book["accept_reasons"]
    table = itemreport.option_table(multiple_rows(["2015"]), var, "2015")
    assert table["option"].tolist() == [
        "Their profile looks useful to me",
        "I never accept them",
        "base",
    ]
    assert table.loc[0, "recruiters"] == "50.0% (1.0–90.0%)"
    assert table.loc[2, "everyone"] == "100 answered"


def test_number_test_sentence_reports_the_p_value_and_untestable_waves(book):
    var = book["pending_invitations"]
    tests = pd.DataFrame(
        {
            "wave": ["2015", "2016"],
            "variable": var.name,
            "test": ["mann_whitney_u", "not_testable"],
            "statistic": [10.0, None],
            "p_value": [0.0004, None],
        }
    )
    assert "differ beyond chance (Mann-Whitney U, two-sided p = 0.0004)" in (
        itemreport.number_test_sentence(tests, var, "2015")
    )
    assert "cannot be compared" in itemreport.number_test_sentence(tests, var, "2016")


def test_difference_sentence_lists_only_options_whose_interval_excludes_zero(book):
    var = book["accept_reasons"]
    diffs = pd.DataFrame(
        {
            "wave": "2015",
            "variable": var.name,
            "code": ["profile_useful", "never"],
            "diff": [0.2, 0.01],
            "ci_low": [0.05, -0.1],
            "ci_high": [0.35, 0.12],
        }
    )
    sentence = itemreport.difference_sentence(diffs, var, "2015", 0.95)
    assert "Their profile looks useful to me (+20.0 points" in sentence
    assert "never accept" not in sentence
