"""The simulator: deterministic, the size asked for, shares as drawn, shifts as asked."""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import re
from argparse import Namespace

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from project import ROOT, follow_up_assumptions

from invitesurvey import clean, io, simulate
from invitesurvey.codebook import Codebook, code_text
from invitesurvey.errors import InputError
from invitesurvey.formats import PARADATA, read_export, write_export

FIELDWORK = (dt.date(2015, 3, 1), dt.date(2015, 3, 31))
# The SYNTHETIC follow-up assumptions the config states.
STATED = io.read_yaml(ROOT / "config" / "config.yaml", "configuration")["simulation"]
TYPED = "pending_invitations_as_typed"  # the number as the respondent typed it
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
    options.setdefault("assumptions", follow_up_assumptions(book))
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
    other_wave = simulate.simulate(
        book,
        shares,
        200,
        7,
        wave="2016",
        fieldwork=FIELDWORK,
        assumptions=follow_up_assumptions(book),
    )
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
    questions = book.questions  # questionnaire order, follow-up questions included
    answered = np.column_stack([broken[v.columns].notna().any(axis=1) for v in questions])
    last_answered = np.where(
        answered.any(axis=1), len(questions) - np.argmax(answered[:, ::-1], 1), 0
    )
    stop = np.ceil(broken["progress"].to_numpy() * len(questions) / 100)
    assert (last_answered <= stop).all() and (stop < len(questions)).all()
    last = book.questions[-1]
    assert broken[last.columns].isna().all().all()
    assert broken["comments"].isna().all()
    assert (~broken["finished"]).all()
    # every column of a question goes blank with it: the "other" text, the number as typed
    reached = stop[:, None] > np.arange(len(questions))
    extra = {"accept_reasons": ["accept_reasons_other"], "pending_invitations": [TYPED]}
    for position, var in enumerate(questions):
        columns = [*var.columns, *extra.get(var.name, [])]
        later = ~reached[:, position]
        assert broken.loc[later, columns].isna().all().all(), var.name


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


def test_the_command_writes_a_readable_synthetic_export(tmp_path, root, book, config, capsys):
    export = tmp_path / "raw" / "wave-2014.csv"
    io.write_table(example_counts(book), tmp_path / "raw" / "wave-2014.counts.csv")
    settings = tmp_path / "config.yaml"
    settings.write_text(
        yaml.safe_dump(
            {"reconstruction": {"output": str(export)}, "simulation": config["simulation"]}
        )
    )
    output = tmp_path / "wave-2015.csv"
    args = Namespace(
        wave="2015",
        n=50,
        format="qualtrics",
        seed=3,
        output=str(output),
        config=str(settings),
        codebook=str(root / "config" / "codebook.yaml"),
        shift=["purpose:hire=0.1"],
        artefacts=True,
        wave1_only=False,
    )
    assert simulate.cli_main(args) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    frame = read_export(output, "qualtrics").frame
    assert len(frame) == 50 + sum(simulate.Artefacts().counts(50).values())
    assert book["pending_invitations"].question in frame


def test_the_command_says_to_reconstruct_first_without_counts(tmp_path, root):
    settings = {"reconstruction": {"output": str(tmp_path / "w.csv")}}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({**settings, "simulation": STATED}))
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
        wave1_only=False,
    )
    with pytest.raises(InputError, match="reconstruct"):
        simulate.cli_main(args)


# ------------------------------------------------------------------- the follow-up questions


def test_the_follow_up_questions_need_stated_assumptions(book, shares):
    with pytest.raises(InputError, match="needs their assumptions"):
        run(book, shares, assumptions=None)
    assert "accept_reasons__never" not in run(book, shares, follow_up=False, assumptions=None)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("recruiters", "accept_reasons", "other"), 1.5, "recruiters.accept_reasons.other"),
        (("non_recruiters", "accept_reasons", "options", "job_seeking"), 0.1, "exactly the keys"),
        (("recruiters", "accept_likelihood", "rows", "former_colleague", "never"), 0.5, "add up"),
        (("recruiters", "pending_invitations", "median"), 0, "positive"),
    ],
)
def test_wrong_assumptions_are_refused_naming_the_key(book, config, path, value, message):
    raw = copy.deepcopy(config["simulation"])
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        simulate.FollowUp.from_config(raw, book)


