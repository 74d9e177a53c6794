"""A fresh copy of the workflow in a scratch folder, for end-to-end tests and the benchmarks."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What a run needs: the workflow, its configuration and raw data, the library the rules
# declare as inputs, and the notebook templates; never results/, logs/ or .snakemake/.
COPIED = (
    "Snakefile",
    "profiles",
    "workflow",
    "config",
    "data",
    "src",
    "notebooks",
    "pyproject.toml",
)


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def follow_up_assumptions(book):
    """The SYNTHETIC follow-up assumptions config/config.yaml states (its simulation: block)."""
    from invitesurvey import io, simulate

    stated = io.read_yaml(ROOT / "config" / "config.yaml", "configuration")["simulation"]
    return simulate.FollowUp.from_config(stated, book)
