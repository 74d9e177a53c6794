"""The simulator: deterministic, the size asked for, shares as drawn, shifts as asked."""

from __future__ import annotations

import datetime as dt
import ipaddress
from argparse import Namespace

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from invitesurvey import clean, io, simulate
from invitesurvey.codebook import Codebook, code_text
from invitesurvey.errors import InputError
from invitesurvey.formats import read_export

FIELDWORK = (dt.date(2015, 3, 1), dt.date(2015, 3, 31))
SIZES = {"recruiters": (57, 54), "non_recruiters": (343, 331)}  # size, base of every item


def example_counts(book: Codebook) -> pd.DataFrame:
    """Counts shaped like data/raw/wave-2014.counts.csv: code i of k gets weight i + 1."""
    rows = []
    for group, (size, base) in SIZES.items():
        for var in book.items:
            codes = [code_text(c) for c in var.code_values]
            if var.name == "recruiter":
                flag = code_text(group == "recruiters")
                rows += [(group, var.name, c, size * (c == flag), size, size) for c in codes]
                continue
            weights = np.arange(1, len(codes) + 1)
            n = np.floor(base * weights / weights.sum()).astype(int)
            n[-1] += base - n.sum()
            rows += [
                (group, var.name, c, int(k), base, size) for c, k in zip(codes, n, strict=True)
            ]
    return pd.DataFrame(rows, columns=simulate.COUNT_COLUMNS)


@pytest.fixture(scope="module")
def shares(book):
    return simulate.shares_from_counts(example_counts(book))


def run(book, shares, n=200, seed=7, **options):
    return simulate.simulate(book, shares, n, seed, wave="2015", fieldwork=FIELDWORK, **options)


def test_shares_are_counts_over_bases_and_group_sizes(book, shares):
    recruiters = shares.query("group == 'all' and code == 'true'")["share"].item()
    assert recruiters == pytest.approx(57 / 400)
    purpose = shares.query("group == 'recruiters' and variable == 'purpose'")
    assert purpose["share"].sum() == pytest.approx(1)
    assert purpose["answered"].to_numpy() == pytest.approx(np.full(len(purpose), 54 / 57))


def test_counts_without_a_base_column_are_refused(book):
    with pytest.raises(InputError, match="base"):
        simulate.shares_from_counts(example_counts(book).drop(columns="base"))


def test_same_seed_same_frame_other_seed_or_wave_other_frame(book, shares):
    first = run(book, shares)
    pd.testing.assert_frame_equal(first, run(book, shares))
    assert not first.equals(run(book, shares, seed=8))
    other_wave = simulate.simulate(book, shares, 200, 7, wave="2016", fieldwork=FIELDWORK)
    assert not first.drop(columns=["respondent_id"]).equals(
        other_wave.drop(columns=["respondent_id"])
    )


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 300))
def test_without_artefacts_there_are_exactly_n_rows_all_genuine(book, shares, n):
    frame = run(book, shares, n=n)
    assert len(frame) == n
    assert set(frame["role"]) == {"analysed"}
    assert frame["finished"].all() and (frame["status"] == "response").all()


def test_artefacts_come_on_top_and_cleaning_removes_exactly_them(book, shares):
    artefacts = simulate.Artefacts()
    frame = run(book, shares, n=300, artefacts=artefacts)
    expected = artefacts.counts(300)
    assert len(frame) == 300 + sum(expected.values())
    roles = frame["role"].value_counts()
    assert roles["preview_or_test"] == expected["tests"]
    assert roles["duplicate"] == expected["duplicates"]
    _, exclusions, _ = clean.exclude(
        frame.assign(source_row=np.arange(len(frame)) + 2), clean.QC(), pd.Timestamp(FIELDWORK[0])
    )
    judged = pd.Series("analysed", index=frame.index)
    judged.iloc[exclusions["source_row"].to_numpy() - 2] = exclusions["rule"].to_numpy()
    assert (judged == frame["role"]).all()


def test_break_offs_leave_every_later_question_blank(book, shares):
    frame = run(book, shares, n=300, artefacts=simulate.Artefacts(incomplete=0.2))
    broken = frame[frame["role"] == "incomplete"]
    names = [v.name for v in book.items]
    answered = broken[names].notna().to_numpy()
    last_answered = np.where(answered.any(axis=1), len(names) - np.argmax(answered[:, ::-1], 1), 0)
    stop = np.ceil(broken["progress"].to_numpy() * len(names) / 100)
    assert (last_answered <= stop).all() and (stop < len(names)).all()
    assert broken["connections"].isna().all() and broken["comments"].isna().all()
    assert (~broken["finished"]).all()


def test_rows_are_in_time_order_within_fieldwork_and_ids_rise(book, shares):
    frame = run(book, shares, n=300, artefacts=simulate.Artefacts())
    assert frame["start_time"].is_monotonic_increasing
    assert frame["respondent_id"].astype("int64").is_monotonic_increasing
    genuine = frame[frame["role"] == "analysed"]
    assert genuine["start_time"].min() >= pd.Timestamp(FIELDWORK[0])
    assert genuine["start_time"].max() < pd.Timestamp(FIELDWORK[1]) + pd.Timedelta(days=1)
    tests = frame[frame["role"] == "preview_or_test"]
    assert (tests["start_time"] < pd.Timestamp(FIELDWORK[0])).all()
    seconds = (frame["end_time"] - frame["start_time"]).dt.total_seconds()
    assert (seconds == frame["duration_s"]).all()


