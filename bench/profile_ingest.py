"""Where an ingest job's time and memory go: read, harmonise, clean, Parquet write, timed apart.

    .venv/bin/python bench/profile_ingest.py EXPORT [--format csv] [--wave 2016]
        [--fieldwork-start 2016-03-01] [--cprofile N]

Runs the same library calls as workflow/scripts/ingest.py, in the project folder's config, and
prints each stage's wall and CPU seconds and the process's resident set after it (and its
high-water mark). --cprofile N also prints the N functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import tempfile
import time
from pathlib import Path


def rss_mib() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("export", type=Path)
    parser.add_argument("--format", default="csv")
    parser.add_argument("--wave", default="2016")
    parser.add_argument("--fieldwork-start", default="2016-03-01")
    parser.add_argument("--cprofile", type=int, default=0)
    args = parser.parse_args()

    profile = cProfile.Profile() if args.cprofile else None
    timings = []

    def stage(name, call):
        start, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        result = call()
        if profile:
            profile.disable()
        rss, hwm = rss_mib()
        timings.append((name, time.perf_counter() - start, time.process_time() - cpu, rss, hwm))
        return result

    import yaml

    stage("imports", lambda: __import__("invitesurvey.ingest"))
    from invitesurvey import codebook, io
    from invitesurvey.clean import QC, clean
    from invitesurvey.formats import read_export
    from invitesurvey.harmonise import harmonise, load_mapping

    config = yaml.safe_load(Path("config/config.yaml").read_text())
    book = codebook.load("config/codebook.yaml")
    # Popped by harmonise, as in ingest_wave: the export is not kept past it.
    held = {"export": stage("read", lambda: read_export(args.export, args.format))}
    harmonised = stage("harmonise", lambda: harmonise(held.pop("export"), book,
                                                      load_mapping(None, book),
                                                      file=args.export))  # fmt: skip
    cleaned = stage(
        "clean",
        lambda: clean(
            harmonised.frame,
            book,
            QC.from_config(config["qc"]),
            wave=args.wave,
            fieldwork_start=args.fieldwork_start,
            recodes=harmonised.recodes,
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        stage("write parquet", lambda: io.write_parquet(cleaned.data, f"{tmp}/clean.parquet"))
        stage("write csvs", lambda: [io.write_table(t, f"{tmp}/{n}.csv") for n, t in
                                     (("exclusions", cleaned.exclusions), ("flow", cleaned.flow),
                                      ("recodes", cleaned.recodes))])  # fmt: skip
    print(f"{'stage':<14} {'wall s':>7} {'CPU s':>7} {'RSS MiB':>8} {'peak MiB':>9}")
    for name, wall, cpu, rss, hwm in timings:
        print(f"{name:<14} {wall:7.2f} {cpu:7.2f} {rss:8.0f} {hwm:9.0f}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"rows {len(cleaned.data)}; process peak {usage.ru_maxrss / 1024:.0f} MiB")
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
