"""Simulate, write in every format, ingest, tabulate: the follow-up questions come back exactly.

A number, a select-all with an exclusive option and an "other" text, and a grid go through each
tool's own layout, the harmonise rules (numbers as typed, select-all cells, grid labels) and
cleaning; the clean columns and the per-group tables equal what was simulated for the rows
cleaning keeps.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
import yaml
from project import follow_up_assumptions

from invitesurvey import itemtables, simulate
from invitesurvey.clean import QC
from invitesurvey.codebook import code_text, typed
from invitesurvey.formats import write_export
from invitesurvey.harmonise import read_number
from invitesurvey.ingest import ingest_wave

FIELDWORK = (dt.date(2015, 3, 1), dt.date(2015, 3, 31))
N = 300
TYPED = "pending_invitations_as_typed"
# format, file suffix, writer options; whether the layout keeps numbers as typed
CASES = [
    ("qualtrics", ".csv", {}, True),
    ("qualtrics", ".csv", {"values": "numeric"}, True),
    ("surveymonkey", ".csv", {}, True),
    ("surveymonkey", ".xlsx", {}, True),
    ("googleforms", ".csv", {}, True),
    ("spss", ".sav", {}, False),
    ("excel", ".xlsx", {}, True),
    ("csv", ".csv", {}, False),
    ("csv", ".csv", {"values": "labels"}, True),
]
IDS = [f"{fmt}{suffix}{'-' + '-'.join(o.values()) if o else ''}" for fmt, suffix, o, _ in CASES]
GROUPS = {"recruiters": True, "non_recruiters": False}


def follow_up(book):
    return [v for v in book.questions if v.type in ("numeric", "multiple", "grid")]


@pytest.fixture(scope="module")
def waves(root, book) -> dict[str, pd.DataFrame]:
    """A wave with artefacts for cleaning to remove; Google Forms gets one without (it keeps
    no status, progress or duration, so only submitted, genuine responses can be written)."""
    shares = simulate.shares_from_counts(
        simulate.read_counts(root / "data" / "raw" / "wave-2014.counts.csv")
    )

    def wave(artefacts):
        return simulate.simulate(
            book,
            shares,
            N,
            11,
            wave="2015",
            fieldwork=FIELDWORK,
            artefacts=artefacts,
            assumptions=follow_up_assumptions(book),
        )

    return {"artefacts": wave(simulate.Artefacts()), "plain": wave(None)}


def numbers_mapping(book, path):
    """A wave mapping for a numeric Qualtrics export: choice k of every item and grid is code k."""
    labels = {
        var.name: {str(k): code for k, code in enumerate(var.code_values, start=1)}
        for var in book.questions
        if var.type in ("boolean", "categorical", "grid")
    }
    path.write_text(yaml.safe_dump({"labels": labels}), encoding="utf-8")
    return path


def expected_tables(genuine: pd.DataFrame, book) -> dict[str, pd.DataFrame]:
    """Per group, counted straight from the simulated rows: select-all n and base per option,
    grid n and base per row and code, numeric n, median, min and max."""
    multiple, grid, numeric = [], [], []
    for group, flag in GROUPS.items():
        rows = genuine[genuine["recruiter"] == flag]
        for var in book.of_type("multiple"):
            answered = rows[var.columns].notna().all(axis=1)
            for option in var.options:
                chosen = rows.loc[answered, var.part_column(option.code)].astype(bool)
                multiple.append(
                    (
                        group,
                        var.name,
                        code_text(option.code),
                        int(chosen.sum()),
                        int(answered.sum()),
                    )
                )
        for var in book.of_type("grid"):
            for row in var.rows:
                answers = rows[var.part_column(row.code)].dropna()
                for code in var.code_values:
                    n = int((answers == code_text(code)).sum())
                    grid.append(
                        (group, var.name, code_text(row.code), code_text(code), n, len(answers))
                    )
        for var in book.of_type("numeric"):
            values = rows[var.name].dropna().astype(float)
            numeric.append(
                (group, var.name, len(values), values.median(), values.min(), values.max())
            )
    return {
        "multiple": pd.DataFrame(multiple, columns=["group", "variable", "code", "n", "base"]),
        "grid": pd.DataFrame(grid, columns=["group", "variable", "row", "code", "n", "base"]),
        "numeric": pd.DataFrame(
            numeric, columns=["group", "variable", "n", "median", "min", "max"]
        ),
    }


def observed_tables(data: pd.DataFrame, book) -> dict[str, pd.DataFrame]:
    """The same counts from the project's own tables of the clean data (one wave, no pools)."""
    multiple = itemtables.multiple(data, book, level=0.95, min_base=30, pooled=False)
    grid = itemtables.grid(data, book, level=0.95, min_base=30, pooled=False)
    numeric = itemtables.numeric(data, book, level=0.95, pooled=False)
    keep = list(GROUPS)
    return {
        "multiple": multiple[multiple["group"].isin(keep)][
            ["group", "variable", "code", "n", "base"]
        ],
        "grid": grid[grid["group"].isin(keep)][["group", "variable", "row", "code", "n", "base"]],
        "numeric": numeric[numeric["group"].isin(keep)][
            ["group", "variable", "n", "median", "min", "max"]
        ],
    }


