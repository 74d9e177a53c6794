"""Simulate, write in every format, ingest and cross-tabulate: the simulated counts come back."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from invitesurvey import crosstab, simulate
from invitesurvey.clean import QC
from invitesurvey.codebook import code_text
from invitesurvey.formats import write_export
from invitesurvey.ingest import ingest_wave

FIELDWORK = (dt.date(2015, 3, 1), dt.date(2015, 3, 31))
SUFFIX = {"spss": ".sav", "excel": ".xlsx"}


def expected_counts(frame: pd.DataFrame, book) -> pd.DataFrame:
    """n and base per group, item and code, counted straight from the simulated frame."""
    genuine = frame[frame["role"] == "analysed"]
    rows = []
    for group, members in (
        ("recruiters", genuine[genuine["recruiter"] == True]),  # noqa: E712
        ("non_recruiters", genuine[genuine["recruiter"] == False]),  # noqa: E712
    ):
        for var in book.items:
            if var.name == "recruiter":
                continue
            answers = members[var.name].dropna().map(code_text)
            for code in var.code_values:
                rows.append(
                    (group, var.name, code_text(code), int((answers == code_text(code)).sum()),
                     len(answers))
                )  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "variable", "code", "n", "base"])


@pytest.mark.parametrize(
    "fmt", ["qualtrics", "surveymonkey", "googleforms", "spss", "excel", "csv"]
)
def test_ingested_crosstabs_equal_the_simulated_counts(tmp_path, root, book, fmt):
    counts = simulate.read_counts(root / "data" / "raw" / "wave-2014.counts.csv")
    frame = simulate.simulate(
        book,
        simulate.shares_from_counts(counts),
        300,
        11,
        wave="2015",
        fieldwork=FIELDWORK,
        artefacts=None if fmt == "googleforms" else simulate.Artefacts(),
    )
    path = tmp_path / f"wave{SUFFIX.get(fmt, '.csv')}"
    write_export(frame, path, fmt, book)
    cleaned = ingest_wave(
        path, fmt, book, mapping=None, wave="2015", qc=QC(), fieldwork_start="2015-03-01"
    )
    assert len(cleaned.data) == 300
    table = crosstab.by_group(cleaned.data, book, level=0.95, min_base=30, pooled=False)
    got = table[table["group"] != "all"][["group", "variable", "code", "n", "base"]]
    got = got[got["variable"].isin([v.name for v in book.items])].reset_index(drop=True)
    want = expected_counts(frame, book)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