def test_personal_data_is_invented_and_safe(book, shares):
    frame = run(book, shares, n=300)
    assert frame["email"].str.endswith("@example.com").all()
    assert frame["email"].is_unique
    documentation = [ipaddress.ip_network(f"{n}.0/24") for n in simulate.DOCUMENTATION_NETS]
    assert all(
        any(ipaddress.ip_address(ip) in net for net in documentation) for ip in frame["ip_address"]
    )


def test_drawn_shares_match_the_group_shares(book, shares):
    frame = run(book, shares, n=20_000)
    for group, flag in (("recruiters", True), ("non_recruiters", False)):
        rows = frame[frame["recruiter"] == flag]
        of_group = (shares["group"] == group) & (shares["variable"] == "seniority")
        target = shares[of_group].set_index("code")
        answered = rows["seniority"].notna().mean()
        assert answered == pytest.approx(target["answered"].iloc[0], abs=0.03)
        observed = rows["seniority"].value_counts(normalize=True)
        for code, share in target["share"].items():
            assert observed[code] == pytest.approx(share, abs=4.5 * np.sqrt(0.25 / len(rows)))


@settings(max_examples=40, deadline=None)
@given(delta=st.floats(-0.3, 0.3))
def test_a_shift_moves_one_code_and_keeps_the_others_in_proportion(shares, delta):
    target = ("purpose", "find_role")
    before = shares.query("variable == @target[0]").set_index(["group", "code"])["share"]
    low = before.xs(target[1], level="code")
    if ((low + delta) < 0).any() or ((low + delta) > 1).any():
        with pytest.raises(InputError, match="outside"):
            simulate.shift(shares, *target, delta)
        return
    after = simulate.shift(shares, *target, delta)
    moved = after.query("variable == @target[0]").set_index(["group", "code"])["share"]
    assert moved.xs(target[1], level="code").to_numpy() == pytest.approx((low + delta).to_numpy())
    assert moved.groupby(level="group").sum().to_numpy() == pytest.approx([1, 1])
    others = [c for c in before.index.get_level_values("code").unique() if c != target[1]]
    for group in ("recruiters", "non_recruiters"):
        ratio = moved.loc[group].loc[others] / before.loc[group].loc[others]
        assert ratio.to_numpy() == pytest.approx(np.full(len(others), ratio.iloc[0]))
    untouched = after["variable"] != target[0]
    pd.testing.assert_frame_equal(after[untouched], shares[untouched])


def test_a_shift_moves_the_simulated_share(book, shares):
    plain = run(book, shares, n=20_000)
    shifted = run(book, shares, n=20_000, shifts=[("purpose", "hire", 0.2)])
    gap = (shifted["purpose"] == "hire").mean() - (plain["purpose"] == "hire").mean()
    answered = plain["purpose"].notna().mean()
    assert gap == pytest.approx(0.2 * answered, abs=0.02)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("purpose:find_role=0.05", ("purpose", "find_role", 0.05)),
        ("recruiter:true=-0.1", ("recruiter", "true", -0.1)),
    ],
)
def test_shifts_are_read_from_the_command_line(text, expected):
    assert simulate.parse_shift(text) == expected


@pytest.mark.parametrize("text", ["purpose=0.05", "purpose:find_role", "purpose:find_role=x"])
def test_unreadable_shifts_are_refused(text):
    with pytest.raises(InputError, match="VARIABLE:CODE=DELTA"):
        simulate.parse_shift(text)


def test_shifting_an_unknown_code_names_the_known_ones(shares):
    with pytest.raises(InputError, match="find_role"):
        simulate.shift(shares, "purpose", "find_job", 0.1)


def test_default_fieldwork_is_march_of_the_wave_year():
    assert simulate.default_fieldwork("2016") == (dt.date(2016, 3, 1), dt.date(2016, 3, 31))
    assert simulate.default_fieldwork("autumn") == (dt.date(2015, 3, 1), dt.date(2015, 3, 31))


def test_the_command_writes_a_readable_synthetic_export(tmp_path, root, book, capsys):
    export = tmp_path / "raw" / "wave-2014.csv"
    io.write_table(example_counts(book), tmp_path / "raw" / "wave-2014.counts.csv")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"reconstruction": {"output": str(export)}}))
    output = tmp_path / "wave-2015.csv"
    args = Namespace(
        wave="2015",
        n=50,
        format="qualtrics",
        seed=3,
        output=str(output),
        config=str(config),
        codebook=str(root / "config" / "codebook.yaml"),
        shift=["purpose:hire=0.1"],
        artefacts=True,
    )
    assert simulate.cli_main(args) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    frame = read_export(output, "qualtrics").frame
    assert len(frame) == 50 + sum(simulate.Artefacts().counts(50).values())


def test_the_command_says_to_reconstruct_first_without_counts(tmp_path, root):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"reconstruction": {"output": str(tmp_path / "w.csv")}}))
    args = Namespace(
        wave="2015",
        n=5,
        format="csv",
        seed=1,
        output=str(tmp_path / "out.csv"),
        config=str(config),
        codebook=str(root / "config" / "codebook.yaml"),
        shift=[],
        artefacts=False,
    )
    with pytest.raises(InputError, match="reconstruct"):
        simulate.cli_main(args)
