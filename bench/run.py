"""Benchmarks of the DEVELOPERS.md targets; prints figures, asserts nothing.

    .venv/bin/python bench/run.py [--million] [--ten-million] [--waves] [--slurm]

Each scenario runs in a fresh copy of the repository under a temporary folder:
- baseline: `python -c "import pandas, statsmodels.formula.api, seaborn, papermill"`
  and `snakemake --version` (median of 3);
- cold: the full pipeline from nothing (median of 3, each in a fresh copy, the baselines
  timed between them);
- noop: a rerun with nothing to do (median of 3), and, for Snakemake's own floor, the
  same for a one-rule workflow with one param (a params check imports pandas);
- add-wave: a simulated wave 2015 added to the sheet: jobs planned, and wall time;
- million (with --million): a 1,000,000-respondent wave added: wall time and peak memory
  of the largest job;
- ten million (with --ten-million): the same with 10,000,000 respondents, per job
  (bench/peaks.py);
- waves (with --waves): cold runs of 1, 10 and 50 waves of 400 respondents, and the CPU
  seconds each wave beyond the first adds; at 10 waves, an 11th added to the finished run,
  and where a 12th's CPU seconds go (bench/peaks.py);
- slurm (with --slurm): bench/slurm/run.sh, the pipeline as sbatch jobs on a one-node
  cluster against a local run: job count, wall time, identical bytes.
Peak memory is the largest resident set of any finished child process (ru_maxrss); CPU
seconds are user + system time of every finished child process (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
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
BASELINE = "import pandas, statsmodels.formula.api, seaborn, papermill"
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def fresh_copy(tmp: str) -> Path:
    """A copy of the repository whose commands import the copy's own library (src/), not the
    checkout's, so edits made in the checkout during a long benchmark do not reach it."""
    work = copy_project(Path(tmp))
    os.environ["PYTHONPATH"] = str(work / "src")
    return work


def run(command: list[str], cwd: Path) -> None:
    """Run a command; if it fails, stop with the end of what it said."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{(done.stdout + done.stderr)[-3000:]}")


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    run(command, cwd)
    return time.perf_counter() - start


def cpu_timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, every descendant) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(command, cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_of(command: list[str], cwd: Path, times: int = 3) -> float:
    return statistics.median(timed(command, cwd) for _ in range(times))


# A workflow of one rule whose output exists: what any no-op rerun costs in Snakemake itself.
ONE_RULE = """rule all:
    input: "done.txt"

rule done:
    output: "done.txt"
    params: value=1
    shell: "touch {output}"
