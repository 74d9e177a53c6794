"""Logistic regression of a survey item, with separation detection and a Firth fallback.

The design matrix is built here with pandas, not patsy or formulaic, so that imports stay light
and term names stay stable: a constant ``Intercept``, then one treatment-coded dummy per
non-reference level, named ``variable[T.code]`` (``recruiter[T.true]``, ``purpose[T.hire]``).
Booleans are factors with the levels ``false`` and ``true`` (reference ``false`` unless the model
names another); categorical levels follow the codebook. With several waves in the data a
``wave`` factor is added last, the first wave of the sample sheet as its reference.

:func:`fit` works on the design's distinct (outcome, row) pairs and their counts
(:func:`grouped_design`), never on a matrix of one row per respondent: every sum it takes is
the same, and the fit's memory does not grow with the sample.

statsmodels, scipy and firthmodels are imported inside the functions that use them: building a
design must not pay for any of them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from invitesurvey.codebook import code_text
from invitesurvey.errors import InputError

INTERCEPT = "Intercept"
COV_TYPES = ("nonrobust", "HC1")
INTERVALS = ("profile", "wald")
# Columns of the two result tables (docs/architecture.md says what each holds).
COEFFICIENT_COLUMNS = [
    "term", "estimate", "std_error", "test", "statistic", "p_value",
    "odds_ratio", "or_ci_low", "or_ci_high",
]  # fmt: skip
EFFECT_COLUMNS = ["term", "ame", "std_error", "z", "p_value", "ci_low", "ci_high", "note"]
# Why the average marginal effects of a Firth fit carry no interval or test.
NO_EFFECT_INTERVAL = (
    "not computed: estimated by Firth penalised likelihood (separation or a failed maximum "
    "likelihood fit); delta-method Wald intervals and tests are invalid there"
)
ML = "maximum likelihood"
FIRTH = "Firth penalised likelihood"
MAX_ML_SE = 10.0
# An LP coefficient above this in absolute value marks an infinite estimate (as in firthmodels).
SEPARATION_TOL = 1e-4
_HINT = "Fix this model under models: in config/config.yaml."
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Term:
    """One factor of the design: its reference code and the other codes that have columns."""

    variable: str
    reference: str
    levels: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f"{self.variable}[T.{level}]" for level in self.levels)


@dataclass(frozen=True)
class Design:
    """What :func:`design` did: the outcome, the factors in design order, what it dropped."""

    outcome: str
    terms: tuple[Term, ...]
    dropped_levels: tuple[str, ...]
    rows_in_subset: int

    @property
    def columns(self) -> tuple[str, ...]:
        return (INTERCEPT, *(c for term in self.terms for c in term.columns))


@dataclass(frozen=True)
class ModelResult:
    coefficients: pd.DataFrame
    marginal_effects: pd.DataFrame
    fit: dict


def parse_formula(formula: str, name: str) -> tuple[str, list[str]]:
    """``outcome ~ a + b`` -> (outcome, [a, b]); main effects of named columns only."""
    sides = formula.split("~")
    terms = [t.strip() for t in sides[-1].split("+")]
    outcome = sides[0].strip()
    if len(sides) != 2 or not all(_NAME.fullmatch(t) for t in [outcome, *terms]):
        raise InputError(
            f"model {name!r}: cannot read the formula {formula!r}",
            hint="Write 'outcome ~ a + b + c' with column names only (main effects). " + _HINT,
        )
    if len(set(terms)) != len(terms) or outcome in terms:
        raise InputError(f"model {name!r}: a variable appears twice in {formula!r}", hint=_HINT)
    if "wave" in terms:
        raise InputError(
            f"model {name!r}: the formula names 'wave'",
            hint="Leave it out: the wave term is added when the data hold several waves.",
        )
    return outcome, terms


def _spec_value(spec: Mapping, key: str) -> object:
    if key not in spec:
        raise InputError(f"model {spec.get('name', '?')!r} has no {key!r}", hint=_HINT)
    return spec[key]


def _codes(series: pd.Series, name: str) -> tuple[pd.Series, list[str]]:
    """A boolean or categorical column as a categorical of code text, codes in codebook order.

    Categorical, so that comparing a million answers with a code is one integer comparison.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        order = [str(c) for c in series.cat.categories]
        return series.cat.rename_categories(order), order
    if pd.api.types.is_bool_dtype(series.dtype):
        order = [code_text(False), code_text(True)]
        flags = series.astype("boolean")
        positions = np.where(flags.isna(), -1, flags.fillna(False).to_numpy(dtype=int))
        codes = pd.Categorical.from_codes(positions, categories=order)
        return pd.Series(codes, index=series.index), order
    raise InputError(
        f"variable {name!r} has dtype {series.dtype}, not boolean or categorical",
        column=name,
        hint="Models take the typed clean frame (codebook.typed) of boolean and coded items.",
    )


