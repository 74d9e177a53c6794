"""Tables the write-up shows for raked waves: weighted beside unweighted, design effects.

Pure functions from the weighted result tables (docs/architecture.md, "Weighted tables") to
display frames with readable column names and formatted numbers; nothing here reads a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from invitesurvey.present import GROUP_NAMES, interval, percent


def stack(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One table over waves from per-wave tables of equal columns, in the given order; wave
    ids and codes kept as text."""
    frames = [t for t in tables if len(t.columns)]
    if not frames:
        return pd.DataFrame()
    stacked = pd.concat(frames, ignore_index=True)
    for column in ("wave", "code", "row"):
        if column in stacked:
            stacked[column] = stacked[column].astype("string")
    return stacked


def comparison(weighted: pd.DataFrame, variable: str, *, wave: str) -> pd.DataFrame:
    """Unweighted against weighted share per group and code of one item in one raked wave,
    with the weighted share's Korn-Graubard interval and the effective base.

    ``weighted`` is ``weighted_crosstabs.csv`` (or ``weighted_multiple.csv``). Columns:
    Group, Answer, Unweighted, Weighted, 95% interval (the level of the table), Effective
    base, Design effect.
    """
    rows = weighted[
        (weighted["wave"].astype(str) == str(wave)) & (weighted["variable"] == variable)
    ]
    if rows.empty:
        raise KeyError(f"no weighted rows for {variable!r} in wave {wave}")
    return pd.DataFrame(
        {
            "Group": rows["group"].map(GROUP_NAMES).to_numpy(),
            "Answer": rows["label"].to_numpy(),
            "Unweighted": [percent(p) for p in rows["prop_unweighted"]],
            "Weighted": [percent(p) for p in rows["prop"]],
            "Interval": [
                interval(lo, hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "Effective base": [f"{n:.0f}" for n in rows["n_eff"]],
            "Design effect": ["" if not np.isfinite(d) else f"{d:.2f}" for d in rows["deff"]],
        }
    )


def largest_shifts(weighted: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """The ``top`` shares that weighting moves most (absolute points), largest first: Wave,
    Group, Item, Answer, Unweighted, Weighted, Shift (percentage points, signed)."""
    shift = (weighted["prop"] - weighted["prop_unweighted"]).to_numpy(dtype=float)
    order = np.argsort(-np.nan_to_num(np.abs(shift)), kind="stable")[:top]
    rows = weighted.iloc[order]
    return pd.DataFrame(
        {
            "Wave": rows["wave"].astype(str).to_numpy(),
            "Group": rows["group"].map(GROUP_NAMES).to_numpy(),
            "Item": rows["variable"].to_numpy(),
            "Answer": rows["label"].to_numpy(),
            "Unweighted": [percent(p) for p in rows["prop_unweighted"]],
            "Weighted": [percent(p) for p in rows["prop"]],
            "Shift": [f"{100 * s:+.1f} pts" for s in shift[order]],
        }
    )


def design_effects(summary: pd.DataFrame) -> pd.DataFrame:
    """The weights table (``tables/weights.csv``) for reading: Wave, Group, Respondents,
    Effective sample size, Design effect (Kish), Weights (range), Converged."""
    return pd.DataFrame(
        {
            "Wave": summary["wave"].astype(str).to_numpy(),
            "Group": summary["group"].map(GROUP_NAMES).to_numpy(),
            "Respondents": summary["n"].astype(int).to_numpy(),
            "Effective sample size": [f"{n:.1f}" for n in summary["n_eff"]],
            "Design effect": [f"{d:.2f}" for d in summary["deff_kish"]],
            "Weights": [
                f"{lo:.2f} to {hi:.2f}"
                for lo, hi in zip(summary["weight_min"], summary["weight_max"], strict=True)
            ],
            "Converged": np.where(summary["converged"].astype(bool), "yes", "NO"),
        }
    )


def model_comparison(coefficients: pd.DataFrame) -> pd.DataFrame:
    """``weighted_coefficients.csv`` for reading: Term, odds ratio unweighted and weighted,
    the weighted interval, and the design effect of each coefficient's variance."""
    return pd.DataFrame(
        {
            "Term": coefficients["term"].to_numpy(),
            "Odds ratio, unweighted": [
                f"{np.exp(b):.2f}" for b in coefficients["estimate_unweighted"]
            ],
            "Odds ratio, weighted": [f"{r:.2f}" for r in coefficients["odds_ratio"]],
            "Weighted interval": [
                f"{lo:.2f} to {hi:.2f}"
                for lo, hi in zip(
                    coefficients["or_ci_low"], coefficients["or_ci_high"], strict=True
                )
            ],
            "Design effect": [f"{d:.2f}" for d in coefficients["deff"]],
        }
    )
