"""Deterministic, atomic reading and writing of the files that pass between rules."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import yaml

from invitesurvey.errors import InputError

FLOAT_FORMAT = "%.6f"


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
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV for auditing: no index, ``\\n`` line ends, floats at six decimals."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n", float_format=FLOAT_FORMAT)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_table`, codes kept as text."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"code": "string"})


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Typed respondent-level data between rules."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def read_parquet(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path, engine="pyarrow")


def read_waves(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Stack the cleaned waves; the ``wave`` column keeps them apart."""
    frames = [read_parquet(p) for p in paths]
    pooled = pd.concat(frames, ignore_index=True)
    for column, dtype in frames[0].dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            pooled[column] = pooled[column].astype(dtype)
    return pooled


def _rounded(value: object) -> object:
    """Floats to ten significant digits, in any nesting: the last bits of an iterative fit
    may differ between BLAS builds, and no reader needs them."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


def write_json(data: object, path: str | Path) -> None:
    """Sorted keys, two-space indent, rounded floats and a final newline: the same bytes."""
    with atomic_path(path) as tmp:
        text = json.dumps(_rounded(data), indent=2, sort_keys=True, default=str)
        tmp.write_text(text + "\n")


def read_yaml(path: str | Path, what: str) -> dict:
    """A YAML configuration file as a dict (empty if the file is); ``what`` names it in errors."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"cannot read the {what}: {error}", file=path) from error


def read_json(path: str | Path) -> object:
    return json.loads(Path(path).read_text(encoding="utf-8"))
