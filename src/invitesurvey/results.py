"""Reading what a write-up page shows: the result tables, flows, models, codebook and
published claims, the figure files the figures rule drew, and the hashes of every input.

Nothing here formats or writes; :mod:`invitesurvey.present` formats, :mod:`invitesurvey.report`
runs and renders the notebook, :mod:`invitesurvey.htmlcheck` checks the page.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from invitesurvey import claims, codebook, io, manifest
from invitesurvey.claims import Claims
from invitesurvey.codebook import Codebook
from invitesurvey.errors import InputError

PACKAGES = (
    "invitesurvey", "pandas", "numpy", "scipy", "statsmodels", "firthmodels", "matplotlib",
    "seaborn", "pyarrow", "papermill", "mistune", "ipython", "ipykernel", "snakemake",
)  # fmt: skip
WAVE_COLUMNS = ("wave", "wave_from", "wave_to")


@dataclass(frozen=True)
class Model:
    """One fitted model's three result files."""

    coefficients: pd.DataFrame
    marginal_effects: pd.DataFrame
    fit: dict


@dataclass(frozen=True)
class Results:
    """Every result a notebook reads, with the codebook and the published claims."""

    tables: dict[str, pd.DataFrame]
    flows: dict[str, pd.DataFrame]
    models: dict[str, Model]
    book: Codebook
    published: Claims


def _waves_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Wave ids as text: a CSV reader takes ``2014`` for a number."""
    present = [c for c in WAVE_COLUMNS if c in frame]
    return frame.astype(dict.fromkeys(present, "string")) if present else frame


def read_results(
    *,
    tables: Mapping[str, str | Path],
    flows: Mapping[str, str | Path],
    models: Mapping[str, Mapping[str, str | Path]],
    codebook_file: str | Path,
    claims_file: str | Path,
) -> Results:
    """Read the named result tables, each wave's flow, each model's files and the config."""
    return Results(
        tables={name: _waves_as_text(io.read_table(path)) for name, path in tables.items()},
        flows={wave: io.read_table(path) for wave, path in flows.items()},
        models={
            name: Model(
                coefficients=io.read_table(files["coefficients"]),
                marginal_effects=io.read_table(files["marginal_effects"]),
                fit=io.read_json(files["fit"]),
            )
            for name, files in models.items()
        },
        book=codebook.load(codebook_file),
        published=claims.load(claims_file),
    )


def raw_inputs(sheet: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Every raw file the waves sheet names: exports, then mappings, wave by wave."""
    return [row[c] for row in sheet.values() for c in ("path", "mapping") if row.get(c)]


def read_hashes(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Path, size and sha256 of each file, in the order given."""
    return pd.DataFrame(
        [
            {"file": str(p), "bytes": Path(p).stat().st_size, "sha256": manifest.sha256(p)}
            for p in paths
        ],
        columns=["file", "bytes", "sha256"],
    )


def environment(packages: Sequence[str] = PACKAGES) -> pd.DataFrame:
    """Python's version and each installed package's, as the kernel sees them."""
    rows = [("Python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, version(name)))
        except PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["component", "version"])


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime: str


_MIME = {".png": "image/png", ".svg": "image/svg+xml"}


def read_figure(path: str | Path) -> Picture:
    """A PNG or SVG figure file, to be embedded in the page."""
    path = Path(path)
    if path.suffix not in _MIME:
        raise InputError(
            f"cannot embed a {path.suffix or 'suffix-less'} figure",
            file=path,
            hint="Write the write-up's figures as png or svg (figures.formats in config).",
        )
    return Picture(path.read_bytes(), _MIME[path.suffix])
