"""Tables of the follow-up question types: select-all, grid and numeric questions.

Each function takes the pooled clean frame (``io.read_waves``) and returns a frame with the
columns fixed in ``docs/architecture.md`` ("Follow-up question types"). Groups are those of
:func:`invitesurvey.crosstab.by_group`: recruiters, non-recruiters and all (which also holds
respondents whose recruiter status is missing). A wave that did not ask a question (all its
columns missing) has no rows for it, and the pooled rows (``wave`` = ``all``) pool only the
waves that asked it.

The numeric questions' statistics (:func:`summary`, :func:`mann_whitney`) are written out
on ``scipy.special`` and checked against ``scipy.stats`` in the tests: without the
``scipy.stats`` import a wave's tables job takes 1.3 CPU-seconds instead of 2.0.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from math import comb

import numpy as np
import pandas as pd

from invitesurvey.codebook import Codebook, Variable, code_text
from invitesurvey.crosstab import (
    GROUP_VARIABLE,
    GROUPS,
    POOLED,
    TABLE_COLUMNS,
    code_indices,
    differences,
    group_masks,
    wave_ids,
    wilson,
)
from invitesurvey.errors import InputError

MULTIPLE_COLUMNS = TABLE_COLUMNS
GRID_COLUMNS = [
    "wave", "group", "variable", "row", "row_label", "code", "label",
    "n", "base", "prop", "ci_low", "ci_high", "low_base",
]  # fmt: skip
GRID_TOP_COLUMNS = [
    "wave", "group", "variable", "row", "row_label", "top_codes",
    "n", "base", "prop", "ci_low", "ci_high", "low_base",
]  # fmt: skip
NUMERIC_COLUMNS = [
    "wave", "group", "variable", "n", "mean", "mean_ci_low", "mean_ci_high",
    "median", "median_ci_low", "median_ci_high", "q1", "q3", "min", "max",
]  # fmt: skip
NUMERIC_TEST_COLUMNS = ["wave", "variable", "test", "statistic", "p_value"]
BIN_COLUMNS = ["wave", "group", "variable", "bin_low", "bin_high", "n"]
MANN_WHITNEY = "mann_whitney_u"
NOT_TESTABLE = "not_testable"
HINT = "Re-run the cleaning step with the current codebook."
_RANKS = ["wave_rank", "group_rank", "variable_rank", "part_rank", "code_rank"]


def _require(data: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in data]
    if missing:
        raise InputError(
            f"the clean data have no column {missing[0]!r}", column=missing[0], hint=HINT
        )


def _cells(
    data: pd.DataFrame, book: Codebook, asked: np.ndarray, *, pooled: bool
) -> Iterator[tuple[int, str, int, str, np.ndarray]]:
    """(wave rank, wave, group rank, group, rows) of every cell a question's table has.

    ``asked`` marks the respondents with any answer to the question: a wave without one did
    not ask it and has no cell; the pool (``all``) holds only the waves that asked.
    """
    _require(data, [GROUP_VARIABLE])
    waves = wave_ids(data)
    wave_of = data["wave"].astype("string").to_numpy(dtype=object)
    groups = group_masks(data, book)
    scopes = [(w, wave_of == w) for w in waves[:-1]]
    scopes = [(w, rows) for w, rows in scopes if asked[rows].any()]
    if pooled and scopes:
        scopes.append((POOLED, np.isin(wave_of, [w for w, _ in scopes])))
    for wave, in_wave in scopes:
        for group, in_group in groups.items():
            yield waves.index(wave), wave, GROUPS.index(group), group, in_wave & in_group


def _sorted(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows by wave (ids, then ``all``), group, variable, then codebook order of parts/codes."""
    frame = pd.DataFrame(rows, columns=[*columns, *_RANKS])
    return frame.sort_values(_RANKS, kind="stable", ignore_index=True)[columns]


