"""The reconstruction of wave 2014: solved counts, selection rule, respondents and the export."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invitesurvey import claims, codebook, reconstruct
from invitesurvey.claims import Claim, Claims
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "config.yaml"
CLAIMS = ROOT / "config" / "published_claims.yaml"
CODEBOOK = ROOT / "config" / "codebook.yaml"
RAW = ROOT / "data" / "raw"
DOCUMENTATION_NETS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]


@pytest.fixture(scope="module")
def book() -> codebook.Codebook:
    return codebook.load(CODEBOOK)


@pytest.fixture(scope="module")
def published() -> Claims:
    return claims.load(CLAIMS)


@pytest.fixture(scope="module")
def settings() -> reconstruct.Settings:
    return reconstruct.read_settings(CONFIG)


@pytest.fixture(scope="module")
def result(published, book, settings) -> reconstruct.Reconstruction:
    return reconstruct.reconstruct(published, book, settings)


def _observed(counts: pd.DataFrame, claim: Claim) -> Fraction:
    """A proportion claim's exact value, recomputed from the counts table alone."""
    rows = counts[(counts["group"] == claim.group) & (counts["variable"] == claim.variable)]
    yes = rows[rows["code"].isin([codebook.code_text(c) for c in claim.codes])]["n"].sum()
    return Fraction(int(yes), int(rows["base"].iloc[0]))


def test_chosen_counts_reproduce_every_published_figure(result, published):
    counts = result.counts
    sizes = counts.drop_duplicates("group").set_index("group")["size"]
    values: dict[str, Fraction] = {}
    for claim in published.claims:
        if claim.kind == "proportion":
            values[claim.id] = _observed(counts, claim)
    for claim in published.claims:
        if claim.kind == "count":
            value = sizes.sum() if claim.group == "all" else sizes[claim.group]
        elif claim.kind == "ratio":
            value = values[claim.numerator] / values[claim.denominator]
        else:
            value = values[claim.id]
        assert claims.attains(value, claim.published, claim.rounding), claim.id


def test_counts_cover_every_code_and_add_up_to_each_base(result, book, settings):
    counts = result.counts
    expected = {
        (g, v.name, codebook.code_text(c))
        for g in reconstruct.GROUPS
        for v in book.items
        for c in v.code_values
    }
    assert set(zip(counts["group"], counts["variable"], counts["code"], strict=True)) == expected
    per_item = counts.groupby(["group", "variable"]).agg(n=("n", "sum"), base=("base", "first"))
    assert (per_item["n"] == per_item["base"]).all()
    size = counts.groupby(["group", "variable"])["size"].first()
    nonresponse = size - per_item["base"]
    assert (nonresponse >= 0).all()
    assert (nonresponse <= size * float(settings.max_item_nonresponse)).all()
    for variable in ("recruiter", "seniority", "connections"):
        assert (nonresponse.xs(variable, level="variable") == 0).all()
    assert counts.equals(counts.sort_values(["group", "variable", "code"]).reset_index(drop=True))


def test_no_recruiter_count_in_range_works_without_item_nonresponse(published, book):
    with pytest.raises(InputError, match="no counts reproduce"):
        reconstruct.choose(reconstruct.explore(published, book, Fraction(0)))


@pytest.mark.parametrize(
    ("claim_id", "impossible"),
    [
        ("engaged_online", 26),  # 63 + 21 + 26 > 100 on one single-choice question
        ("hiring_ratio", 500),  # one hiring non-recruiter already caps the ratio near 140
        ("accept_strangers_recruiters", 97),  # 97 + 6 > 100
    ],
)
def test_an_impossible_figure_has_no_solution(published, book, claim_id, impossible):
    changed = tuple(
        dataclasses.replace(c, published=impossible) if c.id == claim_id else c
        for c in published.claims
    )
    altered = dataclasses.replace(published, claims=changed)
    with pytest.raises(InputError, match="no counts reproduce every published figure"):
        reconstruct.choose(reconstruct.explore(altered, book, Fraction(1, 10)))


def test_selection_prefers_most_recruiters_then_least_nonresponse(book):
    # Of 59 recruiters no count gives 50% (29/59 and 30/59 round to 49 and 51), 58 of 58 does;
    # the rule still keeps 59 recruiters and lets one of them skip the question.
    half = Claim(
        id="half",
        text="half the recruiters",
        kind="proportion",
        group="recruiters",
        variable="invites_strangers",
        codes=(True,),
        published=50,
        rounding="whole_percent",
    )
    total = Claim(
        id="total", text="400", kind="count", group="all", published=400, rounding="exact"
    )
    toy = Claims(
        source="toy",
        groups={"all": (400, 400), "recruiters": (58, 59), "non_recruiters": (341, 342)},
        claims=(total, half),
    )
    attempt, chosen = reconstruct.choose(reconstruct.explore(toy, book, Fraction(1, 10)))
    assert attempt.sizes == {"recruiters": 59, "non_recruiters": 341}
    assert [(o.base, o.counts) for o in chosen] == [(58, (("half", 29),))]


