"""Writing an output atomically: a temporary file beside it, moved into place when complete.

Its own module, free of pandas, so that a job that writes no table (the manifest) need not
import it; :mod:`invitesurvey.io` offers it with the table writers.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from invitesurvey.errors import InputError

# A full disk or quota: a located message, not a traceback (the tmp file is removed).
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A failing job therefore never leaves a half-written output behind, and an earlier good
    file stays where it was until a complete replacement exists.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    # mkstemp creates 0600 files; outputs are for every reader of the checkout.
    os.chmod(tmp, 0o644)
    try:
        try:
            yield Path(tmp)
            os.replace(tmp, path)
        except OSError as error:
            if error.errno not in _NO_ROOM:
                raise
            raise InputError(
                f"cannot write the file: {os.strerror(error.errno)}",
                file=path,
                hint="Free some space (or raise the quota) and run again; "
                "the earlier file, if any, is untouched.",
            ) from error
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
