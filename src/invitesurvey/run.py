"""``invitesurvey run``, what ``make`` calls: the workflow as one transaction, one run at a time.

Snakemake deletes a job's old outputs before the job starts (and, after a failure, records
the failed job's outputs as complete; snakemake/snakemake#3808), so a failing job would take
the last good results with it even though every file is written atomically. ``--keep-incomplete``
does not help: it only stops Snakemake deleting what a failed job wrote, and the deletion before
the job has already happened. A run therefore goes like this:

1. Take ``.snakemake/invitesurvey/run.lock`` with ``flock``; a second run in the same folder is
   refused, naming the first. The operating system lets go of the lock when a run ends in any
   way, ``kill -9`` included, so a killed run never needs ``--unlock``: with the lock held, any
   lock files Snakemake left in ``.snakemake/locks`` are stale (unless a ``snakemake`` started
   by hand is still working in this folder, which is refused instead) and are removed.
2. Keep the last complete run: a hard link to every file under the output folder (no data is
   copied; every writer replaces files rather than rewriting them, so a link keeps the old
   bytes and modification time) and a copy of Snakemake's records of them.
3. Run Snakemake. If it succeeds, the kept copy is dropped. If it fails or is interrupted, the
   output folder and Snakemake's records are put back exactly as they were (files the run made
   are removed), so the last manifest verifies again and the next run redoes the same jobs; the
   failed jobs' logs stay, and their first error lines are repeated at the end, naming the wave
   or step to fix. A run killed outright is put back the same way by the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from invitesurvey import yamlfile

STATE = Path(".snakemake") / "invitesurvey"
LOCK = STATE / "run.lock"
KEPT = STATE / "last-complete"
MARKER = "kept.json"
SNAKEMAKE_STATE = ("metadata", "incomplete")
SNAKEMAKE_LOCKS = Path(".snakemake") / "locks"
SNAKEMAKE_LOGS = Path(".snakemake") / "log"
DEFAULT_CONFIG = Path("config") / "config.yaml"
DOCUMENTATION = "README.md"
ERROR_LINES = 6


class RunRefused(Exception):
    """Another run holds this folder."""


# --- Where the outputs go ------------------------------------------------------------------


def output_folder(args: Sequence[str], default_config: Path = DEFAULT_CONFIG) -> Path:
    """The ``outdir`` this Snakemake call writes to: the Snakefile's config file, then any
    ``--configfile(s)`` and ``--config outdir=...`` given, the later winning as in Snakemake."""
    files = [default_config] if default_config.is_file() else []
    overrides: dict[str, str] = {}
    option = None
    for arg in args:
        if arg.startswith("-"):
            name, _, value = arg.partition("=")
            option = name if name in ("--configfile", "--configfiles", "--config", "-C") else None
            if option and value:
                _add(option, value, files, overrides)
            continue
        if option:
            _add(option, arg, files, overrides)
    outdir = "results"
    for file in files:
        config = yamlfile.load(file, "configuration") or {}
        if isinstance(config, dict) and isinstance(config.get("outdir"), str):
            outdir = config["outdir"]
    return Path(overrides.get("outdir", outdir))


def _add(option: str, value: str, files: list[Path], overrides: dict[str, str]) -> None:
    if option in ("--configfile", "--configfiles"):
        files.append(Path(value))
    elif "=" in value:
        key, _, setting = value.partition("=")
        overrides[key] = setting


# --- One run at a time ---------------------------------------------------------------------


@contextlib.contextmanager
def exclusive(lock_file: Path = LOCK) -> Iterator[int]:
    """Hold the folder's run lock for the block; yield its file descriptor (inheritable, so
    Snakemake holds the lock too while it lives). Refuse when another run holds it."""
    import fcntl

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            raise RunRefused(_holder_text(holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_this_run()).encode(), 0)
        os.set_inheritable(fd, True)
        yield fd
    finally:
        os.close(fd)


def _this_run() -> dict:
    return {"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv}


def _holder_text(holder: str) -> str:
    try:
        run = json.loads(holder)
        return f"pid {run['pid']}, started {run['started']}"
    except (ValueError, KeyError, TypeError):
        return "a run whose details are unknown"


def live_snakemake(folder: Path, exclude: set[int]) -> list[int]:
    """Process ids of ``snakemake`` runs working in ``folder`` (Linux: read from /proc); an
    empty list where that cannot be told."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    here = os.path.realpath(folder)
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == here and any(os.path.basename(a) == b"snakemake" for a in argv[:3]):
            found.append(int(entry.name))
    return sorted(found)