def test_alternatives_hold_the_chosen_solution_once_per_item(result, published):
    alternatives = result.alternatives
    chosen = alternatives[alternatives["chosen"]]
    items = {(c.group, c.variable) for c in published.proportions()}
    assert sorted(zip(chosen["group"], chosen["variable"], strict=True)) == sorted(items)
    assert (chosen["recruiters"] == alternatives["recruiters"].max()).all()
    assert (chosen["base"].to_numpy() == [o.base for o in result.chosen]).all()


@given(
    total=st.integers(0, 500),
    shares=st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=6).filter(
        lambda s: sum(s) > 0
    ),
)
def test_largest_remainder_adds_up_and_stays_within_one_of_each_quota(total, shares):
    named = {f"c{i}": s for i, s in enumerate(shares)}
    counts = reconstruct.largest_remainder(total, named)
    assert sum(counts.values()) == total
    for code, share in named.items():
        assert abs(counts[code] - total * share / sum(shares)) < 1


def test_respondents_carry_the_counts_exactly(result, book):
    analysed = result.respondents[result.respondents["role"] == "analysed"]
    for group, flag in reconstruct.GROUPS.items():
        rows = analysed[analysed["recruiter"] == flag]
        for var in book.items:
            table = result.counts[
                (result.counts["group"] == group) & (result.counts["variable"] == var.name)
            ]
            observed = rows[var.name].dropna().map(codebook.code_text).value_counts()
            expected = table.set_index("code")["n"]
            assert observed.reindex(expected.index, fill_value=0).equals(expected), var.name
            assert rows[var.name].notna().sum() == table["base"].iloc[0]


def test_artefact_rows_match_the_configured_counts(result, settings):
    roles = result.respondents["role"].value_counts()
    art = settings.artefacts
    assert roles.to_dict() == {
        "analysed": 400,
        "preview_or_test": art["tests"],
        "incomplete": art["incomplete"],
        "duplicate": art["duplicates"],
        "speeder": art["speeders"],
    }


def test_only_planned_duplicates_share_an_email(result):
    frame = result.respondents
    first = frame[frame["role"] != "duplicate"]
    assert first["email"].is_unique
    repeats = frame[frame["role"] == "duplicate"]
    originals = first.set_index("email").loc[repeats["email"]]
    assert (originals["role"] == "analysed").all()
    assert (originals["end_time"].to_numpy() < repeats["start_time"].to_numpy()).all()
    assert frame["email"].str.endswith("@example.com").all()


def test_ip_addresses_are_in_documentation_ranges(result):
    for text in result.respondents["ip_address"]:
        address = ipaddress.ip_address(text)
        assert any(address in net for net in DOCUMENTATION_NETS), text


def test_genuine_responses_fall_inside_fieldwork_and_tests_before_it(result, settings):
    frame = result.respondents
    start = pd.Timestamp(settings.fieldwork[0])
    end = pd.Timestamp(settings.fieldwork[1]) + pd.Timedelta(days=1)
    real = frame[frame["role"] != "preview_or_test"]
    assert (real["start_time"] >= start).all()
    assert (real["end_time"] < end).all()
    assert (frame.loc[frame["role"] == "preview_or_test", "start_time"] < start).all()


def test_ingesting_the_committed_export_keeps_exactly_the_counted_respondents(
    result, book, settings
):
    from invitesurvey.clean import QC
    from invitesurvey.ingest import ingest_wave

    cleaned = ingest_wave(
        RAW / "wave-2014.csv",
        "surveymonkey",
        book,
        mapping=RAW.parents[1] / "config" / "mappings" / "wave-2014.yaml",
        wave="2014",
        qc=QC.from_config(settings.qc),
        fieldwork_start=str(settings.fieldwork[0]),
    )
    art = settings.artefacts
    excluded = cleaned.flow.set_index("rule")["excluded"]
    assert excluded[["preview_or_test", "incomplete", "duplicate", "speeder"]].tolist() == [
        art["tests"],
        art["incomplete"],
        art["duplicates"],
        art["speeders"],
    ]
    data = cleaned.data
    for group, flag in reconstruct.GROUPS.items():
        rows = data[data["recruiter"] == flag]
        for var in book.items:
            observed = rows[var.name].dropna().astype(str).str.lower().value_counts()
            table = result.counts[
                (result.counts["group"] == group) & (result.counts["variable"] == var.name)
            ].set_index("code")["n"]
            assert observed.reindex(table.index, fill_value=0).tolist() == table.tolist()


def test_regenerating_gives_the_committed_files_byte_for_byte(tmp_path):
    output = tmp_path / "wave-2014.csv"
    args = argparse.Namespace(
        config=str(CONFIG), claims=str(CLAIMS), codebook=str(CODEBOOK), output=str(output)
    )
    assert reconstruct.cli_main(args) == 0
    for name in ("wave-2014.csv", "wave-2014.counts.csv", "wave-2014.alternatives.csv"):
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name
