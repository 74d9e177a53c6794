"""The one-line console (src/snakemake_logger_plugin_invitesurvey): what each record prints."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry

from invitesurvey import io
from snakemake_logger_plugin_invitesurvey import LogHandler, job_line


@dataclass
class Settings:
    printshellcmds: bool = False
    nocolor: bool = True
    quiet: tuple = ()
    debug_dag: bool = False
    verbose: bool = False
    show_failed_logs: bool = True
    stdout: bool = False
    dryrun: bool = False


def record(msg: str, **extra) -> logging.LogRecord:
    made = logging.LogRecord("snakemake", logging.INFO, __file__, 1, msg, None, None)
    made.__dict__.update(extra)
    return made


def job_info(jobid: int, rule: str, wildcards: dict) -> logging.LogRecord:
    return record(
        f" Rule: {rule}, Jobid: {jobid}",
        event=LogEvent.JOB_INFO, jobid=jobid, rule_name=rule, wildcards=wildcards, rule_msg=None,
        local=False, is_checkpoint=False, input=["a.csv"], output=["b.csv"], log=["b.log"],
        benchmark=None, reason="Missing output files", resources={}, priority=0, threads=1,
    )  # fmt: skip


def test_job_line_aligns_the_count_and_sorts_the_wildcards():
    assert (
        job_line(3, 12, "wave_tables", {"wave": "2014"}, 0.94)
        == "[ 3/12] wave_tables wave=2014  0.9 s"
    )
    assert job_line(12, 12, "all", {}, None) == "[12/12] all"
    assert job_line(1, 2, "r", {"b": "2", "a": "1"}, 1.0) == "[1/2] r a=1 b=2  1.0 s"


def test_a_job_prints_one_line_when_it_ends():
    handler = LogHandler(Settings(), None)
    shown = [
        handler.text(job_info(7, "wave_tables", {"wave": "2015"})),
        handler.text(record("Select jobs to execute...")),
        handler.text(record("Execute 1 jobs...", event=LogEvent.JOB_STARTED, jobs=[7])),
        handler.text(record("Finished jobid: 7", event=LogEvent.JOB_FINISHED, job_id=7)),
        handler.text(record("", event=LogEvent.PROGRESS, done=3, total=12)),
    ]
    assert shown[:4] == [None, None, None, None]
    assert shown[4].startswith("[ 3/12] wave_tables wave=2015  ")


def test_jobs_ending_together_each_get_their_line_in_order():
    handler = LogHandler(Settings(), None)
    for jobid, rule in ((1, "tables"), (2, "model")):
        handler.text(job_info(jobid, rule, {}))
    handler.text(record("", event=LogEvent.JOB_FINISHED, job_id=2))
    handler.text(record("", event=LogEvent.JOB_FINISHED, job_id=1))
    first = handler.text(record("", event=LogEvent.PROGRESS, done=1, total=2))
    second = handler.text(record("", event=LogEvent.PROGRESS, done=2, total=2))
    assert first.startswith("[1/2] model") and second.startswith("[2/2] tables")


def test_errors_messages_and_the_dry_run_are_snakemakes_own_text():
    handler = LogHandler(Settings(), None)
    assert handler.text(record("Building DAG of jobs...")) == "Building DAG of jobs..."
    error = record(
        "", event=LogEvent.JOB_ERROR, rule_name="ingest", rule_msg=None, jobid=3,
        input=["data/raw/w.csv"], output=["results/w.parquet"], log=["logs/ingest/w.log"],
        conda_env=None, shellcmd=None, aux={}, indent=False,
    )  # fmt: skip
    error.msg = None
    shown = LogHandler(Settings(show_failed_logs=False), None).text(error)
    assert "Error in rule ingest:" in shown and "logs/ingest/w.log" in shown
    dry = LogHandler(Settings(dryrun=True), None).text(job_info(4, "writeup", {}))
    assert "rule writeup:" in dry and "output: b.csv" in dry


def test_snakemake_finds_the_plugin_by_its_module_name():
    registry = LoggerPluginRegistry()
    assert "invitesurvey" in registry.plugins
    assert registry.get_plugin("invitesurvey").log_handler is LogHandler


def test_the_default_profile_uses_the_one_line_console_and_verbose_does_not(root):
    text = (root / "profiles" / "default" / "config.yaml").read_text(encoding="utf-8")
    assert "logger: [invitesurvey]" in text
    assert "logger" not in (root / "profiles" / "verbose" / "config.yaml").read_text()


def test_the_verbose_profile_is_the_default_with_the_full_console(root):
    """Everything but the console is the default profile's: scheduling, cores, failed logs."""
    default, verbose = (
        io.read_yaml(root / "profiles" / name / "config.yaml", "profile")
        for name in ("default", "verbose")
    )
    console = {"logger", "quiet", "printshellcmds"}
    assert {k: v for k, v in default.items() if k not in console} == {
        k: v for k, v in verbose.items() if k not in console
    }
    assert verbose["printshellcmds"] is True and "quiet" not in verbose
