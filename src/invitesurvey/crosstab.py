"""Answer shares by recruiter status: cross-tabulations, differences, tests and wave changes.

Every function takes the pooled clean frame or the cross-tabulation built from it and returns
a new frame with the columns fixed in ``docs/architecture.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from invitesurvey.codebook import Codebook, Variable, code_text
from invitesurvey.errors import InputError

GROUP_VARIABLE = "recruiter"
GROUPS = ("recruiters", "non_recruiters", "all")
POOLED = "all"
MIN_EXPECTED = 5
# Tables with more respondents than this get the Monte Carlo Fisher-Freeman-Halton test instead
# of the exact one (config tests.exact_limit); 2 x 2 tables are always exact.
EXACT_LIMIT = 1000
# Relative tolerance for "as or less probable than the observed table", as in R's fisher.test:
# tables equal in probability must not drop out through rounding of the log-probabilities.
LOG_TOLERANCE = 1e-7

TABLE_COLUMNS = [
    "wave", "group", "variable", "code", "label",
    "n", "base", "prop", "ci_low", "ci_high", "low_base",
]  # fmt: skip
DIFFERENCE_COLUMNS = [
    "wave", "variable", "code", "label",
    "prop_recruiters", "prop_non_recruiters", "diff", "ci_low", "ci_high", "p_value", "p_holm",
]  # fmt: skip
TEST_COLUMNS = ["wave", "variable", "test", "statistic", "dof", "p_value", "p_holm", "min_expected"]
CHANGE_COLUMNS = [
    "group", "variable", "code", "label", "wave_from", "wave_to",
    "prop_from", "prop_to", "diff", "ci_low", "ci_high", "p_value", "p_holm",
]  # fmt: skip


@dataclass(frozen=True)
class Counts:
    """Answer counts of one item: ``counts[wave, status, code]``.

    Waves are the sorted wave ids then the pool (``all``); status is recruiter, non-recruiter,
    recruiter status missing; codes are in codebook order, then item non-response last.
    """

    variable: Variable
    waves: tuple[str, ...]
    counts: np.ndarray


def wave_ids(data: pd.DataFrame) -> list[str]:
    """The wave ids of the frame, sorted as text, then ``all`` for the pool."""
    if "wave" not in data:
        raise InputError(
            "the clean data have no 'wave' column",
            column="wave",
            hint="Pool the waves with a 'wave' column holding each wave id.",
        )
    waves = data["wave"].astype("string")
    if waves.isna().any():
        raise InputError(
            "a respondent has no wave id", column="wave", hint="Give every row its wave id."
        )
    ids = sorted(waves.unique())
    if POOLED in ids:
        raise InputError(
            f"a wave is called {POOLED!r}, the name of the pool over waves",
            column="wave",
            hint="Rename that wave in config/waves.tsv.",
        )
    return [*ids, POOLED]


def code_indices(series: pd.Series, variable: Variable) -> np.ndarray:
    """Each answer's position in the codebook's codes; -1 for item non-response."""
    texts = [code_text(c) for c in variable.code_values]
    if variable.type == "boolean":
        try:
            values = series.astype("boolean")
        except (TypeError, ValueError) as error:
            raise InputError(
                f"{variable.name!r} is not boolean: {error}",
                column=variable.name,
                hint="Re-run the cleaning step, which types every item.",
            ) from error
        chosen = np.where(
            values.fillna(False).to_numpy(dtype=bool), texts.index("true"), texts.index("false")
        )
        return np.where(values.isna().to_numpy(), -1, chosen)
    answers = series.astype("category")
    unknown = answers.cat.remove_unused_categories().cat.categories.difference(texts)
    if len(unknown):
        raise InputError(
            f"answers {', '.join(sorted(map(str, unknown)))} are not codes of {variable.name!r}",
            column=variable.name,
            hint=f"Use the codebook's codes ({', '.join(texts)}) or add them to the codebook.",
        )
    return answers.cat.set_categories(texts).cat.codes.to_numpy(dtype=np.int64)


def group_masks(data: pd.DataFrame, book: Codebook) -> dict[str, np.ndarray]:
    """Each group's rows as a boolean mask: recruiters, non-recruiters, and all (everyone,
    recruiter status known or not)."""
    status_var = book[GROUP_VARIABLE]
    status = code_indices(data[GROUP_VARIABLE], status_var)
    return {
        "recruiters": status == status_var.code_values.index(True),
        "non_recruiters": status == status_var.code_values.index(False),
        "all": np.ones(len(data), dtype=bool),
    }


def item_counts(data: pd.DataFrame, book: Codebook) -> list[Counts]:
    """Counts of every analysed item by wave (and pooled) and recruiter status."""
    waves = wave_ids(data)
    for var in book.analysed:
        if var.name not in data:
            raise InputError(
                f"the clean data have no column {var.name!r}",
                column=var.name,
                hint="Re-run the cleaning step with the current codebook.",
            )
    wave_index = pd.Categorical(data["wave"].astype("string"), categories=waves[:-1]).codes
    answer = code_indices(data[GROUP_VARIABLE], book[GROUP_VARIABLE])
    status = np.select(
        [answer < 0, answer == book[GROUP_VARIABLE].code_values.index(True)], [2, 0], 1
    )
    result = []
    for var in book.analysed:
        codes = code_indices(data[var.name], var)
        width = len(var.codes) + 1
        codes = np.where(codes < 0, width - 1, codes)
        flat = (wave_index.astype(np.int64) * 3 + status) * width + codes
        by_wave = np.bincount(flat, minlength=(len(waves) - 1) * 3 * width).reshape(
            len(waves) - 1, 3, width
        )
        pooled = by_wave.sum(axis=0, keepdims=True)
        result.append(Counts(var, tuple(waves), np.concatenate([by_wave, pooled])))
    return result


def wilson(n: np.ndarray, base: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``n / base``; NaN where the base is 0."""
    # scipy is imported where it computes, here and below: the figure and page jobs import
    # this module for its names and tables and need not pay for it (0.1 CPU-s a job).
    from scipy import special

    n = np.asarray(n, dtype=float)
    base = np.asarray(base, dtype=float)
    z = special.ndtri(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = n / base
        centre = (prop + z**2 / (2 * base)) / (1 + z**2 / base)
        half = z / (1 + z**2 / base) * np.sqrt(prop * (1 - prop) / base + z**2 / (4 * base**2))
    # At 0 and 1 the bounds are exactly 0 and 1; rounding must not put the share outside.
    low = np.where(n == 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(n == base, 1.0, np.clip(centre + half, 0, 1))
    return np.where(base > 0, low, np.nan), np.where(base > 0, high, np.nan)


def newcombe(
    n1: np.ndarray, base1: np.ndarray, n2: np.ndarray, base2: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``n1/base1 - n2/base2`` with Newcombe's hybrid score interval (method 10)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.asarray(n1, dtype=float) / np.asarray(base1, dtype=float)
        p2 = np.asarray(n2, dtype=float) / np.asarray(base2, dtype=float)
    low1, high1 = wilson(n1, base1, level)
    low2, high2 = wilson(n2, base2, level)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = diff + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return diff, low, high


def _group_counts(item: Counts) -> tuple[tuple[str, ...], np.ndarray]:
    """Counts by group: recruiters, non-recruiters, all (which includes unknown status)."""
    rows = [item.counts[:, 0], item.counts[:, 1], item.counts.sum(axis=1)]
    if item.variable.name == GROUP_VARIABLE:
        return GROUPS[2:], rows[2][:, None]
    return GROUPS, np.stack(rows, axis=1)


def _item_table(item: Counts, level: float, min_base: int) -> pd.DataFrame:
    """The rows of one item, with each code's codebook position for sorting."""
    groups, counts = _group_counts(item)
    answered = counts[..., :-1]
    base = np.broadcast_to(answered.sum(axis=-1, keepdims=True), answered.shape)
    shape = answered.shape
    wave_at, group_at, code_at = np.indices(shape).reshape(3, -1)
    codes = item.variable.code_values
    n = answered.ravel()
    base = base.ravel()
    low, high = wilson(n, base, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = n / base.astype(float)
    return pd.DataFrame(
        {
            "wave": np.asarray(item.waves)[wave_at],
            "group": np.asarray(groups)[group_at],
            "variable": item.variable.name,
            "code": np.asarray([code_text(c) for c in codes])[code_at],
            "label": np.asarray([item.variable.label_of(c) for c in codes])[code_at],
            "n": n.astype(np.int64),
            "base": base.astype(np.int64),
            "prop": prop,
            "ci_low": low,
            "ci_high": high,
            "low_base": base < min_base,
            "code_rank": code_at,
        }
    )


def by_group(
    data: pd.DataFrame, book: Codebook, *, level: float, min_base: int, pooled: bool = True
) -> pd.DataFrame:
    """One row per wave x group x variable x code: n, base, prop and a Wilson interval.

    ``pooled=False`` leaves out the ``all`` (pooled) rows, for one wave's own tables.

    The base counts respondents in the group who answered the item, so item non-response never
    counts as a "no". Respondents whose recruiter status is missing count only in group ``all``;
    the ``recruiter`` item itself appears only there. Rows run over waves (ids sorted as text,
    then ``all``, the pool), groups (recruiters, non_recruiters, all), variables and codes in
    codebook order; every code appears, with n = 0 where nobody chose it.
    """
    tables = [_item_table(item, level, min_base) for item in item_counts(data, book)]
    table = pd.concat(tables, ignore_index=True)
    ranks = {
        "wave": {w: i for i, w in enumerate(wave_ids(data))},
        "group": {g: i for i, g in enumerate(GROUPS)},
        "variable": {v.name: i for i, v in enumerate(book.analysed)},
    }
    keys = [table["code_rank"], *(table[col].map(rank) for col, rank in reversed(ranks.items()))]
    table = table.iloc[np.lexsort(keys)].reset_index(drop=True)[TABLE_COLUMNS]
    return table if pooled else table.loc[table["wave"] != POOLED].reset_index(drop=True)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment; NaN p-values are left out of the family and stay NaN."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    order = present[np.argsort(p[present], kind="stable")]
    m = len(order)
    steps = (m - np.arange(m)) * p[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return adjusted


def freeman_halton_exact(table: np.ndarray) -> float:
    """Exact p-value of the Fisher-Freeman-Halton test of a 2 x c table.

    Freeman and Halton (1951): the sum of the probabilities of every table with the observed
    margins that is no more probable than the observed one (relative tolerance 1e-7, as R's
    ``fisher.test``). Given the column totals ``c_j`` and the first row's total ``r``, a table
    is its first row ``x``, with probability ``prod_j C(c_j, x_j) / C(n, r)``. The rows are
    enumerated column by column as paths through a network (Mehta and Patel 1983, "A network
    algorithm for performing Fisher's exact test in r x c contingency tables", JASA 78,
    427-434): a node is the columns done and the first-row total so far; each path keeps the
    log-probability of its columns. At a node, the largest and smallest log-probability the
    remaining columns can add (a dynamic programme over columns) decide whether every
    completion of a path counts, so that its whole weight is added at once (Vandermonde:
    the completions sum to ``C(remaining columns' total, r - s)``), none does, or the path
    must go on. Paths reaching a node with equal probabilities are merged, and the last two
    columns are summed in closed form (:func:`_last_two_columns`). Columns are taken largest
    first, which keeps the network small: a 2 x 6 table of 400 respondents takes about half a
    second, of 800 about five, of 1000 about six to ten (and half a gigabyte), hence
    ``EXACT_LIMIT``.
    """
    table = np.asarray(table, dtype=np.int64)
    if table.shape[0] != 2:
        raise ValueError(f"a 2 x c table is needed, not {table.shape[0]} x {table.shape[1]}")
    table = table[:, np.argsort(-table.sum(axis=0), kind="stable")]
    columns = [int(c) for c in table.sum(axis=0)]
    row, width = int(table[0].sum()), len(columns)
    weights = [_log_choose(c, np.arange(c + 1)) for c in columns]
    remaining = [*np.cumsum(columns[::-1])[::-1].tolist(), 0]
    # most[k][t] / least[k][t]: the largest / smallest log-weight columns k, k+1, ... can add
    # when their first-row cells sum to t.
    most, least = [np.empty(0)] * (width + 1), [np.empty(0)] * (width + 1)
    most[width] = np.where(np.arange(row + 1) == 0, 0.0, -np.inf)
    least[width] = np.where(np.arange(row + 1) == 0, 0.0, np.inf)
    for k in range(width - 1, -1, -1):
        high, low = np.full(row + 1, -np.inf), np.full(row + 1, np.inf)
        for x in range(min(columns[k], row) + 1):
            high[x:] = np.maximum(high[x:], weights[k][x] + most[k + 1][: row + 1 - x])
            low[x:] = np.minimum(low[x:], weights[k][x] + least[k + 1][: row + 1 - x])
        most[k], least[k] = high, low
    total = float(_log_choose(remaining[0], row))
    threshold = sum(float(weights[j][table[0, j]]) for j in range(width)) + LOG_TOLERANCE
    p_value = 0.0
    nodes = {0: (np.zeros(1), np.ones(1))}
    for k in range(width - 1):
        following: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for done, (past, paths) in nodes.items():
            left = row - done
            if k == width - 2:
                p_value += _last_two_columns(
                    weights[k], weights[k + 1], left, threshold - past, paths, past - total
                )
                continue
            every = past + most[k][left] <= threshold
            if every.any():
                rest = float(_log_choose(remaining[k], left))
                p_value += float(paths[every] @ np.exp(past[every] + rest - total))
            going = ~every & (past + least[k][left] <= threshold)
            if not going.any():
                continue
            for x in range(max(0, left - remaining[k + 1]), min(columns[k], left) + 1):
                following.setdefault(done + x, []).append(
                    (past[going] + weights[k][x], paths[going])
                )
        nodes = {}
        for done, parts in following.items():
            past = np.concatenate([p for p, _ in parts])
            paths = np.concatenate([n for _, n in parts])
            _, first, where = np.unique(np.round(past, 9), return_index=True, return_inverse=True)
            nodes[done] = (past[first], np.bincount(where.ravel(), weights=paths))
    return min(1.0, p_value)


def _last_two_columns(
    first: np.ndarray,
    second: np.ndarray,
    left: int,
    room: np.ndarray,
    paths: np.ndarray,
    offset: np.ndarray,
) -> float:
    """The weight of every completion by the last two columns no more probable than allowed.

    ``first`` and ``second`` are the two columns' log-weights ``log C(c, x)``; ``left`` the
    first-row cells they share; per path, ``room`` is the log-weight its completion may reach
    and ``offset`` its log-weight less the log of the table count. The completion's log-weight
    ``g(x) = first[x] + second[left - x]`` is concave in x (a sum of concave terms), so the
    completions within ``room`` are the two tails of its range, found by binary search and
    summed from cumulative sums: each path is resolved at once instead of expanded.
    """
    x = np.arange(max(0, left - (len(second) - 1)), min(len(first) - 1, left) + 1)
    g = first[x] + second[left - x]
    peak = int(np.argmax(g))
    top = float(g[peak])
    weight = np.exp(g - top)
    # Rising to the peak from the left and from the right (running maxima absorb rounding).
    rising = np.maximum.accumulate(g[: peak + 1])
    falling = np.maximum.accumulate(g[peak:][::-1])
    from_left = np.concatenate([[0.0], np.cumsum(weight[: peak + 1])])
    from_right = np.concatenate([[0.0], np.cumsum(weight[peak:][::-1])])
    n_left = np.searchsorted(rising, room, side="right")
    n_right = np.searchsorted(falling, room, side="right")
    tails = np.where(n_left == peak + 1, weight.sum(), from_left[n_left] + from_right[n_right])
    return float(paths @ (np.exp(offset + top) * tails))


def freeman_halton_mc(table: np.ndarray, *, resamples: int, seed: int) -> float:
    """Monte Carlo p-value of the Fisher-Freeman-Halton exact test of a 2 x c table.

    Draws ``resamples`` tables with the observed margins under independence (the first row is
    multivariate hypergeometric given the column totals) and counts those as or less probable
    than the observed one; ``(extreme + 1) / (resamples + 1)`` never reports an impossible
    p = 0. The tables tested here always have two rows: recruiters and non-recruiters.
    """
    from scipy import special

    table = np.asarray(table, dtype=np.int64)
    if table.shape[0] != 2:
        raise ValueError(f"a 2 x c table is needed, not {table.shape[0]} x {table.shape[1]}")
    columns = table.sum(axis=0)
    first = np.random.default_rng(seed).multivariate_hypergeometric(
        columns, int(table[0].sum()), size=resamples
    )
    draws = np.stack([first, columns - first], axis=1)
    # The table probability is a constant over the product of the cell factorials.
    observed = -special.gammaln(table + 1).sum()
    drawn = -special.gammaln(draws + 1).sum(axis=(1, 2))
    extreme = np.count_nonzero(drawn <= observed + LOG_TOLERANCE)
    return (extreme + 1) / (resamples + 1)


def fisher_exact_2x2(table: np.ndarray) -> float:
    """Two-sided p-value of Fisher's exact test of a 2 x 2 table.

    Sums the hypergeometric probabilities of every table with the observed margins that is
    no more probable than the observed one (relative tolerance 1e-7, as R and scipy do).
    """
    table = np.asarray(table, dtype=np.int64)
    row, column, total = int(table[0].sum()), int(table[:, 0].sum()), int(table.sum())
    cells = np.arange(max(0, row + column - total), min(row, column) + 1)
    log_p = (
        _log_choose(column, cells)
        + _log_choose(total - column, row - cells)
        - _log_choose(total, row)
    )
    observed = log_p[cells == table[0, 0]][0]
    return float(min(1.0, np.exp(log_p[log_p <= observed + LOG_TOLERANCE]).sum()))


def _log_choose(n: int | np.ndarray, k: int | np.ndarray) -> np.ndarray:
    from scipy import special

    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def pearson(table: np.ndarray) -> tuple[float, int, float, np.ndarray]:
    """Pearson's chi-square without continuity correction: statistic, dof, p, expected counts."""
    from scipy import special

    table = np.asarray(table, dtype=float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return statistic, dof, float(special.chdtrc(dof, statistic)), expected


def association(
    table: np.ndarray, *, resamples: int, seed: int, exact_limit: int = EXACT_LIMIT
) -> dict[str, object]:
    """Test one recruiter-status x answer table (rows: status; columns: codes).

    Codes nobody chose are dropped first. The Pearson statistic and its degrees of freedom are
    reported for every testable table; when any expected count is under 5 the p-value comes
    from Fisher's exact test (2 x 2), the exact Fisher-Freeman-Halton test (larger tables of at
    most ``exact_limit`` respondents) or its Monte Carlo version (larger tables beyond that),
    else from the uncorrected Pearson chi-square.
    """
    table = np.asarray(table, dtype=np.int64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        untestable = {"statistic": np.nan, "dof": np.nan, "p_value": np.nan, "min_expected": np.nan}
        return {"test": "not_testable", **untestable}
    statistic, dof, p_value, expected = pearson(table)
    min_expected = float(expected.min())
    test = "pearson_chi2"
    if min_expected < MIN_EXPECTED and table.shape == (2, 2):
        test, p_value = "fisher_exact", fisher_exact_2x2(table)
    elif min_expected < MIN_EXPECTED and table.sum() <= exact_limit:
        test, p_value = "fisher_freeman_halton_exact", freeman_halton_exact(table)
    elif min_expected < MIN_EXPECTED:
        test = f"fisher_freeman_halton_mc({resamples}, seed={seed})"
        p_value = freeman_halton_mc(table, resamples=resamples, seed=seed)
    return {
        "test": test,
        "statistic": statistic,
        "dof": dof,
        "p_value": p_value,
        "min_expected": min_expected,
    }


def association_tests(
    data: pd.DataFrame,
    book: Codebook,
    *,
    resamples: int = 100_000,
    seed: int = 2014,
    exact_limit: int = EXACT_LIMIT,
    holm_family: Sequence[str] | None = None,
    pooled: bool = True,
) -> pd.DataFrame:
    """Association of each item with recruiter status, per wave and pooled (``all``).

    ``pooled=False`` leaves out the pooled rows, for one wave's own tables.

    Respondents whose recruiter status or answer is missing are left out. Where any expected
    count is under 5 the p-value is exact (Fisher, 2 x 2; Fisher-Freeman-Halton, larger tables
    of at most ``exact_limit`` respondents) or, beyond that size, a Monte Carlo
    Fisher-Freeman-Halton p-value with ``resamples`` draws from a generator seeded with
    ``seed`` (the ``test`` column names which); otherwise it is Pearson's chi-square without
    continuity correction, for 2 x 2 tables too. ``statistic`` and ``dof`` are Pearson's in
    every row. ``p_holm`` adjusts the p-values of the items in ``holm_family`` within each wave
    by Holm's method (:func:`family_mask`); the other items are tested but their ``p_holm`` is
    empty.
    """
    rows = []
    for item in item_counts(data, book):
        if item.variable.name == GROUP_VARIABLE:
            continue
        for wave, counts in zip(item.waves, item.counts, strict=True):
            if wave == POOLED and not pooled:
                continue
            result = association(
                counts[:2, :-1], resamples=resamples, seed=seed, exact_limit=exact_limit
            )
            rows.append({"wave": wave, "variable": item.variable.name, **result})
    tests = pd.DataFrame(rows, columns=[c for c in TEST_COLUMNS if c != "p_holm"])
    tests["dof"] = tests["dof"].astype("Int64")
    family = family_mask(tests["variable"], book, holm_family)
    tests["p_holm"] = np.nan
    tests.loc[family, "p_holm"] = (
        tests[family].groupby("wave", sort=False)["p_value"].transform(holm)
    )
    keys = [tests["wave"].map({w: i for i, w in enumerate(wave_ids(data))}), tests.index]
    return tests.iloc[np.lexsort(keys[::-1])].reset_index(drop=True)[TEST_COLUMNS]


def family_mask(
    variables: pd.Series, book: Codebook, holm_family: Sequence[str] | None
) -> pd.Series:
    """Which rows' hypotheses belong to the Holm family (config ``tests.holm_family``).

    ``holm_family`` names the items whose tests are adjusted together: the questions the
    analysis is about. The default configuration leaves out the background items (seniority,
    connections), whose tests describe the sample rather than answer a question, and derived
    variables, which recode an item already in the family (counting it again would make the
    correction stricter for a test that adds no new question). ``None`` means every
    questionnaire item, none of the derived ones.
    """
    if holm_family is None:
        names = [v.name for v in book.items if v.name not in {d.name for d in book.derived}]
    else:
        names = list(holm_family)
        unknown = sorted(set(names) - {v.name for v in book.analysed})
        if unknown:
            raise InputError(
                f"tests.holm_family names {', '.join(unknown)}, not analysed codebook items",
                hint="List codebook variable names under tests: holm_family in the config.",
            )
    return variables.isin(names) & (variables != GROUP_VARIABLE)


def _holm_within(
    frame: pd.DataFrame, family: pd.Series, by: list[str], book: Codebook
) -> pd.Series:
    """Holm-adjusted ``p_value`` within each ``by`` group of the family's rows.

    The ``false`` row of a boolean item is the same test as its ``true`` row: only the ``true``
    row enters the family, and the ``false`` row gets its adjusted value.
    """
    booleans = {v.name for v in book.analysed if v.type == "boolean"}
    mirror = frame["variable"].isin(booleans) & (frame["code"].astype(str) == "false")
    counted = family & ~mirror
    adjusted = pd.Series(np.nan, index=frame.index)
    if counted.any():
        adjusted[counted] = frame[counted].groupby(by, sort=False)["p_value"].transform(holm)
    keys = [*by, "variable"]
    true_rows = frame.loc[counted & frame["variable"].isin(booleans), keys].assign(
        p_holm=adjusted[counted & frame["variable"].isin(booleans)]
    )
    mirrored = frame.loc[family & mirror, keys].merge(true_rows, on=keys, how="left")
    adjusted[family & mirror] = mirrored["p_holm"].to_numpy()
    return adjusted


def _as_text_waves(table: pd.DataFrame) -> pd.DataFrame:
    """Wave ids as text, also when a CSV reader took them for numbers."""
    return table.assign(wave=table["wave"].astype(str), code=table["code"].astype(str))


def combined(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Waves' own cross-tabulations (a wave and the wave before it, say) as one table of those
    waves: each table's pool over its one wave (``all``) is left out, being that wave again."""
    if len(frames) == 1:
        return frames[0]
    frames = [f.assign(wave=f["wave"].astype("string")) for f in frames]
    return pd.concat([f[f["wave"] != "all"] for f in frames], ignore_index=True)


PAIR_KEYS = ["wave", "variable", "code", "label"]


def group_pairs(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per wave, item and code of a share table (``PAIR_KEYS``) with ``columns`` of
    both compared groups side by side: the recruiters' suffixed ``_r``, the non-recruiters'
    ``_nr``."""
    return table.loc[table["group"] == "recruiters", [*PAIR_KEYS, *columns]].merge(
        table.loc[table["group"] == "non_recruiters", [*PAIR_KEYS, *columns]],
        on=PAIR_KEYS,
        suffixes=("_r", "_nr"),
        validate="one_to_one",
    )


def differences(
    table: pd.DataFrame,
    *,
    level: float,
    book: Codebook | None = None,
    holm_family: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Recruiters minus non-recruiters per wave, item and code, with Newcombe's interval.

    ``p_value`` is the pooled two-proportion z-test of the same two shares
    (:func:`two_proportion_p`); ``p_holm`` adjusts it by Holm's method within each wave over
    the codes of the ``holm_family`` items (:func:`family_mask`, :func:`_holm_within`; a
    boolean item counts once), and is empty for other items or without ``book``. Rows follow
    the order of ``table``; NaN where either group's base is 0.
    """
    pairs = group_pairs(_as_text_waves(table), ["n", "base"])
    counts = (pairs["n_r"], pairs["base_r"], pairs["n_nr"], pairs["base_nr"])
    diff, low, high = newcombe(*counts, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = pairs[PAIR_KEYS].assign(
            prop_recruiters=pairs["n_r"] / pairs["base_r"],
            prop_non_recruiters=pairs["n_nr"] / pairs["base_nr"],
            diff=diff,
            ci_low=low,
            ci_high=high,
            p_value=two_proportion_p(*counts),
        )
    result["p_holm"] = np.nan
    if book is not None:
        family = family_mask(result["variable"], book, holm_family)
        result["p_holm"] = _holm_within(result, family, ["wave"], book)
    return result[DIFFERENCE_COLUMNS]


def two_proportion_p(
    n1: np.ndarray, base1: np.ndarray, n2: np.ndarray, base2: np.ndarray
) -> np.ndarray:
    """Two-sided p-value of the pooled two-proportion z-test; 1 where both shares are 0 or 1."""
    from scipy import special

    n1, base1, n2, base2 = (np.asarray(x, dtype=float) for x in (n1, base1, n2, base2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (n1 + n2) / (base1 + base2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / base1 + 1 / base2))
        z = (n1 / base1 - n2 / base2) / se
    p = 2 * special.ndtr(-np.abs(z))
    return np.where((se == 0) & (base1 > 0) & (base2 > 0), 1.0, p)


def changes(
    table: pd.DataFrame,
    *,
    level: float,
    wave_order: Sequence[str],
    book: Codebook | None = None,
    holm_family: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Change between consecutive waves per group, item and code.

    ``wave_order`` is the waves sheet's order. ``diff`` is the later share minus the earlier,
    with Newcombe's interval and a pooled two-proportion z-test. ``p_holm`` adjusts that
    p-value by Holm's method within each step (``wave_from`` to ``wave_to``) and group, over
    the codes of the ``holm_family`` items (a boolean item counts once); it is empty for other
    items or without ``book``. Rows follow the groups' fixed order, then the order of
    variables and codes in ``table``, then ``wave_order``; the frame is empty when there is one
    wave.
    """
    table = _as_text_waves(table)
    order = [str(w) for w in wave_order]
    missing = sorted(set(order) - set(table["wave"]))
    if missing:
        raise InputError(
            f"waves {', '.join(missing)} are not in the cross-tabulation",
            column="wave",
            hint="Rebuild the crosstabs from every wave listed in the waves sheet.",
        )
    keys = ["group", "variable", "code", "label"]
    steps = [
        table.loc[table["wave"] == a, [*keys, "n", "base"]]
        .merge(
            table.loc[table["wave"] == b, [*keys, "n", "base"]],
            on=keys,
            suffixes=("_from", "_to"),
            validate="one_to_one",
        )
        .assign(wave_from=a, wave_to=b, step=i)
        for i, (a, b) in enumerate(pairwise(order))
    ]
    if not steps:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    pairs = pd.concat(steps, ignore_index=True)
    after = (pairs["n_to"], pairs["base_to"])
    before = (pairs["n_from"], pairs["base_from"])
    diff, low, high = newcombe(*after, *before, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs = pairs.assign(
            prop_from=pairs["n_from"] / pairs["base_from"],
            prop_to=pairs["n_to"] / pairs["base_to"],
            diff=diff,
            ci_low=low,
            ci_high=high,
            p_value=two_proportion_p(*after, *before),
        )
    pairs["p_holm"] = np.nan
    if book is not None:
        family = family_mask(pairs["variable"], book, holm_family)
        pairs["p_holm"] = _holm_within(pairs, family, ["wave_from", "wave_to", "group"], book)
    first_seen = table[["variable", "code"]].drop_duplicates().reset_index(drop=True)
    rank = pairs.merge(first_seen.reset_index(names="rank"), on=["variable", "code"])["rank"]
    group_rank = pairs["group"].map({g: i for i, g in enumerate(GROUPS)})
    sorted_rows = np.lexsort([pairs["step"], rank, group_rank])
    return pairs.iloc[sorted_rows].reset_index(drop=True)[CHANGE_COLUMNS]