def by_keys(table: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("group", "variable", "row", "code") if c in table]
    return table.astype({k: str for k in keys}).sort_values(keys, ignore_index=True)


@pytest.mark.parametrize(("fmt", "suffix", "options", "keeps_typed"), CASES, ids=IDS)
def test_follow_up_answers_and_tables_come_back_exactly(
    tmp_path, book, waves, fmt, suffix, options, keeps_typed
):
    frame = waves["plain" if fmt == "googleforms" else "artefacts"]
    path = tmp_path / f"wave{suffix}"
    write_export(frame, path, fmt, book, **options)
    mapping = None
    if options.get("values") == "numeric":
        mapping = numbers_mapping(book, tmp_path / "numeric.yaml")
    cleaned = ingest_wave(
        path, fmt, book, mapping=mapping, wave="2015", qc=QC(), fieldwork_start="2015-03-01"
    )
    genuine = frame[frame["role"] == "analysed"].reset_index(drop=True)
    data = cleaned.data
    assert len(data) == N
    if fmt != "googleforms":  # Forms carries no respondent id
        assert data["respondent_id"].tolist() == genuine["respondent_id"].tolist()
    columns = [c for v in follow_up(book) for c in v.columns]
    want = typed(genuine[columns], book)
    pd.testing.assert_frame_equal(data[columns], want, check_dtype=True)

    got, expected = observed_tables(data, book), expected_tables(genuine, book)
    for name in expected:
        pd.testing.assert_frame_equal(
            by_keys(got[name]), by_keys(expected[name]), check_dtype=False, obj=name
        )

    # Numbers typed with words or signs are read as the number and recorded; a thousands
    # separator is a plain reading. Formats that write the bare number record nothing.
    written = genuine[TYPED].dropna()
    worded = written[~written.str.fullmatch(r"[0-9,]+")]
    recodes = cleaned.recodes
    assert set(recodes["rule"]) <= {"approximate"}
    assert len(recodes) == (len(worded) if keeps_typed else 0)
    assert len(worded) > 0  # the simulated wave does hold typed numbers


def test_every_number_as_typed_reads_back_as_the_number(root, book):
    shares = simulate.shares_from_counts(
        simulate.read_counts(root / "data" / "raw" / "wave-2014.counts.csv")
    )
    frame = simulate.simulate(
        book,
        shares,
        20_000,
        5,
        wave="2016",
        fieldwork=FIELDWORK,
        assumptions=follow_up_assumptions(book),
    )
    typed_rows = frame[frame[TYPED].notna()]
    assert len(typed_rows) > 500
    for text, number in zip(typed_rows[TYPED], typed_rows["pending_invitations"], strict=True):
        value, rule = read_number(text, True)
        assert value == number, text
        assert rule == (None if re.fullmatch(r"[0-9,]+", text) else "approximate"), text