def _subset(data: pd.DataFrame, query: str | None, name: str) -> pd.DataFrame:
    """Rows the query selects; a row where the query is missing is not selected."""
    if not query:
        return data
    try:
        mask = data.eval(query)
    except Exception as error:
        raise InputError(
            f"model {name!r}: cannot evaluate subset {query!r}: {error}", hint=_HINT
        ) from error
    if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask.dtype):
        raise InputError(f"model {name!r}: subset {query!r} is not a condition", hint=_HINT)
    return data[mask.fillna(False).astype(bool)]


def _term(codes: pd.Series, variable: str, order: list[str], reference: str, name: str) -> Term:
    """The factor of one variable over the complete cases; absent levels get no column."""
    if reference not in order:
        raise InputError(
            f"model {name!r}: reference {reference!r} is not a code of {variable!r}",
            column=variable,
            hint=f"Use one of {', '.join(order)}. {_HINT}",
        )
    present = set(codes.unique())
    if reference not in present:
        raise InputError(
            f"model {name!r}: no complete case has the reference {variable}={reference}",
            column=variable,
            hint=f"Choose a reference among {', '.join(sorted(present))}, or change the subset.",
        )
    return Term(variable, reference, tuple(c for c in order if c != reference and c in present))


def _wave_codes(frame: pd.DataFrame, waves: Sequence[str]) -> tuple[pd.Series, list[str]]:
    if "wave" not in frame:
        raise InputError(
            "the data have no 'wave' column",
            column="wave",
            hint="Pass the pooled clean frame (io.read_waves).",
        )
    codes = frame["wave"].astype("string")
    order = [str(w) for w in waves]
    unknown = sorted(set(codes.dropna().unique()) - set(order))
    if unknown or codes.isna().any():
        raise InputError(
            f"wave {(unknown or ['<missing>'])[0]!r} is not in the sample sheet",
            column="wave",
            hint="Add the wave to config/waves.tsv (invitesurvey addwave).",
        )
    return codes.astype(pd.CategoricalDtype(order)), order


def _check_rank(matrix: np.ndarray, columns: Sequence[str], name: str) -> None:
    """Refuse a design whose columns are linearly dependent, naming the first culprit."""
    if np.linalg.matrix_rank(matrix) == matrix.shape[1]:
        return
    for j, column in enumerate(columns):
        if np.linalg.matrix_rank(matrix[:, : j + 1]) <= j:
            raise InputError(
                f"model {name!r}: {column} is a linear combination of the columns before it "
                "in the complete cases",
                hint="Drop one of the terms involved, or widen the subset.",
            )


def _read_spec(data: pd.DataFrame, spec: Mapping) -> tuple[str, str, list[str], dict[str, str]]:
    """Model name, outcome, terms and references, checked against the data's columns."""
    name = str(_spec_value(spec, "name"))
    outcome, variables = parse_formula(str(_spec_value(spec, "formula")), name)
    references = {v: code_text(c) for v, c in (spec.get("reference") or {}).items()}
    stray = sorted(set(references) - set(variables))
    if stray:
        raise InputError(
            f"model {name!r}: reference given for {stray[0]!r}, not a term", hint=_HINT
        )
    missing = [v for v in [outcome, *variables] if v not in data]
    if missing:
        raise InputError(
            f"model {name!r}: no column {missing[0]!r} in the data", column=missing[0], hint=_HINT
        )
    if not pd.api.types.is_bool_dtype(data[outcome].dtype):
        raise InputError(
            f"model {name!r}: the outcome {outcome!r} is not boolean",
            column=outcome,
            hint="Model a boolean item or derived variable.",
        )
    return name, outcome, variables, references


@dataclass(frozen=True)
class Grouped:
    """A design as its distinct (outcome, design row) pairs: ``counts[i]`` respondents share
    outcome ``y[i]`` and row ``X[i]``. The likelihood, its derivatives and every statistic
    here are sums over respondents, so they are the same sums over these rows weighted by
    ``counts``; a design of categorical answers has a few hundred of them whatever the sample
    size, so the fit's arrays do not grow with it."""

    y: np.ndarray
    X: np.ndarray
    counts: np.ndarray
    info: Design

    @property
    def n(self) -> int:
        return int(self.counts.sum())


