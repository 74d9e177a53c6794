"""A question a wave did not ask: missing for that wave, and tables and models carry on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import yaml
from project import follow_up_assumptions

from invitesurvey import crosstab, model, simulate
from invitesurvey.clean import QC
from invitesurvey.formats import write_export
from invitesurvey.ingest import ingest_wave

MODEL = yaml.safe_load(
    """
name: accepts_strangers
formula: accepts_strangers ~ recruiter + invites_strangers + seniority
reference: {seniority: senior_manager}
cov_type: nonrobust
"""
)


def wave(tmp_path, root, book, wave_id, *, drop=None):
    counts = simulate.read_counts(root / "data" / "raw" / "wave-2014.counts.csv")
    year = int(wave_id)
    frame = simulate.simulate(
        book,
        simulate.shares_from_counts(counts),
        250,
        year,
        wave=wave_id,
        fieldwork=(dt.date(year, 3, 1), dt.date(year, 3, 31)),
        assumptions=follow_up_assumptions(book),
    )
    path = tmp_path / f"{wave_id}.csv"
    write_export(frame.drop(columns=[drop] if drop else []), path, "surveymonkey", book)
    mapping = None
    if drop:
        mapping = tmp_path / f"{wave_id}.yaml"
        mapping.write_text(f"absent: [{drop}]\n")
    return ingest_wave(
        path,
        "surveymonkey",
        book,
        mapping=mapping,
        wave=wave_id,
        qc=QC(),
        fieldwork_start=f"{year}-03-01",
    ).data


def test_an_absent_item_has_no_base_in_its_wave_and_the_model_uses_the_other(tmp_path, root, book):
    asked = wave(tmp_path, root, book, "2015")
    not_asked = wave(tmp_path, root, book, "2016", drop="invites_strangers")
    pooled = pd.concat([asked, not_asked], ignore_index=True)
    assert pooled.loc[pooled["wave"] == "2016", "invites_strangers"].isna().all()

    table = crosstab.by_group(pooled, book, level=0.95, min_base=30)
    absent = table[(table["wave"] == "2016") & (table["variable"] == "invites_strangers")]
    assert (absent["base"] == 0).all() and absent["prop"].isna().all()
    kept = table[(table["wave"] == "2015") & (table["variable"] == "invites_strangers")]
    assert (kept["base"] > 0).all()
    pooled_rows = table[(table["wave"] == "all") & (table["variable"] == "invites_strangers")]
    np.testing.assert_array_equal(pooled_rows["n"].to_numpy(), kept["n"].to_numpy())

    result = model.fit(pooled, MODEL, waves=["2015", "2016"], level=0.95)
    variables = ["accepts_strangers", "recruiter", "invites_strangers", "seniority"]
    assert result.fit["n"] == len(asked.dropna(subset=variables))
    assert not any(term.startswith("wave[") for term in result.coefficients["term"])
