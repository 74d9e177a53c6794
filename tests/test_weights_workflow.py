"""Margins for a wave are one config entry: the weighted jobs appear with them, not without."""

from __future__ import annotations

import pandas as pd
import pytest
from project import copy_project
from test_workflow import planned_jobs, snakemake

pytestmark = pytest.mark.slow
DEMO = ("--configfile", "config/demo/config.yaml")
WEIGHTED_RULES = {"weights", "weighted_tables", "weighted_pooled", "weighted_model"}


def test_without_margins_no_weighted_job_is_planned(tmp_path):
    workdir = copy_project(tmp_path)
    assert not WEIGHTED_RULES & {rule for rule, _ in planned_jobs(workdir)}


def test_the_demo_rakes_its_synthetic_wave_and_gains_weighted_tables(tmp_path):
    workdir = copy_project(tmp_path)
    targets = [
        "results/demo/tables/weights.csv",
        "results/demo/tables/weighted_crosstabs.csv",
        "results/demo/models/accepts_strangers/weighted_coefficients.csv",
    ]
    snakemake(workdir, *DEMO, "--cores", "2", *targets)
    summary = pd.read_csv(workdir / targets[0], dtype={"wave": str})
    assert summary["wave"].eq("2015").all() and summary["converged"].all()
    assert (summary["deff_kish"] >= 1).all()
    crosstabs = pd.read_csv(workdir / targets[1], dtype={"wave": str, "code": str})
    recruiters = crosstabs.query("group == 'all' and variable == 'recruiter' and code == 'true'")
    assert recruiters["prop"].iloc[0] == pytest.approx(0.15, abs=1e-6)
    assert not (workdir / "results/demo/waves/2014/weights.parquet").exists()


def test_margins_from_a_file_named_in_the_waves_sheet(tmp_path):
    workdir = copy_project(tmp_path)
    config = workdir / "config" / "demo" / "config.yaml"
    config.write_text(config.read_text().split("weights:")[0])
    (workdir / "config" / "demo" / "margins-2015.yaml").write_text(
        "recruiter: {true: 0.15, false: 0.85}\n"
    )
    sheet = workdir / "config" / "demo" / "waves.tsv"
    lines = sheet.read_text().splitlines()
    rows = [lines[0] + "\tmargins", lines[1] + "\t", lines[2] + "\tconfig/demo/margins-2015.yaml"]
    sheet.write_text("\n".join(rows) + "\n")
    jobs = planned_jobs(workdir, *DEMO)
    assert ("weights", "wave=2015") in jobs


def test_margins_that_do_not_add_up_fail_before_any_job(tmp_path):
    workdir = copy_project(tmp_path)
    config = workdir / "config" / "demo" / "config.yaml"
    config.write_text(
        config.read_text().replace("{true: 0.15, false: 0.85}", "{true: 0.15, false: 0.8}")
    )
    done = snakemake(workdir, *DEMO, "--dry-run", check=False)
    said = done.stderr + done.stdout
    assert done.returncode != 0
    assert "weights.margins.2015.recruiter: the shares add up to 0.95, not 1" in said
    assert not (workdir / "results").exists()
