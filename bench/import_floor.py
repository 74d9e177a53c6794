"""What a wave's own four jobs cost, and how much of it is their imports alone.

    .venv/bin/python bench/import_floor.py [--repeat 5]

In a fresh copy of the repository with three waves (2014, a simulated 2015 and a copy of it as
2016), a cold run keeps Snakemake's job scripts (`--skip-script-cleanup`). For wave 2016's
`ingest`, `wave_tables`, `wave_figures` and `wave_report`, it times the script as Snakemake wrote
it, then a fresh interpreter that only imports the top-level modules that job imported (read
from `python -X importtime`), both with the thread settings Snakemake gives a job of one
thread. It prints the CPU seconds of each (medians), then what one interpreter importing all
four jobs' modules costs, and so what the four would cost as one process. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import BIN, add_wave, copy_wave, fresh_copy, run

WAVE = "2016"
# (script file stem, rule): the pickled rule name in a script's preamble tells the rules that
# share a script apart.
JOBS = (
    ("ingest", "ingest"),
    ("tables", "wave_tables"),
    ("wave_figures", "wave_figures"),
    ("report_notebook", "wave_report"),
)
# What Snakemake sets for a job of one thread (snakemake/shell.py). Without them, numpy's
# OpenBLAS starts a thread per core as it loads: 0.1 to 0.3 CPU-s of every process here.
THREADS = dict.fromkeys(
    (
        "OMP_NUM_THREADS",
        "GOTO_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ),
    "1",
)
TOP_LEVEL = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| (\S+)$", re.M)


def imports_only(python: str, modules: list[str]) -> list[str]:
    """A fresh interpreter that imports ``modules`` and exits as a job does."""
    # Frozen at the end as a job's to_log leaves its heap, so both exit alike.
    return [python, "-c", f"import gc, {', '.join(modules)}; gc.freeze()"]


def cpu_seconds(command: list[str], cwd: Path) -> tuple[float, str]:
    """CPU seconds (user + system) of one command, and what it wrote to stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return spent, done.stderr


def median_cpu(command: list[str], cwd: Path, times: int) -> float:
    return statistics.median(cpu_seconds(command, cwd)[0] for _ in range(times))


def job_script(work: Path, stem: str, rule: str) -> Path:
    """The kept script of ``rule``'s job for :data:`WAVE`."""
    marker = f"\\x8c\\x{len(rule):02x}{rule}"  # the rule name as the preamble's pickle spells it
    for path in sorted((work / ".snakemake" / "scripts").glob(f"*.{stem}.py")):
        text = path.read_text()
        if marker in text and f"waves/{WAVE}/" in text:
            return path
    sys.exit(f"no kept script of {rule} for wave {WAVE} under {work}/.snakemake/scripts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median)")
    args = parser.parse_args()
    python = str(BIN / "python")
    with tempfile.TemporaryDirectory() as tmp:
        work = fresh_copy(tmp)
        add_wave(work, "2015", 400)
        copy_wave(work, "2015", WAVE)
        run([str(BIN / "snakemake"), "--skip-script-cleanup"], work)
        os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
        os.environ.update(THREADS)
        totals = [0.0, 0.0]
        every_module: list[str] = []
        print(f"wave {WAVE}'s jobs, CPU-s (median of {args.repeat}): the job | its imports alone")
        for stem, rule in JOBS:
            script = str(job_script(work, stem, rule))
            _, imported = cpu_seconds([python, "-X", "importtime", script], work)
            modules = list(dict.fromkeys(TOP_LEVEL.findall(imported)))
            every_module.extend(modules)
            job = median_cpu([python, script], work, args.repeat)
            alone = median_cpu(imports_only(python, modules), work, args.repeat)
            totals[0] += job
            totals[1] += alone
            print(f"  {rule:14s} {job:5.2f} | {alone:5.2f}  ({len(modules)} top-level modules)")
        print(f"  {'four jobs':14s} {totals[0]:5.2f} | {totals[1]:5.2f}")
        union = list(dict.fromkeys(every_module))
        together = median_cpu(imports_only(python, union), work, args.repeat)
        # The work the jobs do beyond their imports stays whatever process does it.
        print(f"  {'one process':14s} {together + totals[0] - totals[1]:5.2f} | {together:5.2f}")


if __name__ == "__main__":
    main()
