"""Weighted estimates of one raked wave, beside the unweighted ones.

The design is R survey's ``svydesign(ids = ~1, weights = ~weight, data = wave)``: one stage,
no strata, sampling with replacement, the raked weights taken as fixed (the variance does not
credit the raking, so it is, if anything, conservative). A group or an item's answered
respondents form a domain of the wave's ``N`` respondents; as in R's ``subset()`` of such a
design, the domain's rows carry the estimate and the variance keeps the design's ``N``. For a
share ``p`` of a domain with weights ``w``:

- ``p = sum(w * y) / sum(w)``, with the linearisation variance
  ``N / (N - 1) * sum((w * (y - p)) ** 2) / sum(w) ** 2`` (``svymean``);
- the effective base ``n_eff = p (1 - p) / var(p)`` and the Korn-Graubard interval, the
  Clopper-Pearson interval at ``n_eff`` (``svyciprop(method = "beta")``); where ``p`` is 0 or 1
  the variance is 0 and ``n_eff`` is Kish's effective sample size of the domain instead (R
  gives no interval there);
- ``deff = var(p) / (p (1 - p) / n)``, the variance against simple random sampling.

Differences between recruiters and non-recruiters have a Wald interval with the two domains'
variances added (their covariance is zero in this design). Association tests are Rao and
Scott's second-order correction of Pearson's chi-square, R's ``svychisq`` default
(``statistic = "F"``). The numeric question has a weighted mean with a t interval on n - 1
degrees of freedom, n the domain's answers (``confint(svymean(...), df = degf(design))``).
The logistic regression is weighted maximum likelihood with the linearisation (sandwich)
covariance of ``svyglm`` with ``family = quasibinomial``: ``N / (N - 1) * A^-1 (sum s s')
A^-1``, t tests on n - k degrees of freedom (n the complete cases).
``tests/r/survey_reference.R`` computes the same quantities with R's survey package.

``scipy`` and ``statsmodels`` are imported inside the functions that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from invitesurvey import itemtables
from invitesurvey.codebook import Codebook, Variable, code_text
from invitesurvey.crosstab import (
    GROUP_VARIABLE,
    PAIR_KEYS,
    code_indices,
    group_masks,
    group_pairs,
)
from invitesurvey.errors import InputError

GROUPS = ("recruiters", "non_recruiters", "all")
SHARE_COLUMNS = [
    "base", "prop_unweighted", "prop", "std_error", "n_eff", "deff", "ci_low", "ci_high",
    "low_base",
]  # fmt: skip
CROSSTAB_COLUMNS = ["wave", "group", "variable", "code", "label", *SHARE_COLUMNS]
MULTIPLE_COLUMNS = CROSSTAB_COLUMNS
GRID_COLUMNS = [
    "wave", "group", "variable", "row", "row_label", "code", "label", *SHARE_COLUMNS,
]  # fmt: skip
GRID_TOP_COLUMNS = [
    "wave", "group", "variable", "row", "row_label", "top_codes", *SHARE_COLUMNS,
]  # fmt: skip
NUMERIC_COLUMNS = [
    "wave", "group", "variable", "n", "n_eff", "mean_unweighted", "mean", "std_error",
    "deff", "ci_low", "ci_high",
]  # fmt: skip
DIFFERENCE_COLUMNS = [
    "wave", "variable", "code", "label", "prop_recruiters", "prop_non_recruiters",
    "diff", "std_error", "ci_low", "ci_high",
]  # fmt: skip
TEST_COLUMNS = [
    "wave", "variable", "test", "statistic", "ndf", "ddf", "p_value", "pearson_x2",
    "mean_deff",
]  # fmt: skip
COEFFICIENT_COLUMNS = [
    "term", "estimate", "std_error", "t", "df", "p_value", "odds_ratio", "or_ci_low",
    "or_ci_high", "estimate_unweighted", "std_error_unweighted", "deff",
]  # fmt: skip
RAO_SCOTT = "rao_scott_f"
NOT_TESTABLE = "not_testable"


# -- estimators ---------------------------------------------------------------------------


def kish_n_eff(weights: np.ndarray) -> float:
    """Kish's effective sample size ``sum(w) ** 2 / sum(w ** 2)``; 0 for no weights."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0