def clear_stale_locks(folder: Path = Path("."), *, ours: bool = False) -> bool:
    """Remove the lock files of a killed Snakemake run; True if there were any. A Snakemake
    started by hand that still works in this folder is refused instead. Where running
    processes cannot be listed, only locks of a run of ours that was stopped (``ours``) go."""
    locks = folder / SNAKEMAKE_LOCKS
    if not locks.is_dir() or not any(locks.iterdir()):
        return False
    running = live_snakemake(folder, exclude={os.getpid()})
    if running:
        raise RunRefused(f"snakemake (pid {', '.join(map(str, running))})")
    if not Path("/proc").is_dir() and not ours:
        # Cannot tell a live run from a dead one here: leave Snakemake to refuse.
        return False
    for lock in locks.iterdir():
        lock.unlink()
    return True


# --- Keeping the last complete run ---------------------------------------------------------


def _managed(folder: Path) -> Iterator[Path]:
    """Every file under the output folder a rule may make (documentation is never touched)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if (path.is_file() or path.is_symlink()) and path.name != DOCUMENTATION:
            yield path


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


@dataclass
class Kept:
    """The last complete run of one output folder, kept while a run may change it."""

    outdir: Path
    place: Path = KEPT

    @property
    def files(self) -> Path:
        return self.place / "files"

    def exists(self) -> bool:
        return (self.place / MARKER).is_file()

    def about(self) -> dict:
        return json.loads((self.place / MARKER).read_text())

    def take(self) -> None:
        """Link every output file and copy Snakemake's records; the marker, written last,
        says the copy is whole."""
        self.drop()
        self.files.mkdir(parents=True)
        for path in _managed(self.outdir):
            _link_or_copy(path, self.files / path.relative_to(self.outdir))
        for name in SNAKEMAKE_STATE:
            source = Path(".snakemake") / name
            if source.is_dir():
                shutil.copytree(source, self.place / name, symlinks=True)
        folders = sorted(
            str(p.relative_to(self.outdir)) for p in self.outdir.rglob("*") if p.is_dir()
        )
        about = {**_this_run(), "outdir": str(self.outdir), "folders": folders}
        (self.place / MARKER).write_text(json.dumps(about))

    def drop(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.place / MARKER).unlink()
        shutil.rmtree(self.place, ignore_errors=True)

    def restore(self) -> tuple[list[str], list[str]]:
        """Put the output folder and Snakemake's records back as kept; return the files put
        back and the files removed. Safe to repeat if interrupted."""
        about = self.about()
        outdir = Path(about["outdir"])
        kept = {p.relative_to(self.files) for p in _managed(self.files)}
        removed = []
        for path in _managed(outdir):
            if path.relative_to(outdir) not in kept:
                path.unlink()
                removed.append(str(path))
        restored = []
        for name in sorted(kept):
            source, path = self.files / name, outdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and os.path.samefile(path, source):
                continue
            tmp = path.with_name(f".{path.name}.restore")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            _link_or_copy(source, tmp)
            os.replace(tmp, path)
            restored.append(str(path))
        folders = set(about["folders"])
        for folder in sorted(outdir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            new = str(folder.relative_to(outdir)) not in folders
            if folder.is_dir() and new and not any(folder.iterdir()):
                folder.rmdir()
        for name in SNAKEMAKE_STATE:
            target = Path(".snakemake") / name
            shutil.rmtree(target, ignore_errors=True)
            if (self.place / name).is_dir():
                shutil.copytree(self.place / name, target, symlinks=True)
        return restored, removed


# --- What failed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    rule: str
    outputs: tuple[str, ...]
    log: str | None

    @property
    def where(self) -> str:
        """``ingest of wave 2014``, ``model accepts_strangers``, ``tables``: the job, in the
        project's words (Snakemake's error report names the rule and outputs, not wildcards)."""
        for output in self.outputs:
            parts = Path(output).parts
            for folder, what in (("waves", "wave"), ("models", "model")):
                if folder in parts[:-1]:
                    i = parts.index(folder)
                    # .../waves/{wave}/file, or .../waves/{wave}.html
                    name = parts[i + 1] if i + 2 < len(parts) else Path(parts[i + 1]).stem
                    job = f"{what} {name}"
                    return job if self.rule == what else f"{self.rule} of {job}"
        return self.rule

    def error_lines(self) -> list[str]:
        """The ``ERROR:`` line the job's log ends with and what follows it, or its last line."""
        if not self.log or not Path(self.log).is_file():
            return []
        lines = Path(self.log).read_text(encoding="utf-8", errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("ERROR:"):
                return lines[i : i + ERROR_LINES]
        return [line for line in lines if line.strip()][-1:]


def failures(log_text: str) -> list[Failure]:
    """The failed jobs of a Snakemake log: their rule, outputs and log file."""
    found = []
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("Error in rule "):
            continue
        rule = line.removeprefix("Error in rule ").rstrip(":").strip()
        outputs: tuple[str, ...] = ()
        log = None
        for detail in lines[i + 1 :]:
            if not detail.startswith("    "):
                break
            key, _, value = detail.strip().partition(": ")
            if key == "output":
                outputs = tuple(v.strip() for v in value.split(","))
            elif key == "log":
                log = value.split(" (")[0].split(",")[0].strip()
        found.append(Failure(rule, outputs, log))
    return list(dict.fromkeys(found))


def _this_runs_log(started: float) -> str:
    logs = [p for p in SNAKEMAKE_LOGS.glob("*.snakemake.log") if p.stat().st_mtime >= started]
    if not logs:
        return ""
    return max(logs, key=lambda p: p.stat().st_mtime).read_text(errors="replace")


def failure_text(found: list[Failure]) -> list[str]:
    lines = []
    for failure in found:
        log = f" (log: {failure.log})" if failure.log else ""
        lines.append(f"  {failure.where} failed{log}:")
        lines += [f"    {line}" for line in failure.error_lines()]
    return lines


# --- The command ---------------------------------------------------------------------------


def snakemake_command(args: Sequence[str]) -> list[str]:
    beside = Path(sys.executable).with_name("snakemake")
    program = str(beside) if beside.exists() else shutil.which("snakemake") or "snakemake"
    return [program, *args]


def _say(text: str) -> None:
    print(f"invitesurvey run: {text}", file=sys.stderr, flush=True)


def _snakemake(args: Sequence[str], lock_fd: int) -> int:
    process = subprocess.Popen(snakemake_command(args), pass_fds=(lock_fd,))
    # Ctrl-C reaches Snakemake too, which stops its jobs and exits; wait for it, then restore.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: Sequence[str]) -> int:
    """Run Snakemake with ``args`` as one transaction (module docstring); its exit status."""
    outdir = output_folder(args)
    kept = Kept(outdir)
    with exclusive() as lock_fd:
        if clear_stale_locks(ours=kept.exists()):
            _say("removed the lock files a stopped Snakemake run left in .snakemake/locks.")
        if kept.exists():
            about = kept.about()
            restored, removed = kept.restore()
            kept.drop()
            _say(
                f"the run of {about['started']} (pid {about['pid']}) was stopped before it "
                f"finished; {about['outdir']}/ is back as the last complete run left it "
                f"({len(restored)} file(s) put back, {len(removed)} removed)."
            )
        kept.take()
        started = time.time() - 1
        status = _snakemake(args, lock_fd)
        if status == 0:
            kept.drop()
            return 0
        if SNAKEMAKE_LOCKS.is_dir() and any(SNAKEMAKE_LOCKS.iterdir()):
            # Snakemake refused to start: another snakemake holds the folder. Its files are
            # not ours to put back.
            kept.drop()
            return status
        restored, removed = kept.restore()
        kept.drop()
        found = failures(_this_runs_log(started))
        lines = [f"the run failed (exit status {status}).", *failure_text(found)]
        if restored or removed:
            lines.append(
                f"{outdir}/ is back as the last complete run left it ({len(restored)} file(s) "
                f"put back, {len(removed)} removed); `invitesurvey audit verify` checks it "
                "against its manifest."
            )
        else:
            lines.append(f"Nothing under {outdir}/ changed.")
        if found:
            lines.append("Fix what is named above, then run `make` again.")
        _say("\n".join(lines))
        return status


def cli_main(args: Sequence[str]) -> int:
    try:
        return run(args)
    except RunRefused as refused:
        _say(
            f"ERROR: another run is working in this folder ({refused}); two runs at once would "
            "write the same files. Wait for it to finish, or stop it: the next `make` puts "
            "back what a stopped run left half done."
        )
        return 1
