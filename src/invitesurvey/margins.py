"""Population margins per wave, read and checked while the workflow builds its DAG.

A wave's margins come from ``weights.margins.{wave}`` in the config or from the YAML file the
waves sheet names in its ``margins`` column (never both): ``{variable: {code: share}}``, each
variable a boolean or categorical codebook item, each code one of its codes, the shares of a
variable adding up to 1. A wave without margins is not weighted.

Only PyYAML (through :mod:`invitesurvey.yamlfile`) and the error type are imported, so the
workflow can call this without importing pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from invitesurvey.errors import InputError
from invitesurvey.yamlfile import load

# Shares of one variable must add up to 1 within this (they are written with a few decimals).
SUM_TOLERANCE = 1e-6
RAKED_TYPES = ("boolean", "categorical")
_HINT = (
    "Margins are {variable: {code: share}} with codebook variables and codes and shares "
    "adding up to 1 per variable (docs/architecture.md, 'Weighted tables')."
)


def _code_text(code: object) -> str:
    return str(code).lower() if isinstance(code, bool) else str(code)


def codebook_codes(codebook_path: str | Path) -> dict[str, list[str]]:
    """Boolean and categorical codebook variables -> their codes as text."""
    raw = load(codebook_path, "codebook") or {}
    return {
        v["name"]: [_code_text(c["code"]) for c in v.get("codes") or []]
        for v in raw.get("variables") or []
        if v.get("type") in RAKED_TYPES and not v.get("personal", False)
    }


def check(margins: object, codes: Mapping[str, list[str]], where: str) -> dict:
    """One wave's margins as ``{variable: {code: share}}`` (codes as text), or an InputError
    naming ``where`` (the file and key) and the misfit."""
    if not isinstance(margins, Mapping) or not margins:
        raise InputError(f"{where}: margins must map codebook variables to shares", hint=_HINT)
    checked: dict[str, dict[str, float]] = {}
    for variable, shares in margins.items():
        key = f"{where}.{variable}"
        if variable not in codes:
            known = ", ".join(codes)
            raise InputError(
                f"{key}: {variable!r} is not a boolean or categorical codebook variable",
                hint=f"Use one of {known}.",
            )
        if not isinstance(shares, Mapping) or not shares:
            raise InputError(f"{key}: give each code's population share", hint=_HINT)
        row: dict[str, float] = {}
        for code, share in shares.items():
            text = _code_text(code)
            if text not in codes[variable]:
                raise InputError(
                    f"{key}: {text!r} is not a code of {variable!r}",
                    hint=f"Use its codes: {', '.join(codes[variable])}.",
                )
            if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
                raise InputError(
                    f"{key}.{text}: the share {share!r} is not a number between 0 and 1",
                    hint="A code nobody in the population has cannot be raked to; drop it.",
                )
            row[text] = float(share)
        total = sum(row.values())
        if abs(total - 1) > SUM_TOLERANCE:
            raise InputError(
                f"{key}: the shares add up to {total:.6g}, not 1",
                hint="List every code of the variable with shares adding up to 1.",
            )
        checked[str(variable)] = row
    return checked


def wave_margins(
    config_margins: Mapping[str, object] | None,
    sheet: Mapping[str, Mapping[str, str]],
    codebook_path: str | Path,
    *,
    config_file: str = "the configuration",
    sheet_file: str = "the waves sheet",
) -> dict[str, dict]:
    """Every weighted wave's checked margins, by wave id in sheet order.

    ``config_margins`` is ``weights.margins`` of the config; ``sheet`` the waves sheet's rows
    by wave id, whose optional ``margins`` column names a YAML file.
    """
    config_margins = dict(config_margins or {})
    stray = sorted(set(map(str, config_margins)) - set(sheet))
    if stray:
        raise InputError(
            f"{config_file}: weights.margins.{stray[0]}: there is no such wave in {sheet_file}",
            hint=f"The waves are {', '.join(sheet)}.",
        )
    codes = codebook_codes(codebook_path)
    result: dict[str, dict] = {}
    for wave, row in sheet.items():
        path = (row.get("margins") or "").strip()
        in_config = {str(k): v for k, v in config_margins.items()}.get(wave)
        if path and in_config is not None:
            raise InputError(
                f"wave {wave}: margins are given both in {config_file} (weights.margins.{wave}) "
                f"and in {sheet_file} (column 'margins': {path})",
                hint="Keep one of the two.",
            )
        if path:
            result[wave] = check(load(path, "margins file"), codes, path)
        elif in_config is not None:
            result[wave] = check(in_config, codes, f"{config_file}: weights.margins.{wave}")
    return result
