"""The pieces of `invitesurvey run` (what `make` calls), without running the workflow:
the run lock, keeping and putting back the last complete run, and naming what failed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from invitesurvey import run


def write(path: str, text: str) -> Path:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    return Path(path)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("config/config.yaml", "outdir: results\nlogdir: logs\n")
    return tmp_path


def test_the_output_folder_follows_config_files_and_overrides(folder):
    write("config/demo/config.yaml", "outdir: results/demo\n")
    assert run.output_folder([]) == Path("results")
    assert run.output_folder(["--configfile", "config/demo/config.yaml"]) == Path("results/demo")
    assert run.output_folder(["--configfile=config/demo/config.yaml", "-n"]) == Path("results/demo")
    assert run.output_folder(["--config", "outdir=elsewhere", "claims"]) == Path("elsewhere")


def test_a_second_holder_of_the_run_lock_is_refused_with_the_first_ones_pid(folder):
    refused = pytest.raises(run.RunRefused, match=f"pid {os.getpid()}, started ")
    with run.exclusive(), refused, run.exclusive():
        pass
    # Released when the holder is done, however it ends.
    with run.exclusive():
        pass


def test_a_put_back_run_has_the_old_files_bytes_and_times_and_nothing_new(folder):
    kept_file = write("results/tables/crosstabs.csv", "wave,n\n2014,1\n")
    os.utime(kept_file, (1_000_000_000, 1_000_000_000))
    write("results/waves/2014/clean.parquet", "old parquet")
    write("results/README.md", "documentation")
    write(".snakemake/metadata/a", "record of the old run")
    kept = run.Kept(Path("results"))
    kept.take()
    assert kept.exists()
    # What a failing run does: Snakemake deletes outputs, jobs write new ones and new records.
    Path("results/waves/2014/clean.parquet").unlink()
    Path("results/tables/crosstabs.csv").unlink()
    write("results/tables/crosstabs.csv", "wave,n\n2014,2\n")
    write("results/waves/2016/flow.csv", "new wave")
    write("results/tables/.changes.csv.abc.tmp", "half a file")
    write(".snakemake/metadata/a", "record of the failed job, marked complete")
    write(".snakemake/metadata/b", "record of a new output")
    restored, removed = kept.restore()
    assert sorted(restored) == ["results/tables/crosstabs.csv", "results/waves/2014/clean.parquet"]
    assert sorted(removed) == ["results/tables/.changes.csv.abc.tmp", "results/waves/2016/flow.csv"]
    assert Path("results/tables/crosstabs.csv").read_text() == "wave,n\n2014,1\n"
    assert Path("results/tables/crosstabs.csv").stat().st_mtime == 1_000_000_000
    assert Path("results/waves/2014/clean.parquet").read_text() == "old parquet"
    assert not Path("results/waves/2016").exists()
    assert Path("results/README.md").read_text() == "documentation"
    assert sorted(os.listdir(".snakemake/metadata")) == ["a"]
    assert Path(".snakemake/metadata/a").read_text() == "record of the old run"
    # Putting back twice (a run stopped while putting back) changes nothing more.
    assert kept.restore() == ([], [])
    kept.drop()
    assert not kept.exists() and not run.KEPT.exists()


SNAKEMAKE_LOG = """\
Error in rule ingest:
    message: None
    jobid: 1
    input: data/raw/wave-2014.csv, config/codebook.yaml
    output: results/waves/2014/clean.parquet, results/waves/2014/exclusions.csv
    log: logs/ingest/2014.log (check log file(s) for error details)
Logfile logs/ingest/2014.log:
Error in rule model:
    jobid: 4
    output: results/models/accepts_strangers/fit.json
    log: logs/models/accepts_strangers.log (check log file(s) for error details)
Error in rule wave_report:
    output: results/report/waves/2015.ipynb, results/report/waves/2015.html
Error in rule tables:
    output: results/tables/crosstabs.csv
    log: logs/tables.log (check log file(s) for error details)
Shutting down, this might take some time.
"""


def test_failed_jobs_are_named_by_wave_model_or_step(folder):
    found = run.failures(SNAKEMAKE_LOG)
    assert [f.where for f in found] == [
        "ingest of wave 2014",
        "model accepts_strangers",
        "wave_report of wave 2015",
        "tables",
    ]
    assert found[0].log == "logs/ingest/2014.log"
    write("logs/ingest/2014.log", "INFO reading\nERROR: data/raw/wave-2014.csv: 1 problem(s):\n"
          "  - row 5, column 'x': answer 'Disregard'\nINFO after\n")  # fmt: skip
    assert found[0].error_lines()[:2] == [
        "ERROR: data/raw/wave-2014.csv: 1 problem(s):",
        "  - row 5, column 'x': answer 'Disregard'",
    ]
    write("logs/tables.log", "Traceback (most recent call last):\n  ...\nRuntimeError: a bug\n\n")
    assert found[3].error_lines() == ["RuntimeError: a bug"]
