"""What the write-up notebooks call: results in, markdown and HTML with their numbers out.

Every number a reader sees in the write-up is formatted here from a result table, so the
notebooks hold prose and headings only. The second half runs a notebook template with
papermill, strips what would change between runs, renders HTML without code, and checks that
the page fetches nothing from anywhere.

papermill, nbconvert and the figure modules (matplotlib, and scipy through them) are imported
inside the functions that need them: the rule script that runs a notebook must not pay for
what only the kernel uses, nor the kernel for papermill.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import html
import io as _bytes_io
import os
import platform
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from invitesurvey import claims, codebook, io, manifest
from invitesurvey.claims import Claim, Claims
from invitesurvey.codebook import Codebook, code_text
from invitesurvey.errors import InputError

if TYPE_CHECKING:
    from invitesurvey.figures import Behaviour

GROUP_ORDER = ("recruiters", "non_recruiters", "all")
GROUP_NAMES = {"recruiters": "recruiters", "non_recruiters": "non-recruiters", "all": "everyone"}
RECRUITER = "recruiter"
POOLED = "all"
# The balance of power is read off four answers the instrument fixes (instrument.md).
JOB_SEEKING = ("purpose", "find_role")
HIRING = ("purpose", "hire")
ACCEPTING = ("accepts_strangers", "true")
INVITING = ("invites_strangers", "true")
PACKAGES = (
    "invitesurvey", "pandas", "numpy", "scipy", "statsmodels", "firthmodels", "matplotlib",
    "seaborn", "pyarrow", "papermill", "nbconvert", "ipykernel", "snakemake",
)  # fmt: skip
TEST_NAMES = {
    "pearson_chi2": "Pearson's chi-square test",
    "fisher_exact": "Fisher's exact test",
    "not_testable": "no test (a group or an answer is empty)",
}
_MONTE_CARLO = re.compile(r"fisher_freeman_halton_mc\((?P<draws>\d+), seed=(?P<seed>\d+)\)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
WAVE_COLUMNS = ("wave", "wave_from", "wave_to")


# --- Reading results ---------------------------------------------------------------------


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


# --- Formatting --------------------------------------------------------------------------


def percent(p: float, digits: int = 1) -> str:
    """A proportion as a percentage: ``0.5213`` -> ``52.1%``; missing -> ``n/a``."""
    return "n/a" if pd.isna(p) else f"{100 * p:.{digits}f}%"


def interval(low: float, high: float, digits: int = 1) -> str:
    """A proportion interval in percent: ``46.8–57.3%``."""
    if pd.isna(low) or pd.isna(high):
        return "n/a"
    return f"{100 * low:.{digits}f}–{100 * high:.{digits}f}%"


def points(diff: float, digits: int = 1) -> str:
    """A difference of proportions in percentage points, with a true minus sign."""
    if pd.isna(diff):
        return "n/a"
    return f"{100 * diff:+.{digits}f}".replace("-", "−") + " points"


def p_value(p: float) -> str:
    """A p-value as reported: three decimals, or ``< 0.001``."""
    if pd.isna(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def number(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.{digits}f}"


def level_text(level: float) -> str:
    """A confidence level as written in prose: ``0.95`` -> ``95%``."""
    return f"{100 * level:g}%"


def escape(text: object) -> str:
    """Text safe inside markdown: punctuation that markdown would read is backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` as it stands (format numbers first); no index."""
    header = "| " + " | ".join(escape(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(escape(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *rows])


# --- The study and its data ----------------------------------------------------------------


def notice(sheet: Mapping[str, Mapping[str, str]], reconstructed: str | None) -> str:
    """The warning a reader must see first: which wave is a reconstruction, and every wave's
    note from the waves sheet. Empty when there is nothing to say."""
    lines = []
    if reconstructed in sheet:
        lines.append(
            f"<p><strong>Wave {html.escape(reconstructed)} is a reconstruction from the "
            "article's published aggregates, not the original responses.</strong> No "
            "respondent-level data were ever published: its answers were solved for so that "
            "they reproduce the article's rounded percentages, so agreeing with the article "
            "is no evidence about the survey.</p>"
        )
    notes = [
        f"<li><strong>Wave {html.escape(wave)}</strong>: {html.escape(row['note'])}</li>"
        for wave, row in sheet.items()
        if row.get("note")
    ]
    if notes:
        lines.append(f"<p>The waves sheet says:</p><ul>{''.join(notes)}</ul>")
    if not lines:
        return ""
    return f'<aside class="notice" role="note">{"".join(lines)}</aside>'


def group_sizes(crosstabs: pd.DataFrame, wave: str) -> dict[str, int]:
    """Respondents of a wave by recruiter status, from the ``recruiter`` item's counts."""
    rows = crosstabs[
        (crosstabs["wave"] == wave)
        & (crosstabs["variable"] == RECRUITER)
        & (crosstabs["group"] == POOLED)
    ]
    if rows.empty:
        raise InputError(
            f"no rows of the {RECRUITER!r} item for wave {wave!r}",
            file="results/tables/crosstabs.csv",
            column="variable",
            hint="Rebuild the crosstabs from every wave of the waves sheet.",
        )
    counts = dict(zip(rows["code"].astype(str), rows["n"].astype(int), strict=True))
    return {"recruiters": counts.get("true", 0), "non_recruiters": counts.get("false", 0)}


def analysed(flow: pd.DataFrame) -> int:
    """Rows the analysis keeps: the ``rows_out`` of the flow's last step."""
    return int(flow["rows_out"].iloc[-1])


def study(
    source: str,
    sheet: Mapping[str, Mapping[str, str]],
    flows: Mapping[str, pd.DataFrame],
    crosstabs: pd.DataFrame,
) -> str:
    """Where the data come from and how many answered, wave by wave."""
    rows = []
    for wave, row in sheet.items():
        sizes = group_sizes(crosstabs, wave)
        rows.append(
            {
                "wave": wave,
                "fieldwork": f"{row['fieldwork_start']} to {row['fieldwork_end']}",
                "export": row["format"],
                "rows exported": int(flows[wave]["rows_in"].iloc[0]),
                "analysed": analysed(flows[wave]),
                "recruiters": sizes["recruiters"],
                "non-recruiters": sizes["non_recruiters"],
            }
        )
    total = sum(analysed(flows[w]) for w in sheet)
    waves = "one wave" if len(sheet) == 1 else f"{len(sheet)} waves"
    return (
        f"The article: {escape(source)}\n\n"
        f"This page analyses {total} respondents in {waves}:\n\n"
        + markdown_table(pd.DataFrame(rows))
    )


def flow_table(flows: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each wave's cleaning steps: rows in, excluded and out, waves in the given order."""
    frames = [flow.assign(wave=wave) for wave, flow in flows.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["wave", "step", "rule", "rows_in", "excluded", "rows_out"]]


def flow_text(flows: Mapping[str, pd.DataFrame]) -> str:
    """The data flow in a sentence per wave, then the table of every step."""
    sentences = []
    for wave, flow in flows.items():
        removed = flow.iloc[1:-1]
        parts = [f"{int(r.excluded)} {r.rule.replace('_', ' ')}" for r in removed.itertuples()]
        dropped = ", ".join(parts) if parts else "nothing"
        sentences.append(
            f"Wave {escape(wave)}: {int(flow['rows_in'].iloc[0])} rows exported, "
            f"{escape(dropped)} removed, {analysed(flow)} analysed."
        )
    return "\n\n".join([*sentences, markdown_table(flow_table(flows))])


def _test_name(test: str) -> str:
    found = _MONTE_CARLO.fullmatch(test)
    if found:
        return (
            f"Monte Carlo Fisher–Freeman–Halton test ({int(found['draws']):,} draws, "
            f"seed {found['seed']})"
        )
    return TEST_NAMES.get(test, test)


def methods(*, level: float, min_base: int, tests: pd.DataFrame, fits: Mapping[str, dict]) -> str:
    """Intervals, tests and models as the results record them."""
    from invitesurvey.crosstab import MIN_EXPECTED

    used = tests["test"].map(_test_name).value_counts(sort=False)
    test_list = "; ".join(f"{escape(name)} for {n}" for name, n in used.items())
    lines = [
        "**Shares.** Each share counts the respondents of a group who answered the item, so "
        "item non-response is never read as a no; bases therefore differ between items.",
        f"**Intervals.** Shares carry {level_text(level)} Wilson score intervals; differences "
        f"between groups and between waves carry Newcombe's hybrid score intervals at the "
        f"same level. Bases under {min_base} are flagged as low.",
        f"**Tests.** The association of each item with recruiter status is tested per wave and "
        f"pooled ({len(tests)} tests): {test_list}. The exact or Monte Carlo test replaces the "
        f"chi-square wherever an expected count is under {MIN_EXPECTED}; Holm's method adjusts "
        "the p-values of the questionnaire items within each wave (derived variables, which "
        "recode an item, are left out of that family).",
    ]
    for name, fit in fits.items():
        lines.append(f"**Model {escape(name)}.** {model_text(fit)}")
    return "\n\n".join(lines)


# --- Findings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One of the article's themes: a behaviour it published, and the claims about it."""

    behaviour: Behaviour
    claims: tuple[Claim, ...]

    @property
    def title(self) -> str:
        return self.behaviour.label


def themes(published: Claims, book: Codebook) -> list[Theme]:
    """The article's themes in its order: one per published behaviour."""
    from invitesurvey import figures

    found = []
    for behaviour in figures.behaviours(published, book):
        about = tuple(
            c
            for c in published.proportions()
            if c.variable == behaviour.variable
            and tuple(code_text(x) for x in c.codes) == behaviour.codes
        )
        found.append(Theme(behaviour, about))
    return found


def theme_claims(published: Claims, theme_: Theme) -> Claims:
    """The published claims restricted to one theme, for a figure of that theme alone."""
    return Claims(source=published.source, groups=published.groups, claims=theme_.claims)


def table_key(behaviour: Behaviour, book: Codebook) -> tuple[str, str] | None:
    """The one (variable, code) row of the tables holding a behaviour, if one does."""
    from invitesurvey import figures

    derived = figures.derived_for(book, behaviour.variable, behaviour.codes)
    if derived is not None:
        return derived.name, "true"
    if len(behaviour.codes) == 1:
        return behaviour.variable, behaviour.codes[0]
    return None


def _rows_of(frame: pd.DataFrame, key: tuple[str, str] | None, wave: str) -> pd.DataFrame:
    if key is None:
        return frame.iloc[0:0]
    variable, code = key
    return frame[
        (frame["wave"] == wave)
        & (frame["variable"] == variable)
        & (frame["code"].astype(str) == code)
    ]


def shares_sentence(shares: pd.DataFrame, wave: str, level: float) -> str:
    """The shares of one wave, group by group, with interval and counts."""
    cells = shares[shares["wave"] == wave].set_index("group")
    parts = [
        f"{percent(r.prop)} of {GROUP_NAMES[g]} ({level_text(level)} CI "
        f"{interval(r.ci_low, r.ci_high)}; {int(r.n)} of {int(r.base)})"
        for g in GROUP_ORDER
        if g in cells.index
        for r in [cells.loc[g]]
    ]
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else "".join(parts)
    return f"Wave {escape(wave)}: {listed or 'no answers'}."


def published_sentence(theme_: Theme, checks: pd.DataFrame | None, wave: str) -> str:
    """What the article published for the theme and, given the check table, whether the
    data reproduce it."""
    parts = []
    for claim in theme_.claims:
        text = escape(f"{claims.published_text(claim)} of {GROUP_NAMES[claim.group]}")
        row = checks[checks["id"] == claim.id] if checks is not None else None
        if row is not None and not row.empty:
            mark = "reproduced" if bool(row["pass"].iloc[0]) else "**not reproduced**"
            text += f" ({mark}: {number(row['observed'].iloc[0], 1)}%)"
        parts.append(text)
    quotes = escape(" … ".join(f"“{c.text}”" for c in theme_.claims))
    return f"The article, for wave {escape(wave)}: {quotes}: {'; '.join(parts)}."


def difference_sentence(
    differences: pd.DataFrame, tests: pd.DataFrame, key: tuple[str, str] | None, wave: str
) -> str:
    """Recruiters minus non-recruiters, and the item's association test, for one wave."""
    parts = []
    row = _rows_of(differences, key, wave)
    if not row.empty:
        r = row.iloc[0]
        parts.append(
            f"Recruiters minus non-recruiters: {points(r['diff'])} "
            f"(CI {points(r['ci_low'])} to {points(r['ci_high'])})."
        )
    if key is not None:
        test = tests[(tests["wave"] == wave) & (tests["variable"] == key[0])]
        if not test.empty:
            t = test.iloc[0]
            adjusted = (
                f"Holm-adjusted {p_value(t['p_holm'])}"
                if pd.notna(t["p_holm"])
                else "not Holm-adjusted, as it recodes an item already tested"
            )
            parts.append(
                f"Association of the item with recruiter status ({_test_name(t['test'])}): "
                f"p {p_value(t['p_value'])}, {adjusted}."
            )
    return " ".join(parts)


def shares_table(shares: pd.DataFrame, waves: Sequence[str], level: float) -> pd.DataFrame:
    """A behaviour's shares in ``waves`` and pooled, group by group, formatted for reading."""
    order = {w: i for i, w in enumerate([*waves, POOLED])}
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    rows = shares[shares["wave"].isin(list(order))].sort_values(
        ["wave", "group"], key=lambda s: s.map(order if s.name == "wave" else rank)
    )
    return pd.DataFrame(
        {
            "wave": rows["wave"].replace({POOLED: "pooled"}),
            "group": rows["group"].map(GROUP_NAMES),
            "share": rows["prop"].map(percent),
            f"{level_text(level)} CI": [
                interval(a, b) for a, b in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "answered": [
                f"{int(n)} of {int(b)}" for n, b in zip(rows["n"], rows["base"], strict=True)
            ],
        }
    )


def finding(
    theme_: Theme,
    results: Results,
    *,
    waves: Sequence[str],
    wave: str,
    level: float,
    checks: pd.DataFrame | None = None,
) -> str:
    """One theme: the shares in ``wave`` with intervals, the article's figure, the group
    difference and its test, then a table of every wave in ``waves``."""
    from invitesurvey import figures

    shares = figures.behaviour_shares(
        results.tables["crosstabs"], theme_claims(results.published, theme_), results.book,
        level=level,
    )  # fmt: skip
    shares = shares.assign(wave=shares["wave"].astype(str))
    key = table_key(theme_.behaviour, results.book)
    text = [
        shares_sentence(shares, wave, level),
        published_sentence(theme_, checks, wave),
        difference_sentence(results.tables["differences"], results.tables["tests"], key, wave),
    ]
    if len(waves) > 1:
        text.append(markdown_table(shares_table(shares, waves, level)))
    return "\n\n".join(t for t in text if t)


def _share(crosstabs: pd.DataFrame, key: tuple[str, str], wave: str, group: str) -> pd.Series:
    rows = _rows_of(crosstabs, key, wave)
    rows = rows[rows["group"] == group]
    if rows.empty:
        raise InputError(
            f"no row for {key[0]} = {key[1]}, group {group!r}, wave {wave!r}",
            file="results/tables/crosstabs.csv",
            hint="Every code needs a row per wave and group, also when its count is 0.",
        )
    return rows.iloc[0]


def balance_of_power(crosstabs: pd.DataFrame, wave: str, level: float) -> str:
    """The article's balance of power in numbers: job seekers per person hiring, and how much
    more readily each group accepts strangers than invites them."""
    seeking, hiring = (_share(crosstabs, k, wave, POOLED) for k in (JOB_SEEKING, HIRING))
    if hiring["n"] > 0:
        per = f"{seeking['n'] / hiring['n']:.1f} job seekers for every respondent hiring"
    else:
        per = "nobody hiring at all"
    lines = [
        f"Wave {escape(wave)}: {percent(seeking['prop'])} of all respondents use LinkedIn mainly "
        f"to look for a role ({level_text(level)} CI "
        f"{interval(seeking['ci_low'], seeking['ci_high'])}) and {percent(hiring['prop'])} "
        f"mainly to hire ({interval(hiring['ci_low'], hiring['ci_high'])}): {per}."
    ]
    for group in GROUP_ORDER[:2]:
        accept, invite = (_share(crosstabs, k, wave, group) for k in (ACCEPTING, INVITING))
        lines.append(
            f"{GROUP_NAMES[group].capitalize()} accept invitations from strangers at "
            f"{percent(accept['prop'])} ({interval(accept['ci_low'], accept['ci_high'])}) and "
            f"invite strangers at {percent(invite['prop'])} "
            f"({interval(invite['ci_low'], invite['ci_high'])}): a gap of "
            f"{points(accept['prop'] - invite['prop'])}."
        )
    return "\n\n".join(lines)


def trends(changes: pd.DataFrame, theme_list: Sequence[Theme], book: Codebook) -> str:
    """Wave-to-wave change of each theme's share, per group, with interval and p-value."""
    keys = {table_key(t.behaviour, book): t.title for t in theme_list}
    keys.pop(None, None)
    code = changes["code"].astype(str)
    mask = pd.Series(
        [(v, c) in keys for v, c in zip(changes["variable"], code, strict=True)],
        index=changes.index,
    )
    rows = changes[mask]
    table = pd.DataFrame(
        {
            "theme": [keys[(v, c)] for v, c in zip(rows["variable"], code[mask], strict=True)],
            "group": rows["group"].map(GROUP_NAMES),
            "waves": rows["wave_from"] + " → " + rows["wave_to"],
            "from": rows["prop_from"].map(percent),
            "to": rows["prop_to"].map(percent),
            "change": rows["diff"].map(points),
            "CI": [
                f"{points(a)} to {points(b)}"
                for a, b in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "p": rows["p_value"].map(p_value),
        }
    )
    return markdown_table(table)


# --- Claims and GRIM ---------------------------------------------------------------------


def claims_summary(checks: pd.DataFrame) -> str:
    passed = int(checks["pass"].astype(bool).sum())
    return f"{passed} of {len(checks)} published figures are reproduced."


def _observed(observed: float, numerator: float, denominator: float) -> str:
    """A reproduced value as the claim states it: percent, count or ratio."""
    if pd.notna(denominator):
        return f"{number(observed, 1)}% ({int(numerator)}/{int(denominator)})"
    if pd.notna(numerator):
        return str(int(numerator))
    return number(observed, 1)


def claims_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The check table for reading: the article's words, both values and a pass mark."""
    return pd.DataFrame(
        {
            "claim": checks["id"],
            "the article": checks["claim"],
            "published": checks["published"],
            "reproduced": [
                _observed(*values)
                for values in zip(
                    checks["observed"], checks["numerator"], checks["denominator"], strict=True
                )
            ],
            "": checks["pass"].astype(bool).map({True: "✓", False: "✗"}),
        }
    )


def _spans(values: Sequence[int]) -> str:
    """Integers as runs: ``50 51 52 55`` -> ``50–52, 55``."""
    runs: list[list[int]] = []
    for v in sorted(values):
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def grim_text(summary: pd.DataFrame) -> str:
    """Per group: do the published percentages admit one common group size?"""
    lines = []
    for row in summary.itertuples(index=False):
        sizes = f"{row.size_low} to {row.size_high}"
        name = GROUP_NAMES[row.group]
        if row.common_base:
            common = [int(x) for x in str(row.common_denominators).split()]
            lines.append(
                f"For {name} ({sizes} in the article's words), {row.claims} percentages are "
                f"audited; group sizes making every one attainable: {_spans(common)}."
            )
        else:
            lines.append(
                f"For {name} ({sizes} in the article's words), {row.claims} percentages are "
                "audited and **no single group size makes all of them attainable**: the "
                "bases must differ from item to item, so the article's figures imply item "
                "non-response."
            )
    return "\n\n".join(lines)


def grim_table(audit: pd.DataFrame) -> pd.DataFrame:
    """Per audited claim, the candidate denominators that can produce its percentage."""
    rows = []
    for (claim_id, group, published), cells in audit.groupby(
        ["claim_id", "group", "published"], sort=False
    ):
        fits = cells.loc[cells["attainable"].astype(bool), "denominator"].astype(int).tolist()
        rows.append(
            {
                "claim": claim_id,
                "group": GROUP_NAMES[group],
                "published": published,
                "attainable with": _spans(fits),
                "candidates": f"{cells['denominator'].min()}–{cells['denominator'].max()}",
            }
        )
    return pd.DataFrame(rows)


# --- The model ---------------------------------------------------------------------------


def model_text(fit: Mapping[str, Any], reconstructed: str | None = None) -> str:
    """How a model was fitted, and whether and why Firth's penalised likelihood was used.

    With a reconstructed wave in the data, it says which terms can carry a finding: the
    reconstruction drew each item independently within recruiter groups.
    """
    separation = fit["separation"]
    found = separation.get("terms", [])
    if separation["detected"]:
        terms = ", ".join(f"{t['term']} ({t['direction']})" for t in found)
        checked = f"Separation was detected before fitting ({separation['method']}): {terms}."
    else:
        checked = f"No separation was detected before fitting ({separation['method']})."
    firth = fit["method"] != "maximum likelihood"
    why = [w for w in fit.get("warnings", []) if "Firth" in w or "penalised" in w]
    used = (
        f"Firth's penalised likelihood was used ({'; '.join(why) or fit['method']}), "
        f"with {fit['inference']['intervals']} intervals."
        if firth
        else f"Estimated by maximum likelihood, with {fit['inference']['intervals']} intervals "
        f"and {fit['inference']['std_error']} standard errors."
    )
    references = ", ".join(f"{k} = {v}" for k, v in fit["references"].items())
    return escape(
        f"Logistic regression {fit['formula']} on {fit['n']} complete cases "
        f"({fit['events']} with the outcome) of {fit['rows_in_subset']}; reference levels "
        f"{references}. {checked} {used}"
        + (
            f" Wave {reconstructed} was rebuilt with every item drawn independently within each "
            "recruiter group, so in its data only recruiter status (and, with several waves, "
            "the wave) can relate to the outcome beyond chance: read the other terms as a check "
            "of the method, not as findings."
            if reconstructed
            else ""
        )
    )


def _term_table(
    frame: pd.DataFrame, value: str, title: str, fmt: Callable, level: float, bounds: tuple
) -> pd.DataFrame:
    """One row per model term: its value and interval in ``fmt``, and the Wald p-value."""
    from invitesurvey.figures import term_label

    low, high = bounds
    return pd.DataFrame(
        {
            "term": frame["term"].map(term_label),
            title: frame[value].map(fmt),
            f"{level_text(level)} CI": [
                f"{fmt(a)} to {fmt(b)}" for a, b in zip(frame[low], frame[high], strict=True)
            ],
            "p": frame["p_value"].map(p_value),
        }
    )


def odds_ratio_table(coefficients: pd.DataFrame, level: float) -> pd.DataFrame:
    """Odds ratios with intervals and Wald p-values; the intercept is left out."""
    terms = coefficients[coefficients["term"] != "Intercept"]
    return _term_table(
        terms, "odds_ratio", "odds ratio", number, level, ("or_ci_low", "or_ci_high")
    )


def marginal_effects_table(effects: pd.DataFrame, level: float) -> pd.DataFrame:
    """Average marginal effects in percentage points with intervals."""
    return _term_table(
        effects, "ame", "average change in probability", points, level, ("ci_low", "ci_high")
    )


def fit_table(fit: Mapping[str, Any]) -> pd.DataFrame:
    """The fit statistics a reader checks, one per row."""
    rows = [
        ("method", fit["method"]),
        ("complete cases", fit["n"]),
        ("with the outcome", fit["events"]),
        ("converged", "yes" if fit["converged"] else "no"),
        ("iterations", fit["iterations"]),
        ("separation detected", "yes" if fit["separation"]["detected"] else "no"),
        ("log-likelihood", number(fit["llf"], 3)),
        ("null log-likelihood", number(fit["llnull"], 3)),
        ("McFadden pseudo-R²", number(fit["pseudo_r2"], 3)),
        ("AIC", number(fit["aic"], 1)),
        ("BIC", number(fit["bic"], 1)),
    ]
    if fit.get("penalised_llf") is not None:
        rows.append(("penalised log-likelihood", number(fit["penalised_llf"], 3)))
    rows += [("warning", w) for w in fit.get("warnings", [])]
    return pd.DataFrame(rows, columns=["statistic", "value"])


# --- Limitations and provenance ------------------------------------------------------------


def limitations(
    *,
    sheet: Mapping[str, Mapping[str, str]],
    reconstructed: str | None,
    flows: Mapping[str, pd.DataFrame],
    crosstabs: pd.DataFrame,
    min_base: int,
) -> str:
    """What the numbers cannot say, with the counts that make each limit concrete."""
    total = sum(analysed(flows[w]) for w in sheet)
    shown = crosstabs[(crosstabs["group"] != POOLED) & (crosstabs["wave"] != POOLED)]
    low = shown.drop_duplicates(["wave", "group", "variable"])
    n_low = int(low["low_base"].astype(bool).sum())
    lines = [
        f"**A convenience sample.** The {total} respondents are contacts of the firm that ran "
        "the survey, not a probability sample of LinkedIn members: the "
        "intervals measure sampling noise as if the sample were random, not how far the "
        "firm's contacts differ from everyone else.",
        "**Self-report.** Every answer is what respondents say they do with invitations, "
        "asked once, not what they were seen to do.",
        f"**Small groups.** {n_low} of the {len(low)} item bases by wave and group are under "
        f"{min_base} answers (flagged low): their intervals, not their point estimates, carry "
        "the message.",
    ]
    if reconstructed in sheet:
        lines.insert(
            1,
            f"**A reconstruction.** Wave {escape(reconstructed)} holds no original responses: "
            "it was rebuilt from the article's rounded percentages plus assumptions for "
            "everything the article did not publish (listed in data/raw/README.md). That it "
            "reproduces the article is by construction; its tests and model estimates "
            "describe those assumptions as much as the survey.",
        )
    return "\n\n".join(lines)


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


def provenance_text(code_version: str, hashes: pd.DataFrame) -> str:
    """The code version and a summary of the files this page was computed from."""
    return (
        f"Code version: {escape(code_version)}. This page was computed from the "
        f"{len(hashes)} files below ({int(hashes['bytes'].sum()):,} bytes); the audit manifest "
        "results/audit/manifest.tsv, written after this page, lists every output with its "
        "sha256, its producing rule and its inputs."
    )


# --- Figures -----------------------------------------------------------------------------


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


def png(fig: Any, dpi: int) -> Picture:
    """A matplotlib figure as PNG bytes that do not change between runs."""
    from invitesurvey import theme

    buffer = _bytes_io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=theme.METADATA["png"])
    return Picture(buffer.getvalue(), "image/png")


def figure_html(picture: Picture, *, name: str, alt: str, caption: str) -> str:
    """A figure embedded in the page as a data URI, so the page needs no other file."""
    encoded = base64.b64encode(picture.data).decode("ascii")
    return (
        f'<figure id="figure-{html.escape(name)}">'
        f'<img alt="{html.escape(alt)}" src="data:{picture.mime};base64,{encoded}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def drawn(
    draw: Callable[..., Any],
    *args: Any,
    name: str,
    alt: str,
    caption: str,
    palette: str,
    dpi: int,
    **kwargs: Any,
) -> str:
    """Draw a figure of :mod:`invitesurvey.figures` in the house theme and embed it."""
    from invitesurvey import theme

    with theme.use(palette):
        return figure_html(png(draw(*args, **kwargs), dpi), name=name, alt=alt, caption=caption)


# --- Running a notebook --------------------------------------------------------------------

# What the kernel must see so that two runs give the same bytes: a fixed name for cell code
# in tracebacks and warnings (else a temporary path with the kernel's pid), a fixed epoch for
# any library that stamps dates, and a fixed hash seed for anything ordered by hashing.
KERNEL_ENVIRONMENT = {
    "IPYKERNEL_CELL_NAME": "<IPY-INPUT>",
    "SOURCE_DATE_EPOCH": "0",
    "PYTHONHASHSEED": "0",
}
# Notebook metadata papermill writes that does not change between runs.
KEPT_PAPERMILL = ("default_parameters", "parameters", "version")


def require_kernel(name: str) -> None:
    """Fail before executing anything when no Jupyter kernel has this name."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        known = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise InputError(
            f"no Jupyter kernel named {name!r} (installed kernels: {known})",
            file="config/config.yaml",
            column="report.kernel",
            hint=f"Install it from the project's environment with `python -m ipykernel "
            f"install --user --name {name}`, or run Snakemake from the project's venv, or set "
            "report.kernel to an installed kernel.",
        ) from None


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (a kernel started inside inherits them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class NotebookError(RuntimeError):
    """A cell of a report notebook raised; the message names the notebook, cell and error."""


@contextlib.contextmanager
def _process_stderr(stream: Any) -> Iterator[None]:
    """Point file descriptor 2 at ``stream`` for the block: a kernel started inside then
    writes its own start-up and shutdown messages to the rule log, not to the terminal."""
    if stream is None:
        yield
        return
    stream.flush()
    saved = os.dup(2)
    os.dup2(stream.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def execute(
    template: str | Path,
    parameters: Mapping[str, Any],
    *,
    kernel: str,
    timeout: int,
    cwd: str | Path | None = None,
    log: Any = None,
) -> Any:
    """Run a notebook template with papermill in a fresh kernel; return the executed notebook.

    Cell output streams, and the kernel process's own messages, go to ``log`` (a file) as
    they happen. A cell that raises stops the run with a :class:`NotebookError` naming the
    cell and its error, the cell's traceback chained to it; nothing is written, so a failed
    run leaves no page behind.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    require_kernel(kernel)
    with _environment(KERNEL_ENVIRONMENT), _process_stderr(log):
        try:
            return papermill.execute_notebook(
                str(template),
                None,
                parameters=dict(parameters),
                kernel_name=kernel,
                execution_timeout=timeout,
                progress_bar=False,
                stdout_file=log,
                stderr_file=log,
                cwd=None if cwd is None else str(cwd),
            )
        except PapermillExecutionError as error:
            first_line = error.source.strip().splitlines()[0] if error.source.strip() else ""
            raise NotebookError(
                f"{template}: cell {error.exec_count} ({first_line!r}) raised {error.ename}: "
                f"{error.evalue}"
            ) from error


def normalise(notebook: Any) -> Any:
    """The executed notebook without anything that changes between identical runs.

    Papermill's timings and paths and the kernel's execution timestamps are dropped, the
    injected parameters cell gets a fixed id, and stderr streams are removed: they are in the
    rule log already, and warnings about caches or the platform would make two runs differ.
    """
    notebook = copy.deepcopy(notebook)
    kept = {k: v for k, v in notebook.metadata.get("papermill", {}).items() if k in KEPT_PAPERMILL}
    notebook.metadata["papermill"] = kept
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
    return notebook


def notebook_text(notebook: Any) -> str:
    """The notebook as JSON: sorted keys, so equal notebooks are equal bytes."""
    import nbformat

    return nbformat.writes(notebook) + "\n"


STYLE = """
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 58rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem;
  overflow-wrap: break-word; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.4rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.12rem; margin-top: 1.8rem; }
.anchor-link { display: none; }
.notice { background: #fff4d6; border: 2px solid #c98a00; border-radius: 6px;
  padding: 0.4rem 1rem; margin: 1rem 0; }
figure { margin: 1rem 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #444; margin-top: 0.3rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; display: block;
  max-width: 100%; overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: #f3f3f3; }
pre { white-space: pre-wrap; font-size: 0.85rem; }
"""


def page(body: str, title: str) -> str:
    """A complete HTML page around ``body`` with its own stylesheet and nothing fetched."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body.strip()}\n</main>\n</body>\n</html>\n"
    )


def render_html(notebook: Any, title: str) -> str:
    """The executed notebook as one self-contained page: outputs and markdown, no code.

    nbconvert's ``basic`` template gives the cells' HTML without the lab template's scripts,
    stylesheets and fonts from CDNs; :func:`page` wraps it with an inline stylesheet.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    return page(body, title)


# --- Checking a page -----------------------------------------------------------------------

_URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "data", "action", "formaction",
                   "background", "xlink:href", "manifest", "longdesc", "ping"}  # fmt: skip
_FETCHING_TAGS = {"script", "link", "iframe", "frame", "object", "embed", "base", "applet"}
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?P<url>[^'\")\s]*)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
_NETWORK = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def _fetches(url: str) -> bool:
    """Whether a URL in a page would load something beyond the page itself."""
    url = url.strip()
    return not (url == "" or url.startswith("#") or url.lower().startswith("data:"))


class _Scanner(HTMLParser):
    """Collects every reference a browser could follow out of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FETCHING_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self._css(value, f"<{tag} style>")
            elif name == "srcset":
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if _fetches(url):
                        self.problems.append(f"<{tag} srcset> {url}")
            elif name in _URL_ATTRIBUTES:
                # A link elsewhere is only a problem when it leaves the machine; an image or
                # any other src must be inside the page.
                leaves = _NETWORK.match(value) if name == "href" and tag == "a" else None
                if (tag != "a" and _fetches(value)) or leaves:
                    self.problems.append(f"<{tag} {name}> {value.strip()}")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str) -> None:
        if _CSS_IMPORT.search(css):
            self.problems.append(f"{where} @import")
        for found in _CSS_URL.finditer(css):
            if _fetches(found["url"]):
                self.problems.append(f"{where} url({found['url']})")


def page_problems(page_html: str) -> list[str]:
    """Every script, stylesheet, font, image or frame the page would load from elsewhere, and
    every link off the machine; empty for a self-contained page."""
    scanner = _Scanner()
    scanner.feed(page_html)
    scanner.close()
    return scanner.problems


def check_page(page_html: str, path: str | Path) -> None:
    """Refuse a page that is not self-contained, naming what it would fetch."""
    problems = page_problems(page_html)
    if problems:
        raise InputError(
            f"the rendered page is not self-contained: {'; '.join(problems[:5])}",
            file=path,
            hint="Embed figures as data URIs and remove scripts, stylesheets and links to "
            "the network from the notebook's outputs.",
        )


def write_text(text: str, path: str | Path) -> None:
    """Write a notebook or page atomically, UTF-8 with ``\\n`` line ends."""
    with io.atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