def test_the_frame_is_canonical_raw_with_the_follow_up_questions(book, shares):
    frame = run(book, shares, n=100, artefacts=simulate.Artefacts())
    expected = [c for v in book.variables for c in ([v.name] if v.type == "text" else v.columns)]
    answers = [c for c in frame.columns if c not in (*PARADATA, "role")]
    assert answers == [*expected, TYPED]
    assert frame["pending_invitations"].dtype == "Float64"
    assert all(frame[c].dtype == "boolean" for c in book["accept_reasons"].columns)
    wave1 = run(book, shares, n=100, follow_up=False)
    assert [c for c in wave1.columns if c not in (*PARADATA, "role")] == [
        v.name for v in book.wave1
    ]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_an_exclusive_option_is_always_chosen_alone(book, shares, seed):
    frame = run(book, shares, n=300, seed=seed, artefacts=simulate.Artefacts())
    var = book["accept_reasons"]
    ticked = frame[var.columns]
    answered = ticked.notna().all(axis=1)
    assert (ticked.notna().any(axis=1) == answered).all()  # all missing together, or none
    alone = ticked[var.part_column("never")].fillna(False)
    others = ticked.drop(columns=var.part_column("never")).fillna(False).any(axis=1)
    assert not (alone & others).any() and alone.any()
    assert (ticked[answered].fillna(False).any(axis=1)).all()  # answering chooses something
    text = frame["accept_reasons_other"].notna()
    assert (text == ticked[var.part_column("other")].fillna(False)).all()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_grid_codes_come_from_the_scale_and_every_answer_fills_a_row(book, shares, seed):
    frame = run(book, shares, n=300, seed=seed, artefacts=simulate.Artefacts())
    var = book["accept_likelihood"]
    rows = frame[var.columns]
    assert set(rows.stack().dropna()) <= {code_text(c) for c in var.code_values}
    finished = frame[frame["finished"]]
    assert finished[var.columns].notna().any(axis=1).all()  # the last question is answered


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_numbers_are_whole_and_in_range_and_typed_forms_hold_the_same_number(book, shares, seed):
    frame = run(book, shares, n=300, seed=seed)
    rule = book["pending_invitations"].numeric
    numbers = frame["pending_invitations"].dropna()
    assert (numbers == numbers.round()).all()
    assert numbers.between(rule.minimum, rule.maximum).all()
    typed = frame[TYPED]
    assert frame.loc[typed.notna(), "pending_invitations"].notna().all()
    written = frame.loc[typed.notna(), "pending_invitations"]
    for text, number in zip(typed.dropna(), written, strict=True):
        digits = re.fullmatch(r"(?:about |~)?([0-9,]+)\+?", text)
        assert digits and int(digits[1].replace(",", "")) == number, text
        assert "," not in text or number >= 1000


def test_follow_up_answers_follow_the_assumptions(book, shares):
    frame = run(book, shares, n=20_000)
    numbers = frame["pending_invitations"]
    assert numbers.median() == pytest.approx(845, rel=0.1)
    typed = frame[TYPED].notna().mean()
    assert typed == pytest.approx(0.05 * 0.9, abs=0.01)  # a share of the numbers answered
    for group, flag in (("recruiters", True), ("non_recruiters", False)):
        rows = frame[frame["recruiter"] == flag]
        stated = STATED[group]["accept_reasons"]
        answered = rows["accept_reasons__never"].notna()
        assert answered.mean() == pytest.approx(stated["answered"], abs=0.03)
        alone = rows.loc[answered, "accept_reasons__never"].astype(bool).mean()
        assert alone == pytest.approx(stated["options"]["never"], abs=0.03)
        grid = STATED[group]["accept_likelihood"]["rows"]
        observed = rows["accept_likelihood__stranger_no_note"].value_counts(normalize=True)
        for code, share in grid["stranger_no_note"].items():
            assert observed.get(code, 0) == pytest.approx(share, abs=0.04), (group, code)


def test_the_same_seed_writes_the_same_bytes_in_every_format(tmp_path, book, shares):
    for fmt, suffix in (("qualtrics", ".csv"), ("surveymonkey", ".xlsx"), ("spss", ".sav")):
        paths = [tmp_path / f"{fmt}{i}{suffix}" for i in (1, 2)]
        for path in paths:
            write_export(run(book, shares, n=120, artefacts=simulate.Artefacts()), path, fmt, book)
        assert paths[0].read_bytes() == paths[1].read_bytes(), fmt


def test_the_command_needs_the_assumptions_unless_wave_1_only(tmp_path, root, book):
    export = tmp_path / "raw" / "wave-2014.csv"
    io.write_table(example_counts(book), tmp_path / "raw" / "wave-2014.counts.csv")
    settings = tmp_path / "config.yaml"
    settings.write_text(yaml.safe_dump({"reconstruction": {"output": str(export)}}))
    output = tmp_path / "wave-2015.csv"
    args = Namespace(
        wave="2015",
        n=20,
        format="csv",
        seed=3,
        output=str(output),
        config=str(settings),
        codebook=str(root / "config" / "codebook.yaml"),
        shift=[],
        artefacts=False,
        wave1_only=False,
    )
    with pytest.raises(InputError, match="simulation"):
        simulate.cli_main(args)
    args.wave1_only = True
    assert simulate.cli_main(args) == 0
    header = output.read_text().splitlines()[0]
    assert "connections" in header and "accept_reasons" not in header
