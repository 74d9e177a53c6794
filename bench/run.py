"""Benchmarks of the DEVELOPERS.md targets; prints figures, asserts nothing.

    .venv/bin/python bench/run.py [--million]

Each scenario runs in a fresh copy of the repository under a temporary folder:
- baseline: `python -c "import pandas, statsmodels.formula.api, seaborn, papermill"`
  and `snakemake --version` (median of 3);
- cold: the full pipeline from nothing;
- noop: a rerun with nothing to do (median of 3);
- add-wave: a simulated wave 2015 added to the sheet: jobs planned, and wall time;
- million (with --million): a 1,000,000-respondent wave added: wall time and peak memory
  of the largest job.
Peak memory is the largest resident set of any finished child process (ru_maxrss).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from project import copy_project  # noqa: E402  (the tests' helper, on the path just above)

BIN = Path(sys.executable).parent
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(command: list[str], cwd: Path, times: int = 3) -> float:
    return statistics.median(timed(command, cwd) for _ in range(times))


def planned(workdir: Path) -> Counter:
    text = subprocess.run(
        [str(BIN / "snakemake"), "--dry-run", "--quiet", "rules"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    counts = Counter()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


def add_wave(workdir: Path, wave: str, n: int) -> None:
    """Simulate a wave and add it the way an analyst would: `invitesurvey add-wave`."""
    raw = f"data/raw/wave-{wave}.csv"
    for command in (
        ["simulate", "--wave", wave, "--n", str(n), "--format", "csv", "--seed", "7",
         "--output", raw],
        ["add-wave", raw, "--wave", wave, "--format", "csv", "--fieldwork-start",
         f"{wave}-03-01", "--fieldwork-end", f"{wave}-03-31", "--note", "Synthetic (benchmark)"],
    ):  # fmt: skip
        subprocess.run([str(BIN / "invitesurvey"), *command], cwd=workdir, check=True,
                       capture_output=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--million", action="store_true", help="also run the 1M-respondent wave")
    args = parser.parse_args()
    snakemake = [str(BIN / "snakemake")]
    with tempfile.TemporaryDirectory() as tmp:
        work = copy_project(Path(tmp))
        imports = median_of(
            [sys.executable, "-c", "import pandas, statsmodels.formula.api, seaborn, papermill"],
            work,
        )
        version = median_of([*snakemake, "--version"], work)
        cold = timed(snakemake, work)
        noop = median_of(snakemake, work)
        print(f"baseline imports          {imports:6.2f} s")
        print(f"snakemake --version       {version:6.2f} s")
        print(
            f"cold full run             {cold:6.2f} s  = {cold / imports:4.1f} x imports",
            "(target <= 5)",
        )
        print(
            f"rerun, nothing to do      {noop:6.2f} s  = {noop / version:4.2f} x --version",
            "(target <= 1.5)",
        )
        add_wave(work, "2015", 400)
        jobs = planned(work)
        added = timed(snakemake, work)
        print(f"add a 400-respondent wave {added:6.2f} s  jobs: {dict(sorted(jobs.items()))}")
        if args.million:
            add_wave(work, "2016", 1_000_000)
            # A fresh parent, so ru_maxrss covers only this run's jobs.
            start = time.perf_counter()
            peak_kib = subprocess.run(
                [sys.executable, "-c", PEAK, *snakemake],
                cwd=work,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
            million = time.perf_counter() - start
            print(
                f"add a 1,000,000 wave      {million:6.2f} s  peak job memory "
                f"{int(peak_kib) / 1024:7.0f} MiB (target 60 s, 2048 MiB)"
            )


if __name__ == "__main__":
    main()