def _factors(
    data: pd.DataFrame, spec: Mapping, waves: Sequence[str]
) -> tuple[pd.Series, list[tuple[str, pd.Series, list[str]]], Design]:
    """The outcome and each factor's codes over the complete cases, and the design they make."""
    name, outcome, variables, references = _read_spec(data, spec)
    chosen = _subset(data, spec.get("subset"), name)
    # Only the formula's columns: a frame of millions is never copied whole.
    used = [outcome, *variables, *(["wave"] if "wave" in chosen else [])]
    complete = chosen[used].dropna(subset=[outcome, *variables])
    if complete.empty:
        raise InputError(
            f"model {name!r}: no row answers every item of the formula",
            hint="Widen the subset or drop terms.",
        )
    factors = [(v, *_codes(complete[v], v)) for v in variables]
    wave_codes, wave_order = _wave_codes(complete, waves)
    present_waves = [w for w in wave_order if w in set(wave_codes)]
    if len(present_waves) > 1:
        factors.append(("wave", wave_codes, wave_order))
        references["wave"] = present_waves[0]
    terms, dropped = [], []
    for variable, codes, order in factors:
        default = "false" if order == ["false", "true"] else order[0]
        term = _term(codes, variable, order, references.get(variable, default), name)
        terms.append(term)
        dropped += [f"{variable}[T.{c}]" for c in order if c not in (term.reference, *term.levels)]
    info = Design(outcome, tuple(terms), tuple(dropped), len(chosen))
    return complete[outcome].astype(bool), factors, info


def _matrix(factors: Sequence[tuple[str, pd.Series, list[str]]], info: Design) -> np.ndarray:
    """Intercept and one dummy per non-reference level, rows as the factors' codes."""
    columns = [np.ones(len(factors[0][1]))]
    for (_, codes, _), term in zip(factors, info.terms, strict=True):
        columns += [(codes == level).to_numpy(dtype=float) for level in term.levels]
    return np.column_stack(columns)


def design(
    data: pd.DataFrame, spec: Mapping, *, waves: Sequence[str]
) -> tuple[pd.Series, pd.DataFrame, Design]:
    """Outcome (0/1), design matrix and a description, over the complete cases of the formula.

    Rows are those the subset selects with every formula variable answered. Codes that no
    complete case has lose their column and are listed in ``dropped_levels``. The wave factor
    joins when the complete cases span several waves.
    """
    outcome, factors, info = _factors(data, spec, waves)
    matrix = _matrix(factors, info)
    _check_rank(matrix, info.columns, str(spec["name"]))
    y = outcome.astype(float).rename(info.outcome)
    return y, pd.DataFrame(matrix, index=outcome.index, columns=list(info.columns)), info


def grouped_design(data: pd.DataFrame, spec: Mapping, *, waves: Sequence[str]) -> Grouped:
    """:func:`design` as its distinct (outcome, row) pairs, in a stable order (sorted by the
    factors' codes), without ever building the respondent-level matrix."""
    outcome, factors, info = _factors(data, spec, waves)
    keys = pd.DataFrame(
        {
            "_y": outcome.to_numpy(dtype=np.int8),
            **{f"_{i}": codes.cat.codes.to_numpy() for i, (_, codes, _) in enumerate(factors)},
        }
    )
    counted = keys.value_counts(sort=False).sort_index()
    distinct = counted.index.to_frame(index=False)
    rows = [
        (variable, pd.Series(pd.Categorical.from_codes(distinct[f"_{i}"], order)), order)
        for i, (variable, _, order) in enumerate(factors)
    ]
    matrix = _matrix(rows, info)
    _check_rank(matrix, info.columns, str(spec["name"]))
    return Grouped(distinct["_y"].to_numpy(dtype=float), matrix, counted.to_numpy(), info)


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a matrix and how often each occurs.

    A design of categorical answers has a few hundred distinct rows whatever the sample size,
    so sums over respondents become weighted sums over these rows.
    """
    counted = pd.DataFrame(matrix).value_counts(sort=False)
    rows = np.array(counted.index.tolist(), dtype=float).reshape(len(counted), matrix.shape[1])
    return rows, counted.to_numpy()


def detect_separation(y: pd.Series, X: pd.DataFrame, counts: np.ndarray | None = None) -> dict:
    """Complete or quasi-complete separation, found by linear programming before any fit.

    Konis (2007, formulation 4.23, as in R's detectseparation and firthmodels): maximise
    ``sum(Xs) @ b`` subject to ``Xs @ b >= 0`` and ``-1 <= b <= 1``, where ``Xs`` is X with
    each row signed by its outcome (``2y - 1``). A term whose ``b`` is non-zero has an infinite
    maximum-likelihood estimate, in ``b``'s direction. Identical rows give identical
    constraints, so the programme runs on the distinct rows (a few hundred for a categorical
    design, whatever the sample size) with their counts in the objective; this also spares
    importing firthmodels, and through it scikit-learn, when nothing is separated. Rows of a
    :class:`Grouped` design are distinct already: pass their ``counts``.
    """
    from scipy.optimize import linprog

    signed = X.to_numpy(dtype=float) * (2 * y.to_numpy(dtype=float) - 1)[:, None]
    rows, counts = distinct_rows(signed) if counts is None else (signed, counts)
    found = linprog(
        -(counts @ rows),
        A_ub=-rows,
        b_ub=np.zeros(len(rows)),
        bounds=[(-1.0, 1.0)] * signed.shape[1],
        method="highs",
    )
    if not found.success:
        raise RuntimeError(f"the separation linear programme failed: {found.message}")
    infinite = np.abs(found.x) > SEPARATION_TOL
    return {
        "detected": bool(infinite.any()),
        "method": "linear programming (Konis 2007) on the distinct rows of the design",
        "terms": [
            {"term": term, "direction": "+inf" if b > 0 else "-inf"}
            for term, b, flag in zip(X.columns, found.x, infinite, strict=True)
            if flag
        ],
    }


def _expit(eta: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(eta)


def _loglik(y: np.ndarray, X: np.ndarray, w: np.ndarray, beta: np.ndarray) -> float:
    eta = X @ beta
    return float(w @ (y * eta - np.logaddexp(0.0, eta)))


def fisher_information(X: np.ndarray, w: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """X'WX with W = w p(1-p): the expected information of the logit at ``beta``."""
    p = _expit(X @ beta)
    return X.T @ (X * (w * p * (1 - p))[:, None])


def hc1_covariance(y: np.ndarray, X: np.ndarray, w: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """White's sandwich with the n/(n-k) factor, over grouped rows: the meat's sum of
    respondents' squared scores is, row by row, ``w (y - p)^2 x x'``.

    Written out because statsmodels' ``cov_type="HC1"`` on a Logit leaves the factor out
    (it returns HC0 for models without their own HC attributes).
    """
    n, k = w.sum(), X.shape[1]
    bread = np.linalg.inv(fisher_information(X, w, beta))
    residual = y - _expit(X @ beta)
    meat = X.T @ (X * (w * residual**2)[:, None])
    return n / (n - k) * bread @ meat @ bread


def _caught(record: list[warnings.WarningMessage]) -> list[str]:
    return list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in record))


