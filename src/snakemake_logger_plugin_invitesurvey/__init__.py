"""A Snakemake logger plugin: one console line per finished job, with a progress count.

    snakemake --logger invitesurvey        # profiles/default sets it

Snakemake's own console prints each job's input and output paths, log, wildcards and
resources when it starts (about 30 lines for the write-up job). Here a run prints one line per
job when it ends, ``[ 3/12] wave_tables wave=2014  0.9 s``; everything else (the job
statistics, warnings, a failed job's error block with its log, the dry-run listing) is
Snakemake's own text, formatted by Snakemake's formatter. Snakemake finds the plugin by its
module name (``snakemake_logger_plugin_*``); it ships with the invitesurvey package.
"""

from __future__ import annotations

import logging
import re
import sys
import time

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent

# Events the one-line console folds into the line of the job's end.
_FOLDED = {LogEvent.JOB_INFO, LogEvent.JOB_STARTED, LogEvent.JOB_FINISHED, LogEvent.SHELLCMD}
# The scheduler's line before each batch of jobs it starts (a plain message, no event).
_SCHEDULER = re.compile(r"Select jobs to execute\.\.\.")


def job_line(done: int, total: int, rule: str, wildcards: dict, seconds: float | None) -> str:
    """``[ 3/12] wave_tables wave=2014  0.9 s``: the progress count, the job, how long it ran."""
    width = len(str(total))
    names = " ".join(f"{key}={value}" for key, value in sorted(wildcards.items()))
    took = "" if seconds is None else f"  {seconds:.1f} s"
    return f"[{done:>{width}}/{total}] {rule}{' ' + names if names else ''}{took}"


class LogHandler(LogHandlerBase):
    """Writes to stderr like Snakemake's console, but a finished job in one line."""

    writes_to_stream = True
    writes_to_file = False
    # Snakemake's default filter, so --quiet and friends keep their meaning.
    has_filter = False
    has_formatter = True
    needs_rulegraph = False

    def __post_init__(self) -> None:
        from snakemake.logging import DefaultFormatter

        self.snakemake_format = DefaultFormatter(
            self.common_settings.quiet, self.common_settings.show_failed_logs
        )
        self.stream = sys.stdout if self.common_settings.stdout else sys.stderr
        self.started: dict[int, tuple[str, dict, float]] = {}
        self.finished: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.text(record)
            if text and text != "None":
                self.stream.write(text + "\n")
                self.stream.flush()
        except Exception:
            self.handleError(record)

    def text(self, record: logging.LogRecord) -> str | None:
        """What the console shows for a record: None for what the job line folds in."""
        event = getattr(record, "event", None)
        if self.common_settings.dryrun:
            return self.snakemake_format.format(record)
        if event is None and _SCHEDULER.fullmatch(str(record.msg)):
            return None
        if event not in {*_FOLDED, LogEvent.PROGRESS}:
            return self.snakemake_format.format(record)
        if event == LogEvent.JOB_INFO:
            self.started[record.jobid] = (
                record.rule_name,
                dict(record.wildcards or {}),
                time.monotonic(),
            )
        elif event == LogEvent.JOB_FINISHED:
            self.finished.append(record.job_id)
        elif event == LogEvent.PROGRESS:
            if not self.finished:
                return self.snakemake_format.format(record)
            jobid = self.finished.pop(0)
            rule, wildcards, start = self.started.pop(jobid, (f"job {jobid}", {}, None))
            took = None if start is None else time.monotonic() - start
            return job_line(record.done, record.total, rule, wildcards, took)
        return None
