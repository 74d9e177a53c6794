"""The version of the code a page is stamped with: the library, the workflow and the notebook
templates, never the config or the data.

Two checkouts of the same code give the same version whatever their waves, results or git
state, so adding a wave changes no page's stamp, and a run that rebuilds any page for a code
change rebuilds every page (the stamp is a parameter of each).
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

CODE_FILES = ("Snakefile", "src/invitesurvey/**/*.py", "workflow/**/*", "notebooks/*.ipynb")


def code_files(root: str | Path) -> list[Path]:
    """The files the version covers, relative paths in sorted order; caches left out."""
    root = Path(root)
    found = {
        p.relative_to(root)
        for pattern in CODE_FILES
        for p in root.glob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }
    return sorted(found, key=lambda p: p.as_posix())


def code_version(root: str | Path) -> str:
    """``invitesurvey <version>, code <hash>``: the package version and the first twelve hex
    digits of a sha256 over each code file's path and bytes."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in code_files(root):
        digest.update(path.as_posix().encode() + b"\0")
        digest.update((root / path).read_bytes() + b"\0")
    try:
        package = version("invitesurvey")
    except PackageNotFoundError:
        package = "unknown"
    return f"invitesurvey {package}, code {digest.hexdigest()[:12]}"
