"""`make` as the README runs it: a failed or killed run loses nothing, two at once are refused.

Each test works in its own copy of the project with the Makefile, the lock files and a link to
the project's .venv, and runs exactly `make`. PYTHONPATH points at the copy's src/, so a
library file edited in the copy is the one the jobs import.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from project import ROOT, copy_project

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def env_for(workdir: Path) -> dict:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(workdir / "src"),
    }


def make(workdir: Path, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["make"], cwd=workdir, env=env_for(workdir), capture_output=True, text=True
    )
    if check and done.returncode != 0:
        pytest.fail(f"make failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def start_make(workdir: Path) -> subprocess.Popen:
    """`make` in the background, in a session of its own so that it can be killed whole."""
    return subprocess.Popen(
        ["make"], cwd=workdir, env=env_for(workdir), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def invitesurvey(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "invitesurvey"), *args],
        cwd=workdir, env=env_for(workdir), capture_output=True, text=True,
    )  # fmt: skip


def contents(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in contents(folder).items()}


def wait_for(condition, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the run")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """The project as a fresh checkout has it, ready for `make` (nothing run yet)."""
    workdir = copy_project(tmp_path_factory.mktemp("pristine") / "project")
    shutil.copy2(ROOT / "Makefile", workdir / "Makefile")
    shutil.copytree(ROOT / "requirements", workdir / "requirements")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    # Older than the installed environment, so that `make` never reinstalls it.
    for path in (workdir / "pyproject.toml", *(workdir / "requirements").iterdir()):
        os.utime(path, (946684800, 946684800))
    installed = subprocess.run(["make", "-q", ".venv/.run-installed"], cwd=workdir)
    if installed.returncode != 0:
        pytest.skip("the project's .venv is not installed by `make`")
    return workdir


def fresh_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def good_run(pristine, tmp_path_factory) -> Path:
    """One complete, uninterrupted `make`: the bytes every other run is compared with."""
    workdir = fresh_copy(pristine, tmp_path_factory.mktemp("good") / "project")
    make(workdir)
    return workdir


def test_a_complete_run_verifies_and_traces_to_its_raw_file(good_run):
    verified = invitesurvey(good_run, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK: every listed file" in verified.stdout
    traced = invitesurvey(good_run, "audit", "trace", "results/claims/claims.csv", "2")
    assert traced.returncode == 0, traced.stderr
    assert "made by rule: claims" in traced.stdout
    assert "script:       workflow/scripts/claims.py" in traced.stdout
    raw = traced.stdout.split("raw files behind it:")[1].split("configuration and code")[0]
    assert "data/raw/wave-2014.csv  sha256 " in raw


def test_verify_names_an_edited_result(good_run, tmp_path):
    workdir = fresh_copy(good_run, tmp_path / "edited")
    table = workdir / "results" / "tables" / "crosstabs.csv"
    table.write_text(table.read_text().replace("0.95", "0.96", 1) + "\n")
    verified = invitesurvey(workdir, "audit", "verify")
    assert verified.returncode == 1
    assert "results/tables/crosstabs.csv: sha256" in verified.stdout


def break_wave_2014(workdir: Path) -> None:
    """Re-export wave 2014 with one answer label the codebook does not know."""
    raw = workdir / "data" / "raw" / "wave-2014.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Ignore them", "Disregard", 1))


def bug_in_the_tables(workdir: Path) -> None:
    crosstab = workdir / "src" / "invitesurvey" / "crosstab.py"
    crosstab.write_text(
        crosstab.read_text()
        + "\n\ndef by_group(*args, **kwargs):\n    raise RuntimeError('a bug in the tables')\n"
    )


def bad_model_subset(workdir: Path) -> None:
    config = workdir / "config" / "config.yaml"
    text = config.read_text()
    assert "    subset: null" in text
    config.write_text(text.replace("    subset: null", '    subset: "no_such_item == 1"', 1))


def missing_kernel(workdir: Path) -> None:
    """The pages in a Jupyter kernel (report.engine: kernel) that is not installed."""
    config = workdir / "config" / "config.yaml"
    text = config.read_text()
    assert "  kernel: python3" in text and "  engine: inprocess" in text
    text = text.replace("  engine: inprocess", "  engine: kernel", 1)
    config.write_text(text.replace("  kernel: python3", "  kernel: no_such_kernel_9", 1))


FAILURES = {
    "ingest": (break_wave_2014, ["ingest of wave 2014 failed", "'Disregard'"]),
    "tables": (bug_in_the_tables, ["tables", "a bug in the tables"]),
    "model": (bad_model_subset, ["model accepts_strangers failed", "no_such_item"]),
    "report": (missing_kernel, ["no Jupyter kernel named 'no_such_kernel_9'"]),
}


@pytest.mark.parametrize("step", FAILURES)
def test_a_failed_job_leaves_every_result_of_the_last_run_as_it_was(good_run, tmp_path, step):
    workdir = fresh_copy(good_run, tmp_path / step)
    before = contents(workdir / "results")
    breaking, said = FAILURES[step]
    breaking(workdir)
    done = make(workdir, check=False)
    assert done.returncode != 0
    # Every file of the last complete run keeps its bytes; the failed run added nothing.
    after = contents(workdir / "results")
    assert after.keys() == before.keys()
    assert [name for name in before if after[name] != before[name]] == []
    verified = invitesurvey(workdir, "audit", "verify")
    assert verified.returncode == 0, verified.stdout
    # The end of the output names the job to fix and its error.
    summary = done.stderr[done.stderr.rindex("invitesurvey run: the run failed") :]
    for words in said:
        assert words in summary, summary
    assert "Fix what is named above, then run `make` again." in summary


def test_after_a_failed_ingest_the_next_run_retries_it_and_a_fix_restores_the_bytes(
    good_run, tmp_path
):
    workdir = fresh_copy(good_run, tmp_path / "retry")
    raw = workdir / "data" / "raw" / "wave-2014.csv"
    original = raw.read_bytes()
    break_wave_2014(workdir)
    assert make(workdir, check=False).returncode != 0
    # Nothing recorded the failed job as done: the same job fails again.
    again = make(workdir, check=False)
    assert again.returncode != 0 and "ingest of wave 2014 failed" in again.stderr
    raw.write_bytes(original)
    make(workdir)
    assert digests(workdir / "results") == digests(good_run / "results")


@pytest.fixture(scope="session")
def killed_run(pristine, good_run, tmp_path_factory) -> dict:
    """A `make` started, tried against a second run, then killed with SIGKILL mid-way."""
    workdir = fresh_copy(pristine, tmp_path_factory.mktemp("killed") / "project")
    first = start_make(workdir)
    try:
        # Running: the last complete run is kept and Snakemake has locked the folder.
        kept = workdir / ".snakemake" / "invitesurvey" / "last-complete" / "kept.json"
        locks = workdir / ".snakemake" / "locks"
        wait_for(lambda: kept.is_file() and locks.is_dir() and any(locks.iterdir()))
        second = make(workdir, check=False)
        direct = subprocess.run(
            [str(BIN / "snakemake")], cwd=workdir, env=env_for(workdir),
            capture_output=True, text=True,
        )  # fmt: skip
        wait_for(lambda: (workdir / "results" / "waves" / "2014" / "crosstabs.csv").is_file())
        assert first.poll() is None, "the run finished before it could be killed"
        assert not (workdir / "results" / "audit" / "manifest.tsv").exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    stale_locks = sorted(p.name for p in locks.iterdir())
    return {"workdir": workdir, "second": second, "direct": direct, "stale_locks": stale_locks}


def test_a_second_run_at_once_is_refused_with_a_clear_message(killed_run):
    second, direct = killed_run["second"], killed_run["direct"]
    assert second.returncode != 0
    assert "invitesurvey run: ERROR: another run is working in this folder (pid " in second.stderr
    assert "Wait for it to finish" in second.stderr
    # Snakemake run by hand is refused by Snakemake's own lock.
    assert direct.returncode != 0
    assert "Directory cannot be locked" in direct.stdout + direct.stderr


def test_a_rerun_after_a_kill_needs_only_make_and_gives_the_same_bytes(killed_run, good_run):
    workdir = killed_run["workdir"]
    # The kill left Snakemake's locks behind, which plain snakemake would refuse to run past.
    assert killed_run["stale_locks"]
    done = make(workdir)
    assert "was stopped before it finished" in done.stderr
    assert digests(workdir / "results") == digests(good_run / "results")
    assert invitesurvey(workdir, "audit", "verify").returncode == 0
    assert not (workdir / ".snakemake" / "invitesurvey" / "last-complete").exists()
