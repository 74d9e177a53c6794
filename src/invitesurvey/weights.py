"""Raking weights per wave: iterative proportional fitting to population margins, trimming,
a convergence record and Kish's design effects.

Raking is weightipy's (``weightipy.internal.rim.Rake``, the anesrake-style raking under
weightipy's ``Rim`` scheme, pinned to 0.4.x): it rakes over the margins in turn and, with
trimming bounds, caps the weights at ``[low, high]`` times the mean weight after each pass
and rescales them to mean 1. The ``Rake`` class is used directly because ``Rim`` does not
pass the convergence criterion on; here the passes run until the weights stop changing (or
``max_iterations``), and convergence is then judged on the margins themselves: converged when
every weighted share is within ``tolerance`` of its target.

Respondents who did not answer a raking variable cannot be raked on it: the others are raked
and they keep the mean weight (1), as the record counts (``unraked``). Weights have mean 1 in
each wave, so they sum to the wave's number of respondents.

weightipy is imported inside :func:`rake`: the design-effect helpers do not pay for it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from invitesurvey.codebook import Codebook, code_text
from invitesurvey.crosstab import code_indices, group_masks
from invitesurvey.errors import InputError

SUMMARY_COLUMNS = [
    "wave", "group", "n", "sum_weight", "weight_min", "weight_max", "weight_ratio",
    "deff_kish", "n_eff", "converged",
]  # fmt: skip
MARGIN_COLUMNS = ["wave", "variable", "code", "target", "unweighted", "weighted", "error"]
# weightipy stops when the weights' total change falls by less than this fraction per pass.
_STILL = 1e-12


def _codes_of(data: pd.DataFrame, book: Codebook, variable: str) -> np.ndarray:
    var = book[variable]
    if variable not in data:
        raise InputError(
            f"the clean data have no column {variable!r} to rake on",
            column=variable,
            hint="Re-run the cleaning step with the current codebook.",
        )
    indices = code_indices(data[variable], var)
    texts = np.asarray([code_text(c) for c in var.code_values], dtype=object)
    return np.where(indices >= 0, texts[np.maximum(indices, 0)], None)


def rake(
    data: pd.DataFrame,
    book: Codebook,
    margins: Mapping[str, Mapping[str, float]],
    *,
    trim: Sequence[float] | None,
    max_iterations: int,
    tolerance: float,
) -> tuple[pd.DataFrame, dict]:
    """Raked weights of one wave (``respondent_id``, ``weight``) and the convergence record.

    ``margins`` are the checked ``{variable: {code: share}}`` of :mod:`invitesurvey.margins`.
    A code of the margins that no respondent of the wave has cannot be reached: an error.
    """
    from weightipy.internal.rim import Rake

    wave = str(data["wave"].iloc[0]) if len(data) else "?"
    columns = {v: _codes_of(data, book, v) for v in margins}
    frame = pd.DataFrame(columns)
    complete = frame.notna().all(axis=1).to_numpy()
    for variable, shares in margins.items():
        present = set(frame.loc[complete, variable])
        absent = [c for c in shares if c not in present]
        if absent:
            raise InputError(
                f"wave {wave}: no respondent answered {variable}={absent[0]}, which has a "
                f"population share of {shares[absent[0]]:g}",
                column=variable,
                hint="Merge the code with another in the margins, or drop the variable.",
            )
    targets = [{v: {c: 100 * s for c, s in shares.items()}} for v, shares in margins.items()]
    raked = frame.loc[complete].reset_index(drop=True)
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # weightipy prints its notes
        engine = Rake(
            raked, targets, "weight", max_iterations=max_iterations, convcrit=_STILL,
            _use_cap=bool(trim), cap=max(trim) if trim else 10_000_000,
        )  # fmt: skip
        if trim:
            # Rake.start() takes a (low, high) cap, but its constructor checks the cap as one
            # number (weightipy 0.4.2), so the pair is set after construction.
            engine.cap = (float(trim[0]), float(trim[1]))
        iterations = engine.start()
    weights = np.ones(len(data))
    weights[complete] = engine.dataframe["weight"].to_numpy(dtype=float)
    weights /= weights.mean()
    achieved = margin_table(wave, frame, weights, margins)
    error = float(achieved["error"].abs().max())
    record = {
        "wave": wave,
        "method": "raking (iterative proportional fitting), weightipy Rake"
        + (f", weights trimmed to [{trim[0]:g}, {trim[1]:g}] x the mean" if trim else ""),
        "variables": list(margins),
        "respondents": len(data),
        "unraked": int((~complete).sum()),
        "iterations": int(iterations),
        "max_iterations": max_iterations,
        "tolerance": tolerance,
        "max_margin_error": error,
        "converged": bool(error <= tolerance),
        "trimmed_low": int(np.isclose(weights, trim[0], rtol=1e-3).sum()) if trim else 0,
        "trimmed_high": int(np.isclose(weights, trim[1], rtol=1e-3).sum()) if trim else 0,
        "messages": [line for line in said.getvalue().splitlines() if line.strip()],
        "margins": achieved.drop(columns="wave").to_dict(orient="records"),
    }
    ids = data["respondent_id"].astype("string").reset_index(drop=True)
    return pd.DataFrame({"respondent_id": ids, "weight": weights}), record


def margin_table(
    wave: str, frame: pd.DataFrame, weights: np.ndarray, margins: Mapping[str, Mapping]
) -> pd.DataFrame:
    """Per raking variable and code: target, unweighted and weighted share, their error,
    among the respondents who answered the variable."""
    rows = []
    for variable, shares in margins.items():
        answered = frame[variable].notna().to_numpy()
        values = frame[variable].to_numpy(dtype=object)
        total = weights[answered].sum()
        for code, target in shares.items():
            hit = answered & (values == code)
            # Rounded to 1e-12: the last bits of a sum are not worth a byte-level difference.
            weighted = round(float(weights[hit].sum() / total), 12)
            rows.append(
                {"wave": wave, "variable": variable, "code": code, "target": target,
                 "unweighted": float(hit.sum() / answered.sum()), "weighted": weighted,
                 "error": round(weighted - target, 12)}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=MARGIN_COLUMNS)


def design_effects(weights: np.ndarray) -> dict[str, float]:
    """Kish's design effect of unequal weights, ``n * sum(w^2) / sum(w)^2``, the effective
    sample size ``n / deff``, and the weights' range."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    if n == 0:
        return {"n": 0, "sum_weight": 0.0, "weight_min": np.nan, "weight_max": np.nan,
                "weight_ratio": np.nan, "deff_kish": np.nan, "n_eff": 0.0}  # fmt: skip
    deff = float(n * (w**2).sum() / w.sum() ** 2)
    return {
        "n": n,
        "sum_weight": float(w.sum()),
        "weight_min": float(w.min()),
        "weight_max": float(w.max()),
        "weight_ratio": float(w.max() / w.min()),
        "deff_kish": deff,
        "n_eff": n / deff,
    }


def summary(
    data: pd.DataFrame, weights: pd.DataFrame, book: Codebook, *, converged: bool
) -> pd.DataFrame:
    """One row per group (recruiters, non-recruiters, all) of one wave: n, the weights' sum
    and range, Kish's design effect and effective sample size."""
    from invitesurvey.survey import attach

    w = attach(data, weights)
    wave = str(data["wave"].iloc[0])
    groups = group_masks(data, book)
    rows = [
        {"wave": wave, "group": g, **design_effects(w[rows]), "converged": converged}
        for g, rows in groups.items()
    ]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype({"n": np.int64})