def weighted_means(
    values: np.ndarray, weights: np.ndarray, design_n: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means of the columns of ``values`` (n x k) of a domain and their
    linearisation covariance.

    ``svymean`` of a with-replacement one-stage design of ``design_n`` respondents (the
    domain's own n when None): ``N / (N - 1) * Z'Z / sum(w) ** 2`` with
    ``Z = w * (values - mean)``. NaN for an empty domain or a design of one respondent.
    """
    y = np.asarray(values, dtype=float)
    y = y.reshape(len(y), -1)
    w = np.asarray(weights, dtype=float)
    n, k = y.shape
    big_n = n if design_n is None else design_n
    if n == 0:
        return np.full(k, np.nan), np.full((k, k), np.nan)
    total = w.sum()
    mean = w @ y / total
    if big_n < 2:
        return mean, np.full((k, k), np.nan)
    z = w[:, None] * (y - mean)
    return mean, big_n / (big_n - 1) * (z.T @ z) / total**2


def korn_graubard(
    prop: np.ndarray, n_eff: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson interval at the effective base ``n_eff`` (Korn and Graubard 1998).

    ``Beta(a/2; x, n - x + 1)`` and ``Beta(1 - a/2; x + 1, n - x)`` with ``x = p * n_eff``,
    as R's ``svyciprop(method = "beta")``; the bounds are 0 and 1 at ``p`` = 0 and 1.
    """
    from scipy.special import betaincinv

    p = np.asarray(prop, dtype=float)
    n = np.asarray(n_eff, dtype=float)
    alpha = 1 - level
    x = p * n
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(p > 0, betaincinv(x, n - x + 1, alpha / 2), 0.0)
        high = np.where(p < 1, betaincinv(x + 1, n - x, 1 - alpha / 2), 1.0)
    bad = ~np.isfinite(p) | ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def shares(
    indicators: np.ndarray, weights: np.ndarray, level: float, design_n: int | None = None
) -> dict[str, np.ndarray]:
    """Weighted shares of the indicator columns (n x k) of one domain of a design of
    ``design_n`` respondents, with their intervals.

    Returns ``base`` (n), ``prop_unweighted``, ``prop``, ``std_error``, ``n_eff``, ``deff``,
    ``ci_low``, ``ci_high`` per column (module docstring).
    """
    y = np.asarray(indicators, dtype=float).reshape(len(indicators), -1)
    w = np.asarray(weights, dtype=float)
    n, k = y.shape
    prop, cov = weighted_means(y, w, design_n)
    var = np.diag(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        binomial = prop * (1 - prop)
        n_eff = np.where(var > 0, binomial / var, kish_n_eff(w))
        deff = np.where(var > 0, var / (binomial / n), np.nan)
        unweighted = y.mean(axis=0) if n else np.full(k, np.nan)
    low, high = korn_graubard(prop, n_eff, level)
    return {
        "base": np.full(k, n, dtype=np.int64),
        "prop_unweighted": unweighted,
        "prop": prop,
        "std_error": np.sqrt(var),
        "n_eff": n_eff if n else np.zeros(k),
        "deff": deff,
        "ci_low": low,
        "ci_high": high,
    }


def mean_summary(
    values: np.ndarray, weights: np.ndarray, level: float, design_n: int | None = None
) -> dict[str, float]:
    """Weighted mean of one domain's answers (a design of ``design_n`` respondents), its
    standard error and a t interval on n - 1 degrees of freedom (n the domain's answers)."""
    from scipy.special import stdtrit

    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = len(x)
    mean, cov = weighted_means(x[:, None], w, design_n)
    se = float(np.sqrt(cov[0, 0]))
    half = float(stdtrit(n - 1, 0.5 + level / 2) * se) if n > 1 else np.nan
    srs = float(x.var(ddof=1) / n) if n > 1 else np.nan
    return {
        "n": n,
        "n_eff": kish_n_eff(w),
        "mean_unweighted": float(x.mean()) if n else np.nan,
        "mean": float(mean[0]),
        "std_error": se,
        "deff": cov[0, 0] / srs if n > 1 and srs > 0 else np.nan,
        "ci_low": float(mean[0]) - half,
        "ci_high": float(mean[0]) + half,
    }


def rao_scott(
    rows: np.ndarray, columns: np.ndarray, weights: np.ndarray, design_n: int | None = None
) -> dict[str, float]:
    """Rao-Scott second-order corrected Pearson test of two coded variables, as R's
    ``svychisq(~rows + columns, design)`` (``statistic = "F"``) on complete cases.

    ``rows`` and ``columns`` hold each respondent's code position (0, 1, ...); codes no
    respondent has are dropped first. ``design_n`` is the design's respondents (the cell
    shares' covariance keeps it, as ``svymean`` of a subset does), n the complete cases.
    ``statistic`` is F = X2 / trace(Delta) on ``d0`` and ``d0 * (n - 1)`` degrees of freedom,
    ``d0 = trace(Delta) ** 2 / trace(Delta ** 2)``, with X2 Pearson's statistic of the weighted
    table scaled to n; ``mean_deff`` is trace(Delta)
    over (r - 1)(c - 1), the mean generalised design effect.
    """
    from scipy.special import fdtrc

    _, r = np.unique(np.asarray(rows), return_inverse=True)
    _, c = np.unique(np.asarray(columns), return_inverse=True)
    w = np.asarray(weights, dtype=float)
    nr, nc, n = int(r.max(initial=-1)) + 1, int(c.max(initial=-1)) + 1, len(w)
    if nr < 2 or nc < 2 or n < 3:
        return dict.fromkeys(
            ["statistic", "ndf", "ddf", "p_value", "pearson_x2", "mean_deff"], np.nan
        )
    cell = r + nr * c  # rows vary fastest, as R's interaction() and expand.grid()
    cells = np.zeros((n, nr * nc))
    cells[np.arange(n), cell] = 1.0
    mean, cov = weighted_means(cells, w, design_n)
    grid_r, grid_c = np.arange(nr * nc) % nr, np.arange(nr * nc) // nr
    main = np.column_stack(
        [np.ones(nr * nc)]
        + [(grid_r == i).astype(float) for i in range(1, nr)]
        + [(grid_c == j).astype(float) for j in range(1, nc)]
    )
    inter = np.column_stack(
        [((grid_r == i) & (grid_c == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    contrast = inter - main @ np.linalg.lstsq(main, inter, rcond=None)[0]
    inverse = np.diag(np.where(mean == 0, 0.0, 1 / np.where(mean == 0, 1.0, mean)))
    denom = contrast.T @ (inverse / n) @ contrast
    numer = contrast.T @ inverse @ cov @ inverse @ contrast
    delta = np.linalg.solve(denom, numer)
    trace = float(np.trace(delta))
    d0 = trace**2 / float(np.trace(delta @ delta))
    table = (mean * n).reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    x2 = float(((table - expected) ** 2 / expected).sum())
    statistic = x2 / trace
    return {
        "statistic": statistic,
        "ndf": d0,
        "ddf": d0 * (n - 1),
        "p_value": float(fdtrc(d0, d0 * (n - 1), statistic)),
        "pearson_x2": x2,
        "mean_deff": trace / ((nr - 1) * (nc - 1)),
    }


def logistic(
    y: np.ndarray, X: np.ndarray, weights: np.ndarray, level: float, design_n: int | None = None
) -> dict[str, np.ndarray]:
    """Weighted logistic regression with ``svyglm``'s (quasibinomial) sandwich covariance.

    Estimates by statsmodels' GLM (binomial, ``var_weights``); the covariance
    ``N / (N - 1) * A^-1 M A^-1`` (``N`` = ``design_n``, else the rows) with
    ``A = X' diag(w p (1 - p)) X`` and ``M`` the sum of the outer products of the scores
    ``w (y - p) x``; t tests and intervals on n - k degrees of freedom (``summary.svyglm``,
    ``confint.svyglm``). The unweighted fit on the same rows
    and its model-based standard errors stand beside; ``deff`` is the ratio of variances.
    """
    import statsmodels.api as sm
    from scipy.special import expit, stdtr, stdtrit

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    w = np.asarray(weights, dtype=float)
    n, k = X.shape
    weighted = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w / w.mean()).fit(
        tol=1e-12, maxiter=200
    )
    unweighted = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
    beta = np.asarray(weighted.params)
    p = expit(X @ beta)
    bread = np.linalg.inv(X.T @ (X * (w * p * (1 - p))[:, None]))
    scores = X * (w * (y - p))[:, None]
    big_n = n if design_n is None else design_n
    cov = big_n / (big_n - 1) * bread @ (scores.T @ scores) @ bread
    se = np.sqrt(np.diag(cov))
    df = n - k
    half = stdtrit(df, 0.5 + level / 2) * se
    t = beta / se
    se_unweighted = np.asarray(unweighted.bse)
    return {
        "estimate": beta,
        "std_error": se,
        "t": t,
        "df": np.full(k, df, dtype=np.int64),
        "p_value": 2 * stdtr(df, -np.abs(t)),
        "odds_ratio": np.exp(beta),
        "or_ci_low": np.exp(beta - half),
        "or_ci_high": np.exp(beta + half),
        "estimate_unweighted": np.asarray(unweighted.params),
        "std_error_unweighted": se_unweighted,
        "deff": se**2 / se_unweighted**2,
        "converged": bool(weighted.converged),
    }


# -- tables of one wave -------------------------------------------------------------------


def attach(data: pd.DataFrame, weights: pd.DataFrame) -> np.ndarray:
    """Each respondent's weight, by ``respondent_id``; an error names one without a weight."""
    by_id = weights.set_index(weights["respondent_id"].astype(str))["weight"]
    ids = data["respondent_id"].astype(str)
    found = ids.map(by_id)
    if found.isna().any():
        who = ids[found.isna()].iloc[0]
        raise InputError(
            f"respondent {who} of wave {data['wave'].iloc[0]} has no weight",
            column="respondent_id",
            hint="Re-run the weights rule on the current clean data.",
        )
    return found.to_numpy(dtype=float)


def _groups(data: pd.DataFrame, book: Codebook) -> Iterator[tuple[str, np.ndarray]]:
    yield from group_masks(data, book).items()


def _share_rows(
    keys: Mapping[str, object],
    parts: Sequence[Mapping[str, object]],
    indicators: np.ndarray,
    weights: np.ndarray,
    domain: np.ndarray,
    level: float,
    min_base: int,
) -> list[dict]:
    """Rows of one domain's shares; ``weights`` are the whole wave's (the design)."""
    est = shares(indicators, weights[domain], level, len(weights))
    return [
        {**keys, **part, **{c: est[c][i] for c in SHARE_COLUMNS[:-1]},
         "low_base": bool(est["n_eff"][i] < min_base)}
        for i, part in enumerate(parts)
    ]  # fmt: skip


def crosstabs(
    data: pd.DataFrame, weights: np.ndarray, book: Codebook, *, level: float, min_base: int
) -> pd.DataFrame:
    """One row per group x boolean/categorical item x code of one wave: weighted share of
    those who answered, its Korn-Graubard interval and design effect; ``low_base`` flags an
    effective base under ``min_base``. The unweighted share stands beside."""
    wave = str(data["wave"].iloc[0])
    rows = []
    for group, in_group in _groups(data, book):
        for var in book.analysed:
            if var.name == GROUP_VARIABLE and group != "all":
                continue
            codes = code_indices(data[var.name], var)
            domain = in_group & (codes >= 0)
            indicators = codes[domain][:, None] == np.arange(len(var.codes))
            parts = [{"code": code_text(c), "label": var.label_of(c)} for c in var.code_values]
            keys = {"wave": wave, "group": group, "variable": var.name}
            rows += _share_rows(keys, parts, indicators, weights, domain, level, min_base)
    return _ordered(rows, CROSSTAB_COLUMNS, book)


def _ordered(rows: list[dict], columns: list[str], book: Codebook) -> pd.DataFrame:
    """Rows by group (recruiters, non-recruiters, all), then variable in codebook order."""
    frame = pd.DataFrame(rows, columns=columns)
    rank = {v.name: i for i, v in enumerate([*book.variables, *book.derived])}
    keys = (frame["group"].map({g: i for i, g in enumerate(GROUPS)}), frame["variable"].map(rank))
    order = np.lexsort([np.arange(len(frame)), keys[1], keys[0]])
    return frame.iloc[order].reset_index(drop=True)


def multiple(
    data: pd.DataFrame, weights: np.ndarray, book: Codebook, *, level: float, min_base: int
) -> pd.DataFrame:
    """As :func:`crosstabs`, per select-all question x option, of those who answered it."""
    wave = str(data["wave"].iloc[0])
    rows = []
    for var in book.of_type("multiple"):
        chosen, answered = itemtables._chosen(data, var)
        if not answered.any():
            continue
        parts = [{"code": code_text(o.code), "label": o.label} for o in var.options]
        for group, in_group in _groups(data, book):
            domain = in_group & answered
            keys = {"wave": wave, "group": group, "variable": var.name}
            rows += _share_rows(keys, parts, chosen[domain], weights, domain, level, min_base)
    return _ordered(rows, MULTIPLE_COLUMNS, book)


def _grid_parts(var: Variable) -> Iterator[tuple[int, Mapping[str, str]]]:
    for i, row in enumerate(var.rows):
        yield i, {"row": code_text(row.code), "row_label": row.label}


# A grid row's scale indices -> the indicator matrix of the parts a table shows.
Indicate = Callable[[np.ndarray], np.ndarray]


def _grid_shares(
    data: pd.DataFrame,
    weights: np.ndarray,
    book: Codebook,
    answers: Callable[
        [Variable], tuple[list[Mapping[str, str]], Callable[[np.ndarray], np.ndarray]]
    ],
    columns: list[str],
    *,
    level: float,
    min_base: int,
) -> pd.DataFrame:
    """Weighted shares per grid row and group of those who answered the row: ``answers(var)``
    gives the parts shown and the indicator matrix of a row's scale indices."""
    wave = str(data["wave"].iloc[0])
    rows = []
    for var in book.of_type("grid"):
        codes = itemtables._grid_codes(data, var)
        if not (codes >= 0).any():
            continue
        parts, indicate = answers(var)
        for group, in_group in _groups(data, book):
            for i, row in _grid_parts(var):
                domain = in_group & (codes[:, i] >= 0)
                keys = {"wave": wave, "group": group, "variable": var.name, **row}
                indicators = indicate(codes[domain, i])
                rows += _share_rows(keys, parts, indicators, weights, domain, level, min_base)
    return _ordered(rows, columns, book)


def grid(
    data: pd.DataFrame, weights: np.ndarray, book: Codebook, *, level: float, min_base: int
) -> pd.DataFrame:
    """As :func:`crosstabs`, per grid row x scale code, of those who answered the row."""

    def scale(var: Variable):
        parts = [{"code": code_text(c), "label": var.label_of(c)} for c in var.code_values]
        return parts, lambda codes: codes[:, None] == np.arange(len(var.codes))

    return _grid_shares(data, weights, book, scale, GRID_COLUMNS, level=level, min_base=min_base)


def grid_top(
    data: pd.DataFrame, weights: np.ndarray, book: Codebook, *, level: float, min_base: int
) -> pd.DataFrame:
    """As :func:`crosstabs`, per grid row: the weighted top-box share of those answering it."""

    def top(var: Variable):
        parts = [{"top_codes": itemtables.top_codes(var)}]
        return parts, lambda codes: (codes < var.top_box)[:, None]

    return _grid_shares(data, weights, book, top, GRID_TOP_COLUMNS, level=level, min_base=min_base)


def numeric(
    data: pd.DataFrame, weights: np.ndarray, book: Codebook, *, level: float
) -> pd.DataFrame:
    """One row per group x numeric question: the weighted mean of the answers given."""
    wave = str(data["wave"].iloc[0])
    rows = []
    for var in book.of_type("numeric"):
        values = itemtables._numbers(data, var)
        if np.isnan(values).all():
            continue
        for group, in_group in _groups(data, book):
            domain = in_group & ~np.isnan(values)
            rows.append(
                {"wave": wave, "group": group, "variable": var.name,
                 **mean_summary(values[domain], weights[domain], level, len(weights))}
            )  # fmt: skip
    return _ordered(rows, NUMERIC_COLUMNS, book)


def differences(table: pd.DataFrame, *, level: float) -> pd.DataFrame:
    """Recruiters minus non-recruiters per item and code of a weighted share table, with a
    Wald interval (``std_error`` the root of the two domains' variances added)."""
    from scipy.special import ndtri

    pairs = group_pairs(table, ["prop", "std_error"])
    diff = pairs["prop_r"] - pairs["prop_nr"]
    se = np.sqrt(pairs["std_error_r"] ** 2 + pairs["std_error_nr"] ** 2)
    z = float(ndtri(0.5 + level / 2))
    return pairs[PAIR_KEYS].assign(
        prop_recruiters=pairs["prop_r"],
        prop_non_recruiters=pairs["prop_nr"],
        diff=diff,
        std_error=se,
        ci_low=diff - z * se,
        ci_high=diff + z * se,
    )[DIFFERENCE_COLUMNS]


def association_tests(data: pd.DataFrame, weights: np.ndarray, book: Codebook) -> pd.DataFrame:
    """Rao-Scott test of each item with recruiter status, on the respondents who answered
    both (:func:`rao_scott`); ``not_testable`` where either has fewer than two codes."""
    wave = str(data["wave"].iloc[0])
    status = code_indices(data[GROUP_VARIABLE], book[GROUP_VARIABLE])
    rows = []
    for var in book.analysed:
        if var.name == GROUP_VARIABLE:
            continue
        codes = code_indices(data[var.name], var)
        both = (status >= 0) & (codes >= 0)
        result = rao_scott(status[both], codes[both], weights[both], len(weights))
        test = RAO_SCOTT if np.isfinite(result["statistic"]) else NOT_TESTABLE
        rows.append({"wave": wave, "variable": var.name, "test": test, **result})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def wave_tables(
    data: pd.DataFrame,
    weights: pd.DataFrame,
    book: Codebook,
    *,
    level: float,
    min_base: int,
) -> dict[str, pd.DataFrame]:
    """Every weighted table of one wave, by output name (``crosstabs`` ...)."""
    w = attach(data, weights)
    shared = {"level": level, "min_base": min_base}
    table = crosstabs(data, w, book, **shared)
    options = multiple(data, w, book, **shared)
    return {
        "crosstabs": table,
        "differences": differences(table, level=level),
        "tests": association_tests(data, w, book),
        "multiple": options,
        "multiple_differences": differences(options, level=level),
        "grid": grid(data, w, book, **shared),
        "grid_top": grid_top(data, w, book, **shared),
        "numeric": numeric(data, w, book, level=level),
    }


def model_fit(
    data: pd.DataFrame,
    weights: pd.DataFrame,
    spec: Mapping,
    *,
    waves: Sequence[str],
    level: float,
) -> tuple[pd.DataFrame, dict]:
    """One configured model on the weighted waves' respondents: coefficients and a summary.

    ``data`` holds the weighted waves' respondents, the design (pooled as one design when
    there are several waves: no strata); the complete cases are a domain of it. The model
    matrix (complete cases, reference levels, wave term when several waves) is
    :func:`invitesurvey.model.design`'s. Where separation is found the weighted maximum
    likelihood estimate does not exist; the table is then empty and the summary says so.
    """
    from invitesurvey import model

    y, X, info = model.design(data, spec, waves=waves)
    w = attach(data.loc[X.index], weights)
    design_n = len(data)
    separation = model.detect_separation(y, X)
    summary = {
        "name": spec["name"],
        "formula": spec["formula"],
        "waves": sorted(set(data.loc[X.index, "wave"].astype(str))),
        "n": len(y),
        "method": "weighted maximum likelihood, linearisation (sandwich) covariance as "
        "R survey::svyglm(family = quasibinomial)",
        "level": level,
        "separation": separation,
        "kish_n_eff": kish_n_eff(w),
        "dropped_levels": list(info.dropped_levels),
    }
    if separation["detected"]:
        summary["converged"] = False
        summary["note"] = "separation detected: the weighted estimates do not exist"
        return pd.DataFrame(columns=COEFFICIENT_COLUMNS), summary
    est = logistic(y.to_numpy(), X.to_numpy(), w, level, design_n)
    summary["converged"] = est.pop("converged")
    table = pd.DataFrame({"term": list(X.columns), **est})[COEFFICIENT_COLUMNS]
    return table, summary
