"""Route a Snakemake script's output to its log and turn bad input into one clear line."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from invitesurvey.errors import InputError

log = logging.getLogger("invitesurvey")


@contextlib.contextmanager
def to_log(path: str | Path) -> Iterator[logging.Logger]:
    """Send stdout, stderr and logging to ``path`` for the block; exit 1 on any error.

    An InputError is written as a single ``ERROR:`` line (to the log and the terminal) so the
    headline names file, row and column; anything else keeps its traceback for debugging.

    The block is the job: what was imported before it and everything left after it are
    frozen out of the garbage collector (``gc.freeze``), so the job's collections skip its
    modules and the interpreter's exit does not scan its whole heap once more: a tenth of a
    job's CPU time (bench/README.md).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handler = logging.StreamHandler(handle)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        terminal = sys.stderr
        gc.freeze()
        try:
            with contextlib.redirect_stdout(handle), contextlib.redirect_stderr(handle):
                yield log
        except InputError as error:
            for stream in (handle, terminal):
                print(f"ERROR: {error}", file=stream, flush=True)
            sys.exit(1)
        except Exception as error:
            traceback.print_exc(file=handle)
            print(f"ERROR: {type(error).__name__}: {error} (traceback in {path})", file=terminal)
            sys.exit(1)
        finally:
            log.removeHandler(handler)
            gc.freeze()
