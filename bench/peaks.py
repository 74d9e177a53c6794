"""Per-job peak memory, CPU and wall time of a Snakemake run, measured from outside the workflow.

    .venv/bin/python bench/peaks.py [--tsv FILE] [snakemake arguments ...]   # in the project folder

Runs `snakemake` with the given arguments and samples /proc every 0.1 s. Each job's script runs
as its own `python .snakemake/scripts/tmp*.py` process (its Jupyter kernel, for the report
rules, as a child of that process); the job's rule and wildcards are read from the pickled
`snakemake` object in the script's preamble. Per job it prints: the largest resident set seen
(the script and its children together, and the script's own high-water mark, VmHWM), the CPU
seconds of the script and its children, and the wall time from first to last sample. Figures
are lower bounds by up to one sampling interval; no rule needs a `benchmark:` directive.
"""

from __future__ import annotations

import argparse
import ast
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
BIN = Path(sys.executable).parent


@dataclass
class Job:
    rule: str
    wildcards: str
    first: float
    last: float = 0.0
    rss_kib: int = 0
    hwm_kib: int = 0
    cpu_s: float = 0.0
    children: dict = field(default_factory=dict)  # pid -> cpu seconds last seen


def status(pid: int) -> dict[str, str]:
    fields = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        parts = handle.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / TICK  # utime + stime


def job_of(pid: int) -> tuple[str, str] | None:
    """(rule, wildcards) of a Snakemake script process, from its preamble; None otherwise."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    script = next((a.decode() for a in argv if b".snakemake/scripts/tmp" in a), None)
    if script is None:
        return None
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
        text = Path(cwd, script).read_text()
        literal = text.split("snakemake = pickle.loads(", 1)[1].split(");", 1)[0]
        job = pickle.loads(ast.literal_eval(literal))
    except (OSError, IndexError, ValueError, SyntaxError, pickle.UnpicklingError):
        return None
    wildcards = ",".join(f"{k}={v}" for k, v in dict(job.wildcards.items()).items())
    return job.rule, wildcards


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(status(int(entry))["PPid"])
            except (OSError, KeyError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int, tree: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(tree.get(current, []))
    return out


def sample(root: int, jobs: dict[int, Job], start: float) -> None:
    tree = children_of()
    now = time.perf_counter() - start
    for pid in descendants(root, tree):
        if pid not in jobs:
            found = job_of(pid)
            if found is None:
                continue
            jobs[pid] = Job(*found, first=now)
        job = jobs[pid]
        rss = 0
        for member in descendants(pid, tree):
            try:
                fields = status(member)
                rss += int(fields.get("VmRSS", "0 kB").split()[0])
                if member == pid:
                    job.hwm_kib = max(job.hwm_kib, int(fields.get("VmHWM", "0 kB").split()[0]))
                job.children[member] = cpu_seconds(member)
            except (OSError, ValueError):
                continue
        job.rss_kib = max(job.rss_kib, rss)
        job.cpu_s = sum(job.children.values())
        job.last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tsv", type=Path, help="also write the table to this file")
    args, snakemake_args = parser.parse_known_args()
    start = time.perf_counter()
    said = tempfile.TemporaryFile()  # noqa: SIM115  (a file, not a pipe: a full pipe blocks)
    process = subprocess.Popen(
        [str(BIN / "snakemake"), *snakemake_args], stdout=said, stderr=subprocess.STDOUT
    )
    jobs: dict[int, Job] = {}
    while process.poll() is None:
        sample(process.pid, jobs, start)
        time.sleep(0.1)
    wall = time.perf_counter() - start
    lines = ["rule\twildcards\tpeak_rss_mib\tscript_hwm_mib\tcpu_s\twall_s\tstarts_s"]
    for job in sorted(jobs.values(), key=lambda j: j.first):
        lines.append(
            f"{job.rule}\t{job.wildcards}\t{job.rss_kib / 1024:.0f}\t{job.hwm_kib / 1024:.0f}"
            f"\t{job.cpu_s:.1f}\t{job.last - job.first:.1f}\t{job.first:.1f}"
        )
    lines.append(f"# whole run: {wall:.1f} s wall, {len(jobs)} jobs measured")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.tsv:
        args.tsv.write_text(text)
    if process.returncode != 0:
        said.seek(0)
        sys.exit(f"snakemake failed ({process.returncode}):\n{said.read().decode()[-3000:]}")


if __name__ == "__main__":
    main()
