"""The whole workflow, end to end, in temporary copies of the repository.

One cold run is shared by the tests that only read its outputs; the reproducibility test makes a
second, independent run and compares every file byte for byte.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from project import copy_project

from invitesurvey import crosstab

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(BIN / "snakemake"), *args], cwd=workdir, env=env, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def planned_jobs(workdir: Path, *args: str) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run (with ``args``) says it would run."""
    text = snakemake(workdir, "--dry-run", *args).stdout
    jobs, rule = [], None
    for line in text.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            rule = match.group(1)
            jobs.append((rule, ""))
        elif rule and line.strip().startswith("wildcards:"):
            jobs[-1] = (rule, line.split(":", 1)[1].strip())
    return jobs


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    workdir = copy_project(tmp_path_factory.mktemp("run"))
    done = snakemake(workdir)
    # What the console showed, for the test of the one-line-per-job console.
    (workdir / "logs" / "console.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    return workdir


def test_the_console_shows_one_line_per_job_with_a_progress_count(run_dir):
    said = (run_dir / "logs" / "console.txt").read_text(encoding="utf-8")
    stats = re.search(r"^total\s+(\d+)$", said, flags=re.MULTILINE)
    total = int(stats.group(1))
    lines = re.findall(rf"^\[\s*(\d+)/{total}\] (\w+)( \S+=\S+)* +\d+\.\d s$", said, re.MULTILINE)
    assert [int(done) for done, *_ in lines] == list(range(1, total + 1))
    assert {rule for _, rule, *_ in lines} >= {"ingest", "tables", "writeup", "manifest", "all"}
    # None of the per-job detail of Snakemake's own console.
    for detail in ("    input:", "    output:", "Shell command", "Select jobs", "Execute "):
        assert detail not in said
    assert len(said.splitlines()) < total + 30


def test_wave_2014_analyses_400_and_accounts_for_every_row(run_dir):
    wave = run_dir / "results" / "waves" / "2014"
    clean = pd.read_parquet(wave / "clean.parquet")
    exclusions = pd.read_csv(wave / "exclusions.csv")
    flow = pd.read_csv(wave / "flow.csv").set_index("rule")
    with open(run_dir / "data" / "raw" / "wave-2014.csv", newline="", encoding="utf-8-sig") as f:
        raw_rows = sum(1 for _ in csv.reader(f)) - 2
    assert len(clean) == 400
    assert len(clean) + len(exclusions) == raw_rows == flow.loc["raw", "rows_out"]
    assert set(exclusions["rule"]) == {"preview_or_test", "incomplete", "duplicate", "speeder"}


def test_no_personal_data_leaves_the_ingest_step(run_dir):
    raw = pd.read_csv(run_dir / "data" / "raw" / "wave-2014.csv", header=0, skiprows=[1])
    # First names alone are ordinary words ("Mark them as ..."), so names are matched in full.
    names = raw["First Name"].str.cat(raw["Last Name"], sep=" ")
    personal = {str(v) for v in (*raw["Email Address"], *raw["IP Address"], *names) if pd.notna(v)}
    assert len(personal) > 400
    for folder in ("results", "logs"):
        for path in (run_dir / folder).rglob("*"):
            if not path.is_file():
                continue
            text = path.read_bytes().decode("utf-8", errors="ignore")
            leaked = [v for v in personal if v in text]
            assert not leaked, f"{path} holds personal data such as {leaked[:3]}"


def test_every_published_figure_is_reproduced(run_dir):
    claims = pd.read_csv(run_dir / "results" / "claims" / "claims.csv")
    assert len(claims) == 17
    assert claims["pass"].all(), claims.loc[~claims["pass"]].to_string()


def test_manifest_lists_every_output_with_its_rule(run_dir):
    manifest = pd.read_csv(run_dir / "results" / "audit" / "manifest.tsv", sep="\t")
    outputs = {
        str(p.relative_to(run_dir))
        for p in (run_dir / "results").rglob("*")
        if p.is_file() and p.name != "manifest.tsv"
    }
    assert set(manifest["path"]) == outputs
    assert (manifest["rule"] != "").all()
    clean = manifest.set_index("path").loc["results/waves/2014/clean.parquet"]
    assert clean["rule"] == "ingest" and clean["rows"] == 400
    assert "data/raw/wave-2014.csv" in clean["inputs"]


def test_the_write_up_shows_the_claims_waves_headline_and_composition_drawn_once(run_dir):
    manifest = pd.read_csv(run_dir / "results" / "audit" / "manifest.tsv", sep="\t")
    manifest = manifest.set_index("path")
    writeup_inputs = manifest.loc["results/report/writeup.html", "inputs"].split(";")
    for name in ("headline", "composition"):
        shown = f"results/figures/waves/2014/{name}.png"
        assert shown in writeup_inputs
        assert manifest.loc[shown, "rule"] == "claims_wave_figures"
        assert not list((run_dir / "results" / "figures").glob(f"{name}.*"))


def test_a_rerun_has_nothing_to_do(run_dir):
    assert "Nothing to be done" in snakemake(run_dir, "--dry-run").stdout


def test_two_clean_runs_give_identical_bytes(run_dir, tmp_path):
    second = copy_project(tmp_path / "second")
    snakemake(second)
    first_files, second_files = digests(run_dir / "results"), digests(second / "results")
    assert first_files.keys() == second_files.keys()
    differing = [name for name in first_files if first_files[name] != second_files[name]]
    assert not differing


def test_a_bad_config_value_fails_before_any_job(tmp_path):
    workdir = copy_project(tmp_path)
    config = workdir / "config" / "config.yaml"
    config.write_text(config.read_text().replace("level: 0.95", "level: 95"))
    done = snakemake(workdir, "--dry-run", check=False)
    said = done.stderr + done.stdout
    assert done.returncode != 0
    assert "invalid configuration in config/config.yaml" in said
    assert "intervals.level is 95, but it must be a number greater than 0 and less than 1" in said
    assert not (workdir / "results").exists()


def test_a_bad_waves_row_names_file_row_and_column(tmp_path):
    workdir = copy_project(tmp_path)
    sheet = workdir / "config" / "waves.tsv"
    sheet.write_text(sheet.read_text().replace("surveymonkey", "surveymonky"))
    done = snakemake(workdir, "--dry-run", check=False)
    assert done.returncode != 0
    said = done.stderr + done.stdout
    assert "config/waves.tsv, row 2: format is 'surveymonky', but it must be one of" in said


def add_simulated_wave(workdir: Path, wave: str, fmt: str = "googleforms") -> None:
    raw = f"data/raw/wave-{wave}.csv"
    subprocess.run(
        [str(BIN / "invitesurvey"), "simulate", "--wave", wave, "--n", "120",
         "--format", fmt, "--seed", "9", "--output", raw],
        cwd=workdir, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [str(BIN / "invitesurvey"), "add-wave", raw, "--wave", wave, "--format", fmt,
         "--fieldwork-start", f"{wave}-03-01", "--fieldwork-end", f"{wave}-03-31"],
        cwd=workdir, check=True, capture_output=True,
    )  # fmt: skip


def test_adding_a_wave_runs_only_its_jobs_and_the_pooled_ones(run_dir, tmp_path):
    workdir = tmp_path / "added"
    shutil.copytree(run_dir, workdir, symlinks=True)
    add_simulated_wave(workdir, "2015")
    jobs = planned_jobs(workdir)
    per_wave = [(rule, wc) for rule, wc in jobs if "wave=" in wc]
    assert per_wave and all("wave=2015" in wc for _, wc in per_wave), jobs
    rules = {rule for rule, _ in jobs}
    assert {"tables", "model", "figures", "writeup", "manifest"} <= rules
    # The claims check reads the 2014 wave's own tables, which a new wave leaves alone.
    assert "claims" not in rules
    snakemake(workdir)
    assert (workdir / "results" / "report" / "waves" / "2015.html").is_file()
    changes = pd.read_csv(workdir / "results" / "tables" / "changes.csv")
    assert set(changes["wave_to"].astype(str)) == {"2015"}
    # A wave's own changes are the pooled rows into it: here, every pooled row.
    waves = workdir / "results" / "waves"
    assert (waves / "2015" / "changes.csv").read_bytes() == (
        workdir / "results" / "tables" / "changes.csv"
    ).read_bytes()
    first = pd.read_csv(waves / "2014" / "changes.csv")
    assert first.empty and list(first.columns) == crosstab.CHANGE_COLUMNS


def test_bad_input_fails_clearly_and_keeps_earlier_results(run_dir, tmp_path):
    workdir = tmp_path / "bad"
    shutil.copytree(run_dir, workdir, symlinks=True)
    add_simulated_wave(workdir, "2016", fmt="surveymonkey")
    raw = workdir / "data" / "raw" / "wave-2016.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Ignore them", "Disregard", 1))
    raw_before = raw.read_bytes()
    kept = {p: p.read_bytes() for p in (workdir / "results").rglob("*") if p.is_file()}
    done = snakemake(workdir, check=False)
    assert done.returncode != 0
    log = (workdir / "logs" / "ingest" / "2016.log").read_text()
    error = log[log.index("ERROR:") :]
    assert error.startswith("ERROR: data/raw/wave-2016.csv: 1 problem(s)")
    assert "column 'What do you usually do with invitations you do not accept?'" in error
    assert "'Disregard' (row" in error and "are not labels of 'unaccepted_action'" in error
    assert re.search(r"column .*\(row \d+", error) and "Traceback" not in log
    assert not (workdir / "results" / "waves" / "2016").exists()
    assert raw.read_bytes() == raw_before
    assert all(path.read_bytes() == content for path, content in kept.items())


def test_the_snakemake_report_holds_every_table_and_figure(run_dir, tmp_path):
    archive = tmp_path / "report.zip"
    snakemake(run_dir, "--report", str(archive))
    with zipfile.ZipFile(archive) as report:
        names = "\n".join(report.namelist())
    for output in ("crosstabs.csv", "claims.csv", "grim.csv", "headline.svg", "writeup.html"):
        assert output in names


def test_a_published_figure_not_reproduced_fails_the_strict_claims_check(run_dir, tmp_path):
    workdir = tmp_path / "strict"
    shutil.copytree(run_dir, workdir, symlinks=True)
    claims = workdir / "config" / "published_claims.yaml"
    claims.write_text(claims.read_text().replace("published: 78\n", "published: 68\n"))
    done = snakemake(workdir, "claims", check=False)
    assert done.returncode != 0
    log = (workdir / "logs" / "claims.log").read_text()
    assert "ignore_recruiters" in log and "68%" in log
    assert "1 published figure(s) not reproduced" in log
