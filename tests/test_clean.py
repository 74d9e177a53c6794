"""Quality control: each rule, its order, the flow arithmetic, no personal data kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from invitesurvey.clean import QC, RULES, clean, complete_paradata, folded
from invitesurvey.codebook import load

# Module level rather than a fixture: hypothesis tests cannot take function-scoped fixtures.
BOOK = load(Path(__file__).resolve().parents[1] / "config" / "codebook.yaml")
START = pd.Timestamp("2014-03-10")
ITEMS = {
    "recruiter": True,
    "purpose": "hire",
    "stranger_response": "accept_any",
    "invites_strangers": False,
    "unaccepted_action": "ignore",
    "seniority": "board",
    "connections": "lt500",
}


def respondents(specs: list[dict]) -> pd.DataFrame:
    """Harmonised rows: defaults are a genuine, complete, 240-second response."""
    rows = []
    for i, spec in enumerate(specs):
        begin = spec.get("start", START + pd.Timedelta(hours=i + 1))
        row = {
            "source_row": i + 3,
            "respondent_id": f"r{i}",
            "start_time": begin,
            "end_time": begin + pd.Timedelta(seconds=spec.get("seconds", 240)),
            "email": spec.get("email", f"person{i}@example.com"),
            "first_name": "Ann",
            "ip_address": "192.0.2.1",
            **ITEMS,
            **spec.get("answers", {}),
            "comments": "Ask John Smith",
        }
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in ("recruiter", "invites_strangers"):
        frame[name] = frame[name].astype("boolean")
    for name in ("purpose", "stranger_response", "unaccepted_action", "seniority", "connections"):
        frame[name] = frame[name].astype("string")
    for name in ("respondent_id", "email", "first_name", "ip_address", "comments"):
        frame[name] = frame[name].astype("string")
    return frame


def run(specs: list[dict]):
    return clean(respondents(specs), BOOK, QC(), wave="2014", fieldwork_start=START)


def test_each_rule_catches_its_case_in_order():
    result = run(
        [
            {},
            {"start": START - pd.Timedelta(days=2)},
            {"answers": {"connections": None, "seniority": None}},
            {"email": "PERSON0@example.com "},
            {"seconds": 20},
            {},
            {},
        ]
    )
    rules = dict(zip(result.exclusions["respondent_id"], result.exclusions["rule"], strict=True))
    assert rules == {
        "r1": "preview_or_test",
        "r2": "incomplete",
        "r3": "duplicate",
        "r4": "speeder",
    }
    assert result.exclusions.loc[result.exclusions.rule == "duplicate", "detail"].item() == (
        "same email as respondent r0"
    )
    assert result.flow["rule"].tolist() == ["raw", *RULES, "analysed"]


def test_item_nonresponse_is_not_a_breakoff():
    result = run([{"answers": {"purpose": None, "invites_strangers": None}}])
    assert len(result.data) == 1
    assert result.data["purpose"].isna().all()
    assert result.data["invites_strangers"].isna().all()


def test_duplicate_keeps_the_first_complete_submission():
    # The earliest submission broke off, so the second one is the first complete one.
    result = run(
        [
            {"email": "a@example.com", "answers": {"connections": None, "seniority": None}},
            {"email": "a@example.com"},
            {"email": "a@example.com"},
        ]
    )
    assert result.data["respondent_id"].tolist() == ["r1"]
    assert result.exclusions.set_index("respondent_id")["rule"].to_dict() == {
        "r0": "incomplete",
        "r2": "duplicate",
    }


def test_status_preview_is_excluded_when_the_export_has_one():
    frame = respondents([{}, {}])
    frame["status"] = pd.array(["response", "preview"], dtype="string")
    result = clean(frame, BOOK, QC(), wave="w", fieldwork_start=START)
    assert result.exclusions["detail"].tolist() == ["status preview"]


def test_no_personal_data_and_codebook_types():
    result = run([{}])
    assert not {"email", "first_name", "ip_address", "comments", "end_time"} & set(result.data)
    assert str(result.data["recruiter"].dtype) == "boolean"
    assert list(result.data["connections"].cat.categories) == ["lt500", "500_999", "1000_plus"]
    assert result.data["accepts_strangers"].tolist() == [True]


def test_progress_is_derived_from_the_last_answered_question():
    frame = complete_paradata(
        respondents([{}, {"answers": {"seniority": None, "connections": None}}]), BOOK
    )
    assert frame["progress"].tolist() == [100.0, 500 / 7]
    assert frame["finished"].tolist() == [True, False]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "early": st.booleans(),
                "broke_off": st.booleans(),
                "person": st.integers(0, 4),
                "seconds": st.integers(5, 900),
            }
        ),
        min_size=1,
        max_size=25,
    )
)
def test_analysed_plus_excluded_equals_raw(cases):
    specs = [
        {
            "start": START - pd.Timedelta(days=1) if c["early"] else START + pd.Timedelta(hours=i),
            "answers": {"connections": None} if c["broke_off"] else {},
            "email": f"p{c['person']}@example.com",
            "seconds": c["seconds"],
        }
        for i, c in enumerate(cases)
    ]
    result = run(specs)
    assert len(result.data) + len(result.exclusions) == len(cases)
    flow = result.flow.set_index("rule")
    assert flow.loc["raw", "rows_out"] == len(cases)
    assert flow.loc["analysed", "rows_out"] == len(result.data)
    assert (flow["rows_in"] - flow["excluded"] == flow["rows_out"]).all()
    assert result.exclusions["respondent_id"].is_unique
    assert set(result.exclusions["respondent_id"]).isdisjoint(result.data["respondent_id"])


def test_an_unfinished_response_without_progress_is_still_excluded():
    frame = respondents([{}, {}])
    frame["finished"] = pd.array([False, True], dtype="boolean")
    frame["progress"] = pd.array([None, 100.0], dtype="Float64")
    result = clean(frame, BOOK, QC(), wave="w", fieldwork_start=START)
    assert result.exclusions[["respondent_id", "rule", "detail"]].values.tolist() == [
        ["r0", "incomplete", "not finished (progress unknown)"]
    ]


def test_a_duplicate_of_a_respondent_without_an_id_is_still_excluded():
    frame = respondents([{"email": "a@example.com"}, {"email": "a@example.com"}])
    frame["respondent_id"] = pd.array([None, "r1"], dtype="string")
    result = clean(frame, BOOK, QC(), wave="w", fieldwork_start=START)
    assert result.exclusions["detail"].tolist() == ["same email as an earlier respondent"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
def test_duplicate_keys_fold_as_python_strip_and_casefold(texts):
    values = pd.Series(texts, dtype="string", index=range(3, 3 + len(texts)))
    expected = [None if pd.isna(v) else v.strip().casefold() for v in values]
    got = folded(values)
    assert [None if pd.isna(v) else v for v in got] == expected
    assert got.index.equals(values.index)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a@x.com", " A@X.com", "b@x.com", None]),
            st.sampled_from(["p", "q", None]),
            st.one_of(st.none(), st.integers(0, 3)),
        ),
        max_size=25,
    ),
    st.booleans(),
)
def test_duplicates_are_the_later_submissions_of_a_key_by_start_time_then_file_order(rows, two):
    from invitesurvey.clean import _duplicate

    keys = ("email", "last_name") if two else ("email",)
    frame = pd.DataFrame(
        {
            "respondent_id": pd.array([f"r{i}" for i in range(len(rows))], dtype="string"),
            "source_row": range(2, 2 + len(rows)),
            "email": pd.array([e for e, _, _ in rows], dtype="string"),
            "last_name": pd.array([n for _, n, _ in rows], dtype="string"),
            "start_time": pd.to_datetime(
                [None if t is None else f"2016-03-0{t + 1}" for _, _, t in rows]
            ),
        }
    )
    # The rule written plainly: sort, then every row after the first of its key.
    key = frame[list(keys)].apply(lambda s: s.str.strip().str.casefold())
    ordered = frame[key.notna().all(axis=1)].sort_values(
        ["start_time", "source_row"], kind="stable", na_position="last"
    )
    expected = {}
    for _, same in ordered.groupby([key.loc[ordered.index, k] for k in keys], sort=False):
        for later in same.index[1:]:
            expected[later] = f"same {'+'.join(keys)} as respondent {same['respondent_id'].iloc[0]}"
    got = _duplicate(frame, QC(duplicate_keys=keys)).dropna().to_dict()
    assert got == expected