def _fit_ml(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> dict:
    """Newton-Raphson maximum likelihood by statsmodels; its warnings are kept, not shown.

    A binomial GLM with frequency weights ``w``: the logit's likelihood with each grouped row
    counted ``w`` times, so the estimates and the inverse information are those of the
    respondent-level fit (statsmodels' ``Logit`` takes no weights).
    """
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            result = GLM(y, X, family=Binomial(), freq_weights=w).fit(
                method="newton", maxiter=100, disp=False
            )
        except np.linalg.LinAlgError as error:
            # A singular Hessian on a full-rank design means fitted probabilities of 0 or 1.
            warnings.warn(f"singular Hessian: {error}", RuntimeWarning, stacklevel=1)
            result = None
    k = X.shape[1]
    return {
        "params": np.full(k, np.nan) if result is None else np.asarray(result.params),
        "cov": np.full((k, k), np.nan) if result is None else np.asarray(result.cov_params()),
        "converged": result is not None and bool(result.mle_retvals["converged"]),
        "iterations": 0 if result is None else int(result.mle_retvals["iterations"]),
        "warnings": _caught(record),
    }


def _fit_firth(y: np.ndarray, X: np.ndarray, w: np.ndarray, level: float) -> dict:
    """Firth's penalised logit; covariance the inverse Fisher information at its estimates.

    That covariance is Heinze and Schemper's (2002); firthmodels' own ``bse_`` use the
    penalised ("augmented") information instead. Intervals are profile penalised likelihood
    and p-values penalised likelihood-ratio tests, which, unlike Wald ones, stay honest for a
    separated term and agree with each other. With frequency weights ``w`` firthmodels' hat
    values, penalty and information are those of the rows repeated ``w`` times.
    """
    from firthmodels import FirthLogisticRegression

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        # Weighted sums put a floor of about 3e-9 under the modified score where a term is
        # separated, so 1e-10 is never reached; 1e-8 still gives estimates and p-values to
        # far more digits than are reported. xtol 1e-6: near the optimum a step that small cannot
        # raise the log-likelihood in float64, and on some CPUs (an AMD EPYC here) the rounding
        # made firthmodels' step-halving give up and report no convergence with xtol 1e-8;
        # Newton's last step under 1e-6 leaves an error far below it.
        model = FirthLogisticRegression(
            fit_intercept=False, max_iter=200, gtol=1e-8, xtol=1e-6, backend="numpy"
        ).fit(X, y, sample_weight=w)
        bounds = model.conf_int(alpha=1 - level, method="pl", tol=1e-8, max_iter=100)
        model.lrt()
    params = np.asarray(model.coef_, dtype=float)
    return {
        "params": params,
        "cov": np.linalg.inv(fisher_information(X, w, params)),
        "converged": bool(model.converged_),
        "iterations": int(model.n_iter_),
        "warnings": _caught(record),
        "bounds": np.asarray(bounds, dtype=float),
        "penalised_llf": float(model.loglik_),
        "p_values": np.asarray(model.lrt_pvalues_, dtype=float),
    }


@dataclass(frozen=True)
class ProfileFit:
    """A maximum-likelihood fit to profile: data, estimates, covariance, log-likelihood."""

    y: np.ndarray
    X: np.ndarray
    w: np.ndarray
    params: np.ndarray
    cov: np.ndarray
    top: float

    def start(self, j: int, value: float) -> np.ndarray:
        """Where the normal approximation puts the other coefficients given ``beta_j =
        value``: ``params + cov[:, j] / cov[j, j] (value - params[j])``; the estimates
        themselves where that variance is not a positive number."""
        variance = self.cov[j, j]
        if not (np.isfinite(variance) and variance > 0):
            return self.params
        return self.params + self.cov[:, j] / variance * (value - self.params[j])


def _constrained_fit(
    fit: ProfileFit, j: int, value: float, start: np.ndarray
) -> tuple[float, np.ndarray, float]:
    """The log-likelihood maximised over every coefficient but ``j``, which is held at
    ``value`` (Newton-Raphson with step halving, from ``start``); with the maximising
    coefficients (``j`` at ``value``) and the score of ``j`` there."""
    y, X, w = fit.y, fit.X, fit.w
    free = np.delete(np.arange(X.shape[1]), j)
    Xf, offset = X[:, free], X[:, j] * value
    beta = np.delete(np.asarray(start, dtype=float), j)

    def loglik(b: np.ndarray) -> float:
        eta = offset + Xf @ b
        return float(w @ (y * eta - np.logaddexp(0.0, eta)))

    current = loglik(beta)
    for _ in range(100):
        p = _expit(offset + Xf @ beta)
        score = Xf.T @ (w * (y - p))
        info = Xf.T @ (Xf * (w * p * (1 - p))[:, None])
        step = np.linalg.lstsq(info, score, rcond=None)[0]
        for _ in range(30):
            trial = loglik(beta + step)
            if trial >= current - 1e-12:
                break
            step = step / 2
        beta, previous, current = beta + step, current, trial
        if abs(current - previous) < 1e-12 and np.abs(step).max() < 1e-9:
            break
    full = np.insert(beta, j, value)
    return current, full, float(X[:, j] @ (w * (y - _expit(X @ full))))


def _profile_bound(fit: ProfileFit, j: int, sign: float, step: float, target: float) -> float:
    """Where the signed root of coefficient j's profile deviance reaches ``target`` on one
    side of its estimate (``sign`` -1 below, +1 above): Newton's method on the distance from
    the estimate, started at the Wald bound and kept inside the bracket found so far
    (bisection when a step leaves it, doubling while no point beyond the root is known), to
    1e-10; NaN beyond 50 standard errors. Each constrained fit starts at the last one's
    maximum."""
    estimate = fit.params[j]
    distance = target * step
    start = fit.start(j, estimate + sign * distance)
    low, high = 0.0, np.inf
    for _ in range(200):
        value, start, score = _constrained_fit(fit, j, estimate + sign * distance, start)
        root = np.sqrt(max(0.0, 2 * (fit.top - value)))
        if root < target:
            low = distance
        else:
            high = distance
        if np.isinf(high) and distance >= 50 * step:
            return np.nan
        # d root / d distance = sign dD/db / (2 root), and dD/db = -2 U_j
        slope = -sign * score / root if root > 0 else 0.0
        guess = distance - (root - target) / slope if slope > 0 else np.nan
        if not low < guess < high:
            guess = 2 * distance if np.isinf(high) else (low + high) / 2
        guess = min(guess, 50 * step)
        if abs(guess - distance) < 1e-10:
            return estimate + sign * guess
        distance = guess
    return np.nan


def profile_intervals(
    y: np.ndarray, X: np.ndarray, w: np.ndarray, params: np.ndarray, cov: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood intervals and likelihood-ratio tests of each ML coefficient.

    The interval of coefficient j is every value b whose profile deviance
    ``D(b) = 2 (l(beta_hat) - max_{beta: beta_j = b} l(beta))`` is at most the chi-square(1)
    quantile at ``level``: the standard profile likelihood interval (Venzon and Moolgavkar
    1988, "A method for computing profile-likelihood-based confidence intervals", Applied
    Statistics 37, 87-94; R's ``confint`` of a ``glm`` approximates it by spline
    interpolation of the profile, agreeing to about 1e-4 on the log-odds scale). Each bound
    solves ``sqrt(D(b)) = sqrt(quantile)`` by Newton's method (:func:`_profile_bound`): the
    signed root is nearly linear in b, and its slope costs nothing, since by the envelope
    theorem ``dD/db = -2 U_j``, the score of j at the constrained maximum. A constrained fit
    first starts where the normal approximation puts the other coefficients given
    ``beta_j = b`` (:meth:`ProfileFit.start`). A bound past 50 standard errors is NaN (the
    caller falls back to Wald). The likelihood-ratio statistic of ``beta_j = 0`` is ``D(0)``,
    so tests and intervals agree.

    Returns the log-odds bounds (k x 2) and the likelihood-ratio chi-square statistics.
    """
    from scipy.stats import chi2

    fit = ProfileFit(y, X, w, params, cov, _loglik(y, X, w, params))
    target = float(np.sqrt(chi2.ppf(level, 1)))
    se = np.sqrt(np.diag(cov))
    bounds = np.full((len(params), 2), np.nan)
    statistics = np.full(len(params), np.nan)
    for j in range(len(params)):
        at_zero = _constrained_fit(fit, j, 0.0, fit.start(j, 0.0))[0]
        statistics[j] = max(0.0, 2 * (fit.top - at_zero))
        step = se[j] if np.isfinite(se[j]) and se[j] > 0 else 1.0
        for side, sign in enumerate((-1.0, 1.0)):
            bounds[j, side] = _profile_bound(fit, j, sign, step, target)
    return bounds, statistics


def _normal_quantile(level: float) -> float:
    from scipy.special import ndtri

    return float(ndtri((1 + level) / 2))


def _two_sided_p(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return 2 * ndtr(-np.abs(z))


def coefficient_table(
    columns: Sequence[str],
    params: np.ndarray,
    cov: np.ndarray,
    bounds: np.ndarray,
    level: float,
    p_values: np.ndarray | None = None,
    *,
    lr_test: str = "lr_chi2",
    lr_statistics: np.ndarray | None = None,
) -> pd.DataFrame:
    """Log-odds, tests and odds ratios; ``bounds`` are log-odds intervals, else Wald.

    ``test`` names the test of ``estimate = 0`` whose ``statistic`` and ``p_value`` a row
    reports, always one test: ``wald_z`` (Wald z, normal p), or ``lr_test`` (a likelihood-ratio
    chi-square on 1 degree of freedom, its p from that chi-square: ``lr_chi2`` for maximum
    likelihood, ``penalised_lr_chi2`` for Firth) where ``p_values`` holds a finite p-value.
    The chi-square is ``lr_statistics`` where given, else recovered from its p-value.
    """
    from scipy.stats import chi2

    se = np.sqrt(np.diag(cov))
    z = params / se
    wald = _two_sided_p(z)
    half = _normal_quantile(level) * se
    low = np.where(np.isfinite(bounds[:, 0]), bounds[:, 0], params - half)
    high = np.where(np.isfinite(bounds[:, 1]), bounds[:, 1], params + half)
    lr = np.full(len(params), False) if p_values is None else np.isfinite(p_values)
    lr_p = np.where(lr, p_values, np.nan) if p_values is not None else np.full(len(params), np.nan)
    return pd.DataFrame(
        {
            "term": list(columns),
            "estimate": params,
            "std_error": se,
            "test": np.where(lr, lr_test, "wald_z"),
            "statistic": np.where(
                lr,
                chi2.isf(np.where(lr, lr_p, 1.0), 1) if lr_statistics is None else lr_statistics,
                z,
            ),
            "p_value": np.where(lr, lr_p, wald),
            "odds_ratio": np.exp(params),
            "or_ci_low": np.exp(low),
            "or_ci_high": np.exp(high),
        }
    )[COEFFICIENT_COLUMNS]


def marginal_effects(
    X: np.ndarray,
    counts: np.ndarray,
    info: Design,
    params: np.ndarray,
    cov: np.ndarray,
    level: float,
    *,
    firth: bool = False,
) -> pd.DataFrame:
    """Average discrete change in P(y) from each factor's reference to each level.

    For level L of factor F: the mean over respondents of P(y | F = L) - P(y | F = reference),
    their other answers as observed; standard errors by the delta method, with a Wald z,
    p-value and interval. The mean runs over the rows of a :class:`Grouped` design, weighted
    by ``counts``, the respondents who share each.

    ``firth=True`` (a Firth fit: separation, or maximum likelihood failed) keeps the estimates
    but leaves ``std_error``, ``z``, ``p_value`` and the interval empty, with the reason in
    ``note``: the delta method rests on the Wald approximation that separation breaks (a Wald
    p of 1e-22 against a penalised likelihood-ratio p of 3e-6), and no honest interval for an
    average marginal effect is computed here.
    """
    weights = counts / counts.sum()
    rows = []
    for term in info.terms:
        factor = [info.columns.index(c) for c in term.columns]
        base = X.copy()
        base[:, factor] = 0.0
        p0 = _expit(base @ params)
        for j, column in zip(factor, term.columns, strict=True):
            shifted = base.copy()
            shifted[:, j] = 1.0
            p1 = _expit(shifted @ params)
            gradient = (p1 * (1 - p1))[:, None] * shifted - (p0 * (1 - p0))[:, None] * base
            g = weights @ gradient
            rows.append((column, float(weights @ (p1 - p0)), float(np.sqrt(g @ cov @ g))))
    table = pd.DataFrame(rows, columns=["term", "ame", "std_error"])
    half = _normal_quantile(level) * table["std_error"]
    table = table.assign(
        z=table["ame"] / table["std_error"],
        p_value=_two_sided_p((table["ame"] / table["std_error"]).to_numpy()),
        ci_low=table["ame"] - half,
        ci_high=table["ame"] + half,
        note="",
    )
    if firth:
        table[["std_error", "z", "p_value", "ci_low", "ci_high"]] = np.nan
        table["note"] = NO_EFFECT_INTERVAL
    return table[EFFECT_COLUMNS]


def _exploding(se: np.ndarray, columns: Sequence[str]) -> list[str]:
    return [c for c, s in zip(columns, se, strict=True) if not np.isfinite(s) or s > MAX_ML_SE]


def _estimate(
    y: np.ndarray,
    X: np.ndarray,
    w: np.ndarray,
    columns: Sequence[str],
    separated: bool,
    cov_type: str,
    level: float,
    interval: str = "profile",
) -> tuple[str, dict, list[str]]:
    """ML unless separation is found or ML misbehaves; then Firth, saying why.

    On the ML path ``interval="profile"`` adds profile-likelihood bounds and likelihood-ratio
    p-values (:func:`profile_intervals`), unless the errors are HC1: the profile likelihood is
    model-based, so robust errors keep Wald intervals and tests.
    """
    notes: list[str] = []
    if separated:
        notes.append(f"separation detected before fitting; estimated by {FIRTH}")
    else:
        ml = _fit_ml(y, X, w)
        notes += ml["warnings"]
        bad = _exploding(np.sqrt(np.abs(np.diag(ml["cov"]))), columns)
        if ml["converged"] and not bad:
            if cov_type == "HC1":
                ml["cov"] = hc1_covariance(y, X, w, ml["params"])
                if interval == "profile":
                    notes.append("HC1 errors: Wald intervals and tests, not profile likelihood")
            elif interval == "profile":
                ml["bounds"], statistics = profile_intervals(
                    y, X, w, ml["params"], ml["cov"], level
                )
                from scipy.stats import chi2

                ml["p_values"] = chi2.sf(statistics, 1)
                ml["lr_statistics"] = statistics
                unbounded = [
                    c for c, b in zip(columns, ml["bounds"], strict=True)
                    if not np.all(np.isfinite(b))
                ]  # fmt: skip
                if unbounded:
                    notes.append(
                        f"profile interval not found for {', '.join(unbounded)}: Wald used"
                    )
            return ML, ml, notes
        why = f"standard errors above {MAX_ML_SE:g} for {', '.join(bad)}" if bad else "no fit"
        notes.append(f"maximum likelihood gave {why}; refitted by {FIRTH}")
    firth = _fit_firth(y, X, w, level)
    notes += firth["warnings"]
    if cov_type == "HC1":
        notes.append("HC1 not applied on the Firth path: standard errors are model-based")
    unbounded = [
        c for c, b in zip(columns, firth["bounds"], strict=True) if not np.all(np.isfinite(b))
    ]
    if unbounded:
        notes.append(f"profile interval not found for {', '.join(unbounded)}: Wald used")
    untested = [c for c, p in zip(columns, firth["p_values"], strict=True) if not np.isfinite(p)]
    if untested:
        notes.append(f"likelihood-ratio test not found for {', '.join(untested)}: Wald p used")
    return FIRTH, firth, notes


def fit_statistics(y: np.ndarray, X: np.ndarray, w: np.ndarray, params: np.ndarray) -> dict:
    """n, events, log-likelihoods, McFadden's pseudo-R2, AIC and BIC at ``params``.

    The log-likelihood is the unpenalised one, also for Firth estimates, so that the
    statistics of the two methods compare; the null model is the intercept-only ML fit.
    """
    n, k, events = int(w.sum()), X.shape[1], int(w @ y)
    llf = _loglik(y, X, w, params)
    share = events / n
    llnull = float(n * (share * np.log(share) + (1 - share) * np.log(1 - share)))
    return {
        "n": n,
        "events": events,
        "llf": llf,
        "llnull": llnull,
        "pseudo_r2": 1 - llf / llnull,
        "aic": -2 * llf + 2 * k,
        "bic": -2 * llf + k * float(np.log(n)),
    }


def _inference(firth: bool, cov_type: str, interval: str = "profile") -> dict[str, str]:
    """How each reported quantity was obtained, in words for fit.json."""
    robust = cov_type == "HC1" and not firth
    profile = interval == "profile" and not robust
    if firth:
        p_value, intervals = "penalised likelihood ratio", "profile penalised likelihood"
    elif profile:
        p_value, intervals = "likelihood ratio", "profile likelihood"
    else:
        p_value, intervals = "Wald", "Wald"
    return {
        "estimates": "penalised likelihood" if firth else "maximum likelihood",
        "std_error": "HC1 sandwich" if robust else "inverse Fisher information",
        "p_value": p_value,
        "intervals": intervals,
        "marginal_effects": "average discrete change, no interval (Firth fit)"
        if firth
        else "average discrete change, delta-method Wald interval",
    }


def fit(data: pd.DataFrame, spec: Mapping, *, waves: Sequence[str], level: float) -> ModelResult:
    """Fit one configured model: coefficients, average marginal effects and a fit summary.

    Maximum likelihood, unless separation is detected beforehand or maximum likelihood fails
    to converge or gives a standard error above 10; then Firth's penalised likelihood. The
    model's ``interval`` (``profile``, the default, or ``wald``) chooses the maximum-likelihood
    intervals and tests: profile likelihood with likelihood-ratio p-values, or Wald; a Firth
    fit always has profile penalised-likelihood intervals and penalised likelihood-ratio tests.
    Every warning raised while fitting lands in ``fit["warnings"]``.
    """
    cov_type = str(spec.get("cov_type", "nonrobust"))
    if cov_type not in COV_TYPES:
        raise InputError(
            f"model {spec.get('name')!r}: cov_type {cov_type!r}",
            hint=f"Use one of {', '.join(COV_TYPES)}. {_HINT}",
        )
    interval = str(spec.get("interval", "profile"))
    if interval not in INTERVALS:
        raise InputError(
            f"model {spec.get('name')!r}: interval {interval!r}",
            hint=f"Use one of {', '.join(INTERVALS)}. {_HINT}",
        )
    grouped = grouped_design(data, spec, waves=waves)
    y, X, w, info = grouped.y, grouped.X, grouped.counts.astype(float), grouped.info
    columns = list(info.columns)
    n, k, events = grouped.n, X.shape[1], int(w @ y)
    if events in (0, n) or n <= k:
        raise InputError(
            f"model {spec['name']!r}: {n} complete cases with {events} events cannot "
            f"estimate {k} parameters",
            hint="Widen the subset or drop terms.",
        )
    separation = detect_separation(pd.Series(y), pd.DataFrame(X, columns=columns), w)
    method, est, notes = _estimate(
        y, X, w, columns, separation["detected"], cov_type, level, interval
    )
    params, cov = est["params"], est["cov"]
    bounds = est.get("bounds", np.full((k, 2), np.nan))
    empty = [t.variable for t in info.terms if not t.levels]
    notes += [f"{v} has one level in the complete cases and drops out" for v in empty]
    firth = method == FIRTH
    summary = {
        "name": spec["name"],
        "formula": spec["formula"],
        "subset": spec.get("subset"),
        "references": {t.variable: t.reference for t in info.terms},
        "terms": columns,
        "method": method,
        "inference": _inference(firth, cov_type, interval),
        "level": level,
        "rows_in_subset": info.rows_in_subset,
        "converged": est["converged"],
        "iterations": est["iterations"],
        **fit_statistics(y, X, w, params),
        "penalised_llf": est.get("penalised_llf"),
        "cov_type": "nonrobust" if firth else cov_type,
        "separation": separation,
        "dropped_levels": list(info.dropped_levels),
        "warnings": notes,
    }
    return ModelResult(
        coefficients=coefficient_table(
            columns,
            params,
            cov,
            bounds,
            level,
            est.get("p_values"),
            lr_test="penalised_lr_chi2" if firth else "lr_chi2",
            lr_statistics=est.get("lr_statistics"),
        ),
        marginal_effects=marginal_effects(X, w, info, params, cov, level, firth=firth),
        fit=summary,
    )