def _with_shares(frame: pd.DataFrame, level: float, min_base: int) -> pd.DataFrame:
    """``prop``, its Wilson interval and ``low_base`` from ``n`` and ``base``."""
    n = frame["n"].to_numpy(dtype=float)
    base = frame["base"].to_numpy(dtype=float)
    low, high = wilson(n, base, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = n / base
    return frame.assign(
        n=frame["n"].astype(np.int64),
        base=frame["base"].astype(np.int64),
        prop=prop,
        ci_low=low,
        ci_high=high,
        low_base=base < min_base,
    )


def _chosen(data: pd.DataFrame, var: Variable) -> tuple[np.ndarray, np.ndarray]:
    """A select-all question's choices (respondents x options) and who answered it.

    Its columns are missing together (the question not answered) or not at all; a respondent
    with only some missing breaks the clean-data contract and is named in the error.
    """
    _require(data, var.columns)
    try:
        parts = data[var.columns].astype("boolean")
    except (TypeError, ValueError) as error:
        raise InputError(
            f"the columns of {var.name!r} are not true/false: {error}", column=var.name, hint=HINT
        ) from error
    missing = parts.isna().to_numpy()
    partial = np.flatnonzero(missing.any(axis=1) & ~missing.all(axis=1))
    if partial.size:
        at = partial[0]
        who = data["respondent_id"].iloc[at] if "respondent_id" in data else f"row {at + 1}"
        raise InputError(
            f"respondent {who} answered only some options of {var.name!r}",
            column=var.columns[int(np.flatnonzero(missing[at])[0])],
            hint=f"A select-all question's columns are missing together. {HINT}",
        )
    return parts.fillna(False).to_numpy(dtype=bool), ~missing.any(axis=1)


def multiple(
    data: pd.DataFrame, book: Codebook, *, level: float, min_base: int, pooled: bool = True
) -> pd.DataFrame:
    """One row per wave x group x select-all question x option (``other`` last): the share
    choosing the option among those who answered the question, with a Wilson interval.

    The base counts the group's respondents who answered the question (its columns not
    missing), so each option's share is of the same base and the shares of one question do
    not add to 100%. ``pooled=False`` leaves out the pooled rows, for one wave's own tables.
    """
    rows = []
    for var_rank, var in enumerate(book.of_type("multiple")):
        chosen, answered = _chosen(data, var)
        for wave_rank, wave, group_rank, group, cell in _cells(data, book, answered, pooled=pooled):
            base = int((answered & cell).sum())
            counts = chosen[answered & cell].sum(axis=0)
            for rank, (option, n) in enumerate(zip(var.options, counts, strict=True)):
                rows.append(
                    {
                        "wave": wave, "group": group, "variable": var.name,
                        "code": code_text(option.code), "label": option.label,
                        "n": int(n), "base": base,
                        "wave_rank": wave_rank, "group_rank": group_rank,
                        "variable_rank": var_rank, "part_rank": 0, "code_rank": rank,
                    }
                )  # fmt: skip
    table = _sorted(rows, ["wave", "group", "variable", "code", "label", "n", "base"])
    return _with_shares(table, level, min_base)[MULTIPLE_COLUMNS]


def multiple_differences(table: pd.DataFrame, *, level: float) -> pd.DataFrame:
    """Recruiters minus non-recruiters per wave, select-all question and option (Newcombe).

    ``table`` is :func:`multiple`'s; the columns are those of ``differences.csv``.
    """
    return differences(table, level=level)


def _grid_codes(data: pd.DataFrame, var: Variable) -> np.ndarray:
    """Each respondent's scale position (respondents x rows); -1 where a row is unanswered."""
    _require(data, var.columns)
    return np.stack([code_indices(data[c], var) for c in var.columns], axis=1)


def _grid_rows(
    data: pd.DataFrame, book: Codebook, pooled: bool
) -> Iterator[tuple[Variable, int, dict, np.ndarray, np.ndarray]]:
    """(grid, its rank, the cell's keys, answer counts per row x code, base per row)."""
    for var_rank, var in enumerate(book.of_type("grid")):
        codes = _grid_codes(data, var)
        asked = (codes >= 0).any(axis=1)
        width = len(var.codes)
        for wave_rank, wave, group_rank, group, cell in _cells(data, book, asked, pooled=pooled):
            answers = codes[cell]
            counts = np.stack(
                [np.bincount(column[column >= 0], minlength=width) for column in answers.T]
            ).reshape(len(var.rows), width)
            keys = {
                "wave": wave, "group": group, "variable": var.name,
                "wave_rank": wave_rank, "group_rank": group_rank, "variable_rank": var_rank,
            }  # fmt: skip
            yield var, var_rank, keys, counts, counts.sum(axis=1)


def grid(
    data: pd.DataFrame, book: Codebook, *, level: float, min_base: int, pooled: bool = True
) -> pd.DataFrame:
    """One row per wave x group x grid x row x scale code: each row's distribution over the
    scale, with a Wilson interval; the base counts the group's respondents who answered that
    row. ``pooled=False`` leaves out the pooled rows."""
    rows = []
    for var, _, keys, counts, bases in _grid_rows(data, book, pooled):
        for row_rank, row in enumerate(var.rows):
            for code_rank, answer in enumerate(var.codes):
                rows.append(
                    {
                        **keys, "row": code_text(row.code), "row_label": row.label,
                        "code": code_text(answer.code), "label": answer.label,
                        "n": int(counts[row_rank, code_rank]), "base": int(bases[row_rank]),
                        "part_rank": row_rank, "code_rank": code_rank,
                    }
                )  # fmt: skip
    columns = ["wave", "group", "variable", "row", "row_label", "code", "label", "n", "base"]
    return _with_shares(_sorted(rows, columns), level, min_base)[GRID_COLUMNS]


def top_codes(var: Variable) -> str:
    """The top-box codes of a grid as written in ``grid_top.csv``: ``always+usually``."""
    return "+".join(code_text(c) for c in var.code_values[: var.top_box])


def grid_top(
    data: pd.DataFrame, book: Codebook, *, level: float, min_base: int, pooled: bool = True
) -> pd.DataFrame:
    """One row per wave x group x grid x row: the share answering one of the first
    ``top_box`` scale codes (the top box), of those who answered the row, with a Wilson
    interval. ``pooled=False`` leaves out the pooled rows."""
    rows = []
    for var, _, keys, counts, bases in _grid_rows(data, book, pooled):
        for row_rank, row in enumerate(var.rows):
            rows.append(
                {
                    **keys, "row": code_text(row.code), "row_label": row.label,
                    "top_codes": top_codes(var), "n": int(counts[row_rank, : var.top_box].sum()),
                    "base": int(bases[row_rank]), "part_rank": row_rank, "code_rank": 0,
                }
            )  # fmt: skip
    columns = ["wave", "group", "variable", "row", "row_label", "top_codes", "n", "base"]
    return _with_shares(_sorted(rows, columns), level, min_base)[GRID_TOP_COLUMNS]


def _numbers(data: pd.DataFrame, var: Variable) -> np.ndarray:
    """A numeric question's answers as floats, NaN where missing."""
    _require(data, [var.name])
    try:
        values = data[var.name].astype("Float64")
    except (TypeError, ValueError) as error:
        raise InputError(
            f"{var.name!r} is not numeric: {error}", column=var.name, hint=HINT
        ) from error
    return values.to_numpy(dtype=float, na_value=np.nan)


def median_interval(n: int, level: float) -> tuple[int, int]:
    """0-based order statistics ``(low, high)`` of the distribution-free interval for the
    median of ``n`` answers: ``low`` is one less than the binomial(n, 1/2) quantile at
    ``(1 - level) / 2`` and ``high`` its upper quantile, as
    ``scipy.stats.quantile_test(...).confidence_interval`` chooses them. ``low`` is -1 and
    ``high`` is n where ``n`` is too small for an interval at ``level``.

    Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999, section 3.2. Each quantile
    is the smallest k with ``P(X <= k) >= a`` (lower) or ``P(X > k) <= a`` (upper), found by
    bisection on ``scipy.special.bdtr`` and ``bdtrc``.
    """
    from scipy.special import bdtr, bdtrc

    tail = (1 - level) / 2

    def smallest(holds) -> int:
        low, high = 0, n
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if holds(middle) else (middle + 1, high)
        return low

    lower = smallest(lambda k: bdtr(k, n, 0.5) >= tail)
    upper = smallest(lambda k: bdtrc(k, n, 0.5) <= tail)
    return lower - 1, upper


def summary(values: np.ndarray, level: float) -> dict[str, float]:
    """n, mean with a t interval, median with a distribution-free interval, quartiles, range.

    The mean's interval is ``mean ± t(level, n - 1) * s / sqrt(n)`` (the t quantile is
    ``scipy.special.stdtrit``, as ``scipy.stats.t.ppf``): empty for n < 2, the mean itself
    when every answer is the same. The median's interval is the binomial order-statistic
    interval (:func:`median_interval`): two order statistics that cover the median with at
    least ``level`` probability for any continuous distribution; empty when n is too small
    for that (n < 6 at 95%). Quartiles interpolate linearly between order statistics (numpy's
    default, Hyndman and Fan's type 7).
    """
    from scipy.special import stdtrit

    x = np.asarray(values, dtype=float)
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    out = dict.fromkeys(NUMERIC_COLUMNS[4:], np.nan)
    out["n"] = n
    if n == 0:
        return out
    mean = float(x.mean())
    half = np.nan
    if n > 1:
        sem = float(np.std(x, ddof=1) / n**0.5)
        half = 0.0 if sem == 0 else float(stdtrit(n - 1, 0.5 + level / 2) * sem)
    low, high = median_interval(n, level)
    q1, q3 = np.quantile(x, [0.25, 0.75])
    out |= {
        "mean": mean,
        "mean_ci_low": mean - half,
        "mean_ci_high": mean + half,
        "median": float(np.median(x)),
        "median_ci_low": float(x[low]) if low >= 0 else np.nan,
        "median_ci_high": float(x[high]) if high < n else np.nan,
        "q1": float(q1),
        "q3": float(q3),
        "min": float(x[0]),
        "max": float(x[-1]),
    }
    return out


def numeric(
    data: pd.DataFrame, book: Codebook, *, level: float, pooled: bool = True
) -> pd.DataFrame:
    """One row per wave x group x numeric question: :func:`summary` of the group's answers.

    Respondents who did not answer are left out (``n`` counts the answers). A group with no
    answers in a wave that asked has ``n`` = 0 and the rest empty. ``pooled=False`` leaves out
    the pooled rows.
    """
    rows = []
    for var_rank, var in enumerate(book.of_type("numeric")):
        values = _numbers(data, var)
        asked = ~np.isnan(values)
        for wave_rank, wave, group_rank, group, cell in _cells(data, book, asked, pooled=pooled):
            rows.append(
                {
                    "wave": wave, "group": group, "variable": var.name,
                    **summary(values[cell], level),
                    "wave_rank": wave_rank, "group_rank": group_rank,
                    "variable_rank": var_rank, "part_rank": 0, "code_rank": 0,
                }
            )  # fmt: skip
    table = _sorted(rows, NUMERIC_COLUMNS)
    return table.astype({"n": np.int64, **dict.fromkeys(NUMERIC_COLUMNS[4:], float)})


def _u_at_most(u: float, m: int, n: int) -> float:
    """P(U <= u) for the Mann-Whitney U of samples of m and n without ties, exactly.

    The orderings with each U are counted by the coefficients of the Gaussian binomial
    ``[m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)`` (Andrews, *The Theory of
    Partitions*, 1976, theorem 3.1), expanded only up to ``q^u``; dividing by ``1 - q^i`` is a
    running sum over every i-th coefficient. The counts are exact while below 2^53.
    """
    size = int(np.floor(u)) + 1
    counts = np.zeros(size)
    counts[0] = 1.0
    for i in range(1, min(m, n) + 1):
        shift = max(m, n) + i
        if shift < size:
            counts[shift:] -= counts[:-shift].copy()
        for start in range(min(i, size)):
            counts[start::i] = np.cumsum(counts[start::i])
    return float(counts.sum() / comb(m + n, m))


def mann_whitney(recruiters: np.ndarray, non_recruiters: np.ndarray) -> dict[str, object]:
    """Two-sided Mann-Whitney U test of recruiters against non-recruiters.

    As ``scipy.stats.mannwhitneyu`` with its defaults computes it: ``statistic`` is the
    recruiters' U from mid-ranks, and the p-value is twice the upper tail of the larger U,
    at most 1. The tail is exact (:func:`_u_at_most`, by symmetry) when a group has at most 8
    answers and none is tied; otherwise the normal approximation with the tie-corrected variance
    ``m n / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1)))`` and a continuity correction of 1/2
    (Lehmann, *Nonparametrics*, 1975, section 1.4). Not testable when either group has no
    answer.
    """
    if len(recruiters) == 0 or len(non_recruiters) == 0:
        return {"test": NOT_TESTABLE, "statistic": np.nan, "p_value": np.nan}
    from scipy.special import ndtr

    m, n = len(recruiters), len(non_recruiters)
    _, position, ties = np.unique(
        np.concatenate([recruiters, non_recruiters]), return_inverse=True, return_counts=True
    )
    mid_ranks = np.cumsum(ties) - (ties - 1) / 2
    u1 = float(mid_ranks[position[:m]].sum() - m * (m + 1) / 2)
    u = max(u1, m * n - u1)
    if min(m, n) <= 8 and (ties == 1).all():
        p = 2 * _u_at_most(m * n - u, m, n)
    else:
        total = m + n
        tie_term = float(np.sum(ties.astype(float) ** 3 - ties))
        s = np.sqrt(m * n / 12 * ((total + 1) - tie_term / (total * (total - 1))))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * float(ndtr(-(u - m * n / 2 - 0.5) / s))
    return {"test": MANN_WHITNEY, "statistic": u1, "p_value": min(max(p, 0.0), 1.0)}


def numeric_tests(data: pd.DataFrame, book: Codebook, *, pooled: bool = True) -> pd.DataFrame:
    """One row per wave x numeric question: :func:`mann_whitney` of the two groups' answers.

    The pooled row pools the answers of the waves that asked, without stratifying by wave.
    ``pooled=False`` leaves out the pooled rows.
    """
    rows = []
    for var_rank, var in enumerate(book.of_type("numeric")):
        values = _numbers(data, var)
        cells: dict[tuple[int, str], dict[str, np.ndarray]] = {}
        for wave_rank, wave, _, group, cell in _cells(data, book, ~np.isnan(values), pooled=pooled):
            answers = values[cell]
            cells.setdefault((wave_rank, wave), {})[group] = answers[~np.isnan(answers)]
        for (wave_rank, wave), groups in cells.items():
            rows.append(
                {
                    "wave": wave, "variable": var.name,
                    **mann_whitney(groups["recruiters"], groups["non_recruiters"]),
                    "wave_rank": wave_rank, "group_rank": 0, "variable_rank": var_rank,
                    "part_rank": 0, "code_rank": 0,
                }
            )  # fmt: skip
    table = _sorted(rows, NUMERIC_TEST_COLUMNS)
    return table.astype({"statistic": float, "p_value": float})


def log_bins(var: Variable) -> list[tuple[float, float]]:
    """The bins of a numeric question's distribution, ``(bin_low, bin_high)``, from its
    codebook range so every wave and the pool share them.

    Zero has its own bin ``(0, 0)``. Positive numbers fall in half-open bins ``[low, high)``
    whose edges run 1, 3, 10, 30, 100, ... (near-even steps of half a decade on a log axis)
    until one passes the maximum. Where the range allows them, answers between 0 and 1 (a
    question taking decimals) have the bin ``(0, 1)``, open at both ends, and negative answers
    the bin ``[min, 0)``.
    """
    rule = var.numeric
    if rule is None:
        raise ValueError(f"{var.name!r} is not a numeric question")
    bins: list[tuple[float, float]] = []
    if rule.minimum < 0:
        bins.append((rule.minimum, 0.0))
    if rule.minimum <= 0 <= rule.maximum:
        bins.append((0.0, 0.0))
    if not rule.integer and rule.minimum < 1 and rule.maximum > 0:
        bins.append((0.0, 1.0))
    edges = [m * 10.0**k for k in range(16) for m in (1, 3)]
    low = max((e for e in edges if e <= max(rule.minimum, 1)), default=1.0)
    steps = [e for e in edges if low <= e <= rule.maximum]
    if steps:
        steps.append(next(e for e in edges if e > rule.maximum))
    bins += list(pairwise(steps))
    return bins


def _bin_of(values: np.ndarray, bins: list[tuple[float, float]]) -> np.ndarray:
    """Each value's bin index in ``bins``; -1 for a value in none of them."""
    index = np.full(len(values), -1)
    for i, (low, high) in enumerate(bins):
        if low == high:
            inside = values == low
        elif low == 0:
            inside = (values > 0) & (values < high)
        else:
            inside = (values >= low) & (values < high)
        index[inside & (index < 0)] = i
    return index


def numeric_bins(data: pd.DataFrame, book: Codebook, *, pooled: bool = True) -> pd.DataFrame:
    """One row per wave x group x numeric question x bin of :func:`log_bins`: the count of
    answers in it (0 included), for the distribution figure. ``pooled=False`` leaves out the
    pooled rows."""
    rows = []
    for var_rank, var in enumerate(book.of_type("numeric")):
        values = _numbers(data, var)
        bins = log_bins(var)
        at = _bin_of(values, bins)
        outside = np.flatnonzero(~np.isnan(values) & (at < 0))
        if outside.size:
            raise InputError(
                f"{var.name!r} holds {values[outside[0]]:g}, outside its codebook range",
                column=var.name,
                hint=f"Cleaning sets numbers out of range to missing. {HINT}",
            )
        for wave_rank, wave, group_rank, group, cell in _cells(
            data, book, ~np.isnan(values), pooled=pooled
        ):
            counts = np.bincount(at[cell & (at >= 0)], minlength=len(bins))
            for rank, ((low, high), n) in enumerate(zip(bins, counts, strict=True)):
                rows.append(
                    {
                        "wave": wave, "group": group, "variable": var.name,
                        "bin_low": low, "bin_high": high, "n": int(n),
                        "wave_rank": wave_rank, "group_rank": group_rank,
                        "variable_rank": var_rank, "part_rank": 0, "code_rank": rank,
                    }
                )  # fmt: skip
    table = _sorted(rows, BIN_COLUMNS)
    return table.astype({"bin_low": float, "bin_high": float, "n": np.int64})


def item_tables(
    data: pd.DataFrame, book: Codebook, *, level: float, min_base: int, pooled: bool = True
) -> dict[str, pd.DataFrame]:
    """Every table of the follow-up question types, by output name (``multiple`` ...)."""
    shares = {"level": level, "min_base": min_base, "pooled": pooled}
    table = multiple(data, book, **shares)
    return {
        "multiple": table,
        "multiple_differences": multiple_differences(table, level=level),
        "grid": grid(data, book, **shares),
        "grid_top": grid_top(data, book, **shares),
        "numeric": numeric(data, book, level=level, pooled=pooled),
        "numeric_tests": numeric_tests(data, book, pooled=pooled),
        "numeric_bins": numeric_bins(data, book, pooled=pooled),
    }