"""


def one_rule_noop(snakemake: list[str], tmp: str) -> float:
    """Median of 3 no-op reruns of :data:`ONE_RULE`."""
    folder = Path(tmp) / "one-rule"
    folder.mkdir()
    (folder / "Snakefile").write_text(ONE_RULE)
    run([*snakemake, "--cores", "1"], folder)
    return median_of([*snakemake, "--cores", "1"], folder)


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


def copy_wave(workdir: Path, source: str, wave: str) -> None:
    """Wave ``wave`` as a copy of wave ``source``'s export and its row of the sheet: the same
    400 answers, so every added wave costs the same work."""
    raw = workdir / f"data/raw/wave-{wave}.csv"
    shutil.copyfile(workdir / f"data/raw/wave-{source}.csv", raw)
    sheet = workdir / "config/waves.tsv"
    row = next(r for r in sheet.read_text().splitlines() if r.split("\t", 1)[0] == source)
    fields = row.split("\t")
    fields[0], fields[1] = wave, f"data/raw/wave-{wave}.csv"
    with sheet.open("a") as handle:
        handle.write("\t".join(fields) + "\n")


def per_job(workdir: Path) -> list[dict[str, str]]:
    """One run through bench/peaks.py: a row per job (rule, peak memory, CPU, wall)."""
    text = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peaks.py")],
        cwd=workdir, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    lines = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def breakdown(jobs: list[dict[str, str]]) -> str:
    """CPU seconds per rule (jobs summed), largest first."""
    cpu: Counter = Counter()
    for job in jobs:
        cpu[job["rule"]] += float(job["cpu_s"])
    return ", ".join(f"{rule} {seconds:.1f}" for rule, seconds in cpu.most_common())


def waves_cost(snakemake: list[str]) -> None:
    """What a wave of 400 respondents costs: cold runs of 1, 10 and 50 waves (wave 2014 and
    copies of one simulated wave), the growth in CPU seconds per wave beyond the first; then,
    at 10 waves, an 11th added to the finished run (its jobs and the pooled ones rerun)."""
    cpu_of: dict[int, float] = {}
    for waves in (1, 10, 50):
        with tempfile.TemporaryDirectory() as tmp:
            work = fresh_copy(tmp)
            if waves > 1:
                add_wave(work, "2015", 400)
                for i in range(1, waves - 1):
                    copy_wave(work, "2015", str(2015 + i))
            wall, cpu_of[waves] = cpu_timed(snakemake, work)
            line = f"cold run of {waves:2d} waves    {wall:6.1f} s wall, {cpu_of[waves]:6.1f} CPU-s"
            if waves > 1:
                per_wave = (cpu_of[waves] - cpu_of[1]) / (waves - 1)
                line += f"  = {per_wave:.2f} CPU-s per wave beyond the first (target <= 3)"
            print(line)
            if waves == 10:
                copy_wave(work, "2015", str(2015 + waves - 1))
                wall, cpu = cpu_timed(snakemake, work)
                print(f"  an 11th wave added to the finished run: {wall:.1f} s, {cpu:.1f} CPU-s")
                copy_wave(work, "2015", str(2015 + waves))
                print(f"  where a 12th wave's CPU-s go, per rule: {breakdown(per_job(work))}")


def ten_million(snakemake: list[str]) -> None:
    """A 10,000,000-respondent wave added to wave 2014: wall time, and per job (peaks.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = fresh_copy(tmp)
        run(snakemake, work)
        start = time.perf_counter()
        add_wave(work, "2016", 10_000_000)
        print(f"simulate + add-wave 10M   {time.perf_counter() - start:6.2f} s")
        start = time.perf_counter()
        jobs = per_job(work)
        wall = time.perf_counter() - start
        peak = max(jobs, key=lambda job: float(job["peak_rss_mib"]))
        print(
            f"add a 10,000,000 wave     {wall:6.2f} s  largest job {peak['rule']} "
            f"{float(peak['peak_rss_mib']) / 1024:.2f} GiB (target 600 s, 6 GiB)"
        )
        for job in jobs:
            print(
                f"  {job['rule']:<22} {job['wildcards']:<12} {float(job['wall_s']):6.1f} s "
                f"{float(job['cpu_s']):6.1f} CPU-s {float(job['peak_rss_mib']):6.0f} MiB"
            )


def slurm() -> None:
    """bench/slurm/run.sh, its summary lines."""
    done = subprocess.run(
        ["bash", str(ROOT / "bench" / "slurm" / "run.sh")], capture_output=True, text=True
    )
    for line in done.stdout.splitlines():
        if line.startswith("slurm-check:"):
            print(line)
    if done.returncode != 0:
        print(f"slurm check failed ({done.returncode}): {done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--million", action="store_true", help="also run the 1M-respondent wave")
    parser.add_argument("--ten-million", action="store_true", help="also a 10M-respondent wave")
    parser.add_argument("--waves", action="store_true", help="cost of a wave at 1, 10, 50 waves")
    parser.add_argument("--slurm", action="store_true", help="the one-node Slurm cluster check")
    args = parser.parse_args()
    snakemake = [str(BIN / "snakemake")]
    with tempfile.TemporaryDirectory() as tmp:
        # Three cold runs, each in a fresh copy, baseline and --version timed between them:
        # on a shared machine one run can be a third slower than the next.
        imports, version, colds = [], [], []
        for i in range(3):
            work = fresh_copy(f"{tmp}/{i}")
            imports.append(timed([sys.executable, "-c", BASELINE], work))
            version.append(timed([*snakemake, "--version"], work))
            colds.append(cpu_timed(snakemake, work))
        imports, version = statistics.median(imports), statistics.median(version)
        cold, cold_cpu = sorted(colds)[1]
        noop = median_of(snakemake, work)
        floor = one_rule_noop(snakemake, tmp)
        print(f"baseline imports          {imports:6.2f} s  (median of 3)")
        print(f"snakemake --version       {version:6.2f} s  (median of 3)")
        print(
            f"cold full run             {cold:6.2f} s  = {cold / imports:4.1f} x imports",
            f"(target <= 5; median of 3); {cold_cpu:.1f} CPU-s",
        )
        print(
            f"rerun, nothing to do      {noop:6.2f} s  = {noop / version:4.2f} x --version",
            "(target <= 1.5)",
        )
        print(
            f"  one-rule workflow's rerun {floor:6.2f} s  = {floor / version:4.2f} x --version",
            "(Snakemake's own floor)",
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
    if args.waves:
        waves_cost(snakemake)
    if args.ten_million:
        ten_million(snakemake)
    if args.slurm:
        slurm()


if __name__ == "__main__":
    main()
