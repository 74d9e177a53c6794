"""Results formatted for the write-up: numbers as a reader reads them, tables ready to show,
and the few sentences whose content varies with the data (which waves, which changes).

The words around them are the notebook's markdown cells (notebooks/writeup.ipynb): nothing
here returns a fixed paragraph. Reading is :mod:`invitesurvey.results`; running and rendering
the notebook is :mod:`invitesurvey.report`.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from invitesurvey import claims
from invitesurvey.claims import Claim, Claims, behaviour_shares, behaviours, derived_for
from invitesurvey.codebook import Codebook, Variable, code_text, term_text
from invitesurvey.errors import InputError

if TYPE_CHECKING:
    from invitesurvey.claims import Behaviour
    from invitesurvey.results import Picture

GROUP_ORDER = ("recruiters", "non_recruiters", "all")
GROUP_NAMES = {"recruiters": "recruiters", "non_recruiters": "non-recruiters", "all": "everyone"}
RECRUITER = "recruiter"
POOLED = "all"
# The sheet's origin column: where a wave's rows came from (workflow/schemas/waves.schema.yaml).
ORIGINS = ("collected", "reconstructed", "synthetic")
# The balance of power is read off four answers the instrument fixes (instrument.md).
JOB_SEEKING = ("purpose", "find_role")
HIRING = ("purpose", "hire")
ACCEPTING = ("accepts_strangers", "true")
INVITING = ("invites_strangers", "true")
TEST_NAMES = {
    "pearson_chi2": "Pearson's chi-square test",
    "fisher_exact": "Fisher's exact test",
    "fisher_freeman_halton_exact": "Fisher–Freeman–Halton exact test",
    "not_testable": "no test (a group or an answer is empty)",
}
MODEL_TESTS = {
    "wald_z": "Wald z",
    "lr_chi2": "likelihood ratio",
    "penalised_lr_chi2": "penalised likelihood ratio",
}
_MONTE_CARLO = re.compile(r"fisher_freeman_halton_mc\((?P<draws>\d+), seed=(?P<seed>\d+)\)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


# --- Numbers and markdown ------------------------------------------------------------------


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
    """A p-value as reported: three decimals, four below 0.001, ``< 0.0001`` below that (never
    a zero)."""
    if pd.isna(p):
        return "n/a"
    if p < 0.0001:
        return "< 0.0001"
    return f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


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


def listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _share_cell(prop: float, low: float, high: float) -> str:
    return f"{percent(prop)} ({interval(low, high)})"


# --- Links to the files behind a table ------------------------------------------------------


def relative(path: str | Path, page: str | Path) -> str:
    """``path`` (relative to the workflow's root) as a link from the page at ``page``."""
    return Path(os.path.relpath(path, Path(page).parent)).as_posix()


def sources(paths: Sequence[str | Path], *, page: str | Path, manifest: str | Path) -> str:
    """A line of links (HTML) from a table or figure to the files it came from and to the
    manifest that lists their hashes and producing rules."""
    paths = list(dict.fromkeys(str(p) for p in paths))
    names = [Path(p).name for p in paths]
    # A name two files share (each wave's flow.csv) is told apart by its folder.
    shown = [
        f"{Path(p).parent.name}/{n}" if names.count(n) > 1 else n
        for p, n in zip(paths, names, strict=True)
    ]
    links = [
        f'<a href="{html.escape(relative(p, page))}">{html.escape(n)}</a>'
        for p, n in zip(paths, shown, strict=True)
    ]
    return (
        f'<p class="source">Source: {", ".join(links)} · '
        f'<a href="{html.escape(relative(manifest, page))}">manifest</a></p>'
    )


# --- The waves: where they came from --------------------------------------------------------


def origin(row: Mapping[str, str]) -> str:
    """A sheet row's origin; a row without the column counts as collected."""
    return row.get("origin") or "collected"


def notice(
    sheet: Mapping[str, Mapping[str, str]], words: Mapping[str, str], waves: Sequence[str]
) -> str:
    """The box a reader sees first: for each wave of ``waves`` that was not collected, its
    origin in the notebook's ``words`` and its note from the waves sheet. Empty when every
    wave was collected."""
    items = []
    for wave in waves:
        row = sheet[wave]
        kind = origin(row)
        if kind == "collected":
            continue
        note = f" The waves sheet says: {html.escape(row['note'])}." if row.get("note") else ""
        items.append(
            f'<p data-wave="{html.escape(wave)}" data-origin="{kind}"><strong>Wave '
            f"{html.escape(wave)} is {kind}.</strong> {html.escape(words[kind])}{note}</p>"
        )
    return f'<aside class="notice" role="note">{"".join(items)}</aside>' if items else ""


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


def small_wave_sentences(
    flows: Mapping[str, pd.DataFrame], crosstabs: pd.DataFrame, min_base: int
) -> str:
    """What cannot be read off a wave too small or one-sided for it: one sentence per such
    wave (nothing analysed, fewer respondents than the minimum base, a group with nobody);
    empty when every wave is large enough."""
    said = []
    for wave, flow in flows.items():
        n = analysed(flow)
        if n == 0:
            said.append(f"Wave {wave} has no respondent left after the checks: it has no shares.")
            continue
        sizes = group_sizes(crosstabs, wave) if (crosstabs["wave"] == wave).any() else {}
        empty = [GROUP_NAMES[g] for g in ("recruiters", "non_recruiters") if sizes.get(g) == 0]
        if empty:
            said.append(
                f"Wave {wave} has no {' and no '.join(empty)}: there is no one to compare "
                "the other group with, so its differences and tests are left out."
            )
        if n < min_base:
            said.append(
                f"Wave {wave} has only {n} respondent{'s' if n != 1 else ''} analysed, too few "
                f"for the minimum base of {min_base}: its intervals are wide and flagged."
            )
    return " ".join(said)


def study_table(
    sheet: Mapping[str, Mapping[str, str]],
    flows: Mapping[str, pd.DataFrame],
    crosstabs: pd.DataFrame,
    weighted: Mapping[str, bool],
) -> pd.DataFrame:
    """Per wave: origin, fieldwork, export, rows exported and analysed, group sizes, and
    whether its estimates are weighted."""
    rows = []
    for wave in flows:
        row = sheet[wave]
        sizes = group_sizes(crosstabs, wave)
        rows.append(
            {
                "wave": wave,
                "origin": origin(row),
                "fieldwork": f"{row['fieldwork_start']} to {row['fieldwork_end']}",
                "export": row["format"],
                "rows exported": int(flows[wave]["rows_in"].iloc[0]),
                "analysed": analysed(flows[wave]),
                "recruiters": sizes["recruiters"],
                "non-recruiters": sizes["non_recruiters"],
                "estimates": weighting(wave, weighted),
            }
        )
    return pd.DataFrame(rows)


def weighting(wave: str, weighted: Mapping[str, bool]) -> str:
    """Whether a wave's estimates are weighted, as the weighting line says it."""
    if weighted.get(wave, False):
        return "weighted (raked to the declared population margins)"
    return "unweighted; no population margins declared"


def weighting_line(waves: Sequence[str], weighted: Mapping[str, bool]) -> str:
    """The weighting line: one clause per distinct state, naming its waves."""
    states: dict[str, list[str]] = {}
    for wave in waves:
        states.setdefault(weighting(wave, weighted), []).append(wave)
    parts = [f"wave{'s' if len(w) > 1 else ''} {listed(w)}: {s}" for s, w in states.items()]
    return f"**Weighting.** {'; '.join(parts).capitalize()}."


def flow_table(flows: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each wave's cleaning steps: rows in, excluded and out, waves in the given order."""
    frames = [flow.assign(wave=wave) for wave, flow in flows.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["wave", "step", "rule", "rows_in", "excluded", "rows_out"]]


def flow_sentences(flows: Mapping[str, pd.DataFrame]) -> str:
    """The data flow in a line per wave: exported, removed by each check, analysed."""
    lines = []
    for wave, flow in flows.items():
        removed = flow.iloc[1:-1]
        parts = [f"{int(r.excluded)} {r.rule.replace('_', ' ')}" for r in removed.itertuples()]
        lines.append(
            f"Wave {escape(wave)}: {int(flow['rows_in'].iloc[0])} rows exported, "
            f"{escape(', '.join(parts) or 'nothing')} removed, {analysed(flow)} analysed."
        )
    return "\n\n".join(lines)


def test_name(test: str) -> str:
    found = _MONTE_CARLO.fullmatch(test)
    if found:
        return (
            f"Monte Carlo Fisher–Freeman–Halton test ({int(found['draws']):,} draws, "
            f"seed {found['seed']})"
        )
    return TEST_NAMES.get(test, test)


def tests_used(tests: pd.DataFrame) -> str:
    """Which tests the results used and how often: ``Pearson's chi-square test for 12; ...``."""
    used = tests["test"].map(test_name).value_counts(sort=False)
    return f"{len(tests)} tests: " + "; ".join(f"{escape(n)} for {k}" for n, k in used.items())


# --- The article's themes ------------------------------------------------------------------


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
    found = []
    for behaviour in behaviours(published, book):
        about = tuple(
            c
            for c in published.proportions()
            if c.variable == behaviour.variable
            and tuple(code_text(x) for x in c.codes) == behaviour.codes
        )
        found.append(Theme(behaviour, about))
    return found


def theme_claims(published: Claims, theme_: Theme) -> Claims:
    """The published claims restricted to one theme."""
    return Claims(source=published.source, groups=published.groups, claims=theme_.claims)


def theme_shares(
    crosstabs: pd.DataFrame, published: Claims, theme_: Theme, book: Codebook, level: float
) -> pd.DataFrame:
    """A theme's share per wave and group (summed over its codes), with Wilson intervals."""
    shares = behaviour_shares(crosstabs, theme_claims(published, theme_), book, level=level)
    return shares.assign(wave=shares["wave"].astype(str))


def table_key(behaviour: Behaviour, book: Codebook) -> tuple[str, str] | None:
    """The one (variable, code) row of the tables holding a behaviour, if one does."""
    derived = derived_for(book, behaviour.variable, behaviour.codes)
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


def shares_table(shares: pd.DataFrame, wave: str, level: float) -> pd.DataFrame:
    """A theme's shares in one wave, group by group: share, interval, answered."""
    cells = shares[shares["wave"] == wave].set_index("group")
    rows = [
        {
            "group": GROUP_NAMES[g],
            "share": percent(cells.at[g, "prop"]),
            f"{level_text(level)} CI": interval(cells.at[g, "ci_low"], cells.at[g, "ci_high"]),
            "answered": f"{int(cells.at[g, 'n'])} of {int(cells.at[g, 'base'])}",
        }
        for g in GROUP_ORDER
        if g in cells.index
    ]
    return pd.DataFrame(rows)


def article_table(theme_: Theme, checks: pd.DataFrame | None, claims_wave: str) -> pd.DataFrame:
    """What the article published for the theme, its words, and whether the claims wave's
    data reproduce each figure."""
    rows = []
    for claim in theme_.claims:
        row = checks[checks["id"] == claim.id] if checks is not None else None
        found = row is not None and not row.empty
        rows.append(
            {
                "the article's words": f"“{claim.text}”",
                "group": GROUP_NAMES[claim.group],
                "published": claims.published_text(claim),
                f"wave {claims_wave}": f"{number(row['observed'].iloc[0], 1)}%" if found else "",
                "": ("✓" if bool(row["pass"].iloc[0]) else "✗ not reproduced") if found else "",
            }
        )
    return pd.DataFrame(rows)


def difference_sentence(
    differences: pd.DataFrame, tests: pd.DataFrame, key: tuple[str, str] | None, wave: str
) -> str:
    """Recruiters minus non-recruiters, and the item's association test, for one wave."""
    parts = []
    row = _rows_of(differences, key, wave)
    if not row.empty:
        r = row.iloc[0]
        parts.append(
            f"Wave {escape(wave)}, recruiters minus non-recruiters: {points(r['diff'])} "
            f"(CI {points(r['ci_low'])} to {points(r['ci_high'])})."
        )
    if key is not None:
        test = tests[(tests["wave"] == wave) & (tests["variable"] == key[0])]
        if not test.empty:
            t = test.iloc[0]
            adjusted = (
                f"Holm-adjusted {p_value(t['p_holm'])}"
                if pd.notna(t["p_holm"])
                else "not Holm-adjusted (a derived variable)"
            )
            parts.append(
                f"Association with recruiter status ({test_name(t['test'])}): "
                f"p {p_value(t['p_value'])}, {adjusted}."
            )
    return " ".join(parts)


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


def balance_table(crosstabs: pd.DataFrame, wave: str, level: float) -> pd.DataFrame:
    """The balance of power in one wave: who looks for a role, who hires, and each group's
    accepting and inviting of strangers, with the gap between them."""
    ci = f"{level_text(level)} CI"
    rows = []
    for label, key in (("look for a role", JOB_SEEKING), ("hire", HIRING)):
        share = _share(crosstabs, key, wave, POOLED)
        rows.append({"group": "everyone", "quantity": f"mainly use LinkedIn to {label}",
                     "share": percent(share["prop"]),
                     ci: interval(share["ci_low"], share["ci_high"])})  # fmt: skip
    seeking, hiring = (_share(crosstabs, k, wave, POOLED) for k in (JOB_SEEKING, HIRING))
    ratio = number(seeking["n"] / hiring["n"], 1) if hiring["n"] > 0 else "n/a (nobody hires)"
    rows.append({"group": "everyone", "quantity": "job seekers per respondent hiring",
                 "share": ratio, ci: ""})  # fmt: skip
    for group in GROUP_ORDER[:2]:
        accept, invite = (_share(crosstabs, k, wave, group) for k in (ACCEPTING, INVITING))
        for label, share in (("accept strangers", accept), ("invite strangers", invite)):
            rows.append({"group": GROUP_NAMES[group], "quantity": label,
                         "share": percent(share["prop"]),
                         ci: interval(share["ci_low"], share["ci_high"])})  # fmt: skip
        rows.append({"group": GROUP_NAMES[group], "quantity": "accepting minus inviting",
                     "share": points(accept["prop"] - invite["prop"]), ci: ""})  # fmt: skip
    return pd.DataFrame(rows)


# --- Change between waves ------------------------------------------------------------------


def theme_changes(
    changes: pd.DataFrame, theme_list: Sequence[Theme], book: Codebook, wave_to: str
) -> pd.DataFrame:
    """The changes into ``wave_to`` of every theme and group, with Holm-adjusted p-values.

    The family is what the page shows: one change per theme and group (recruiters,
    non-recruiters, everyone) from the wave before ``wave_to``; Holm's method adjusts across
    all of them at once.
    """
    from invitesurvey.crosstab import holm

    keys = {table_key(t.behaviour, book): t.title for t in theme_list}
    keys.pop(None, None)
    code = changes["code"].astype(str)
    mask = [
        (v, c) in keys and str(w) == wave_to
        for v, c, w in zip(changes["variable"], code, changes["wave_to"], strict=True)
    ]
    rows = changes[mask].copy()
    rows["theme"] = [keys[(v, str(c))] for v, c in zip(rows["variable"], rows["code"], strict=True)]
    rows["p_holm"] = holm(rows["p_value"].to_numpy(dtype=float)) if len(rows) else []
    return rows.reset_index(drop=True)


def trend_table(
    shares: pd.DataFrame, adjusted: pd.DataFrame, theme_: Theme, waves: Sequence[str]
) -> pd.DataFrame:
    """One theme over the waves: a row per group, a column per wave (share and interval),
    then the change from the wave before the last with its Holm-adjusted p-value."""
    mine = adjusted[adjusted["theme"] == theme_.title].set_index("group")
    out = []
    for group in GROUP_ORDER:
        cells = shares[shares["group"] == group].set_index("wave")
        if cells.empty:
            continue
        row = {"group": GROUP_NAMES[group]}
        for wave in waves:
            row[wave] = (
                _share_cell(
                    cells.at[wave, "prop"], cells.at[wave, "ci_low"], cells.at[wave, "ci_high"]
                )
                if wave in cells.index
                else "n/a"
            )
        if len(waves) > 1:
            change = mine.loc[group] if group in mine.index else None
            row[f"change {waves[-2]}→{waves[-1]}"] = (
                points(change["diff"]) if change is not None else "n/a"
            )
            row["p (Holm)"] = p_value(change["p_holm"]) if change is not None else "n/a"
        out.append(row)
    return pd.DataFrame(out)


def change_sentence(adjusted: pd.DataFrame, wave_from: str, wave_to: str, alpha: float) -> str:
    """What changed beyond chance from ``wave_from`` to ``wave_to`` (Holm-adjusted p below
    ``alpha``), or that nothing did."""
    beyond = adjusted[adjusted["p_holm"] < alpha]
    if beyond.empty:
        return (
            f"From wave {escape(wave_from)} to wave {escape(wave_to)}, none of the "
            f"{len(adjusted)} changes shown is beyond chance (Holm-adjusted p < {alpha:g})."
        )
    parts = [
        f"{escape(r.theme.lower())} among {GROUP_NAMES[r.group]} "
        f"({percent(r.prop_from)} to {percent(r.prop_to)}, {points(r.diff)}, "
        f"Holm-adjusted p {p_value(r.p_holm)})"
        for r in beyond.itertuples()
    ]
    return (
        f"From wave {escape(wave_from)} to wave {escape(wave_to)}, {len(beyond)} of the "
        f"{len(adjusted)} changes shown are beyond chance (Holm-adjusted p < {alpha:g}): "
        + "; ".join(parts)
        + "."
    )


# --- Every question and the sample ---------------------------------------------------------


def distribution_table(
    crosstabs: pd.DataFrame, var: Variable, wave: str, level: float
) -> pd.DataFrame:
    """Every answer code of a question in one wave: each group's share (interval), and the
    base of each group in the last row."""
    rows = crosstabs[(crosstabs["variable"] == var.name) & (crosstabs["wave"] == wave)]
    out = []
    for answer in var.codes:
        code = code_text(answer.code)
        line = {"answer": answer.label}
        for group in GROUP_ORDER:
            cell = rows[(rows["group"] == group) & (rows["code"].astype(str) == code)]
            line[GROUP_NAMES[group]] = (
                _share_cell(*cell[["prop", "ci_low", "ci_high"]].iloc[0]) if len(cell) else "n/a"
            )
        out.append(line)
    bases = {
        GROUP_NAMES[g]: f"{int(rows.loc[rows['group'] == g, 'base'].max())} answered"
        if (rows["group"] == g).any()
        else "n/a"
        for g in GROUP_ORDER
    }
    return pd.DataFrame([*out, {"answer": "base", **bases}])


def profile_table(crosstabs: pd.DataFrame, var: Variable, waves: Sequence[str]) -> pd.DataFrame:
    """A profile question by wave and recruiter group: each answer's share, then the bases."""
    out = []
    columns = [(w, g) for w in waves for g in GROUP_ORDER[:2]]
    for answer in [*var.codes, None]:
        line = {"answer": "base" if answer is None else answer.label}
        for wave, group in columns:
            rows = crosstabs[
                (crosstabs["variable"] == var.name)
                & (crosstabs["wave"] == wave)
                & (crosstabs["group"] == group)
            ]
            if answer is None:
                value = str(int(rows["base"].max())) if len(rows) else "n/a"
            else:
                cell = rows[rows["code"].astype(str) == code_text(answer.code)]
                value = percent(cell["prop"].iloc[0]) if len(cell) else "n/a"
            line[f"{wave} {GROUP_NAMES[group]}"] = value
        out.append(line)
    return pd.DataFrame(out)


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
            "the article": checks["claim"],
            "claim": checks["id"],
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


def spans(values: Sequence[int]) -> str:
    """Integers as runs: ``50 51 52 55`` -> ``50–52, 55``."""
    runs: list[list[int]] = []
    for v in sorted(values):
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def grim_summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per group: the article's stated size, the percentages audited and the group sizes that
    make every one of them attainable (``none``: the bases must differ from item to item)."""
    return pd.DataFrame(
        {
            "group": summary["group"].map(GROUP_NAMES),
            "size in the article's words": [
                f"{a} to {b}"
                for a, b in zip(summary["size_low"], summary["size_high"], strict=True)
            ],
            "percentages audited": summary["claims"],
            "one group size fits all": [
                spans([int(x) for x in str(d).split()]) if common else "none"
                for common, d in zip(
                    summary["common_base"], summary["common_denominators"], strict=True
                )
            ],
        }
    )


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
                "attainable with": spans(fits),
                "candidates": f"{cells['denominator'].min()}–{cells['denominator'].max()}",
            }
        )
    return pd.DataFrame(rows)


# --- The models ----------------------------------------------------------------------------


def _variable(book: Codebook, name: str) -> Variable | None:
    try:
        return book[name]
    except KeyError:
        return None


def references_table(fit: Mapping[str, Any], book: Codebook) -> str:
    """The reference level of each factor, as ``Title = label`` in a line."""
    parts = []
    for name, level in fit["references"].items():
        var = _variable(book, name)
        if var is not None:
            labels = {code_text(a.code).lower(): a.label for a in var.codes}
            parts.append(f"{var.title} = {labels.get(str(level).lower(), level)}")
        else:
            parts.append(f"{name} = {level}")
    return escape("; ".join(parts))


def model_summary(fit: Mapping[str, Any]) -> str:
    """How this model was fitted, in the terms the fit record gives: formula, cases,
    separation and the estimation method."""
    separation = fit["separation"]
    if separation["detected"]:
        terms = ", ".join(f"{t['term']} ({t['direction']})" for t in separation.get("terms", []))
        checked = f"separation detected before fitting ({separation['method']}): {terms}"
    else:
        checked = f"no separation detected before fitting ({separation['method']})"
    firth = fit["method"] != "maximum likelihood"
    why = [w for w in fit.get("warnings", []) if "Firth" in w or "penalised" in w]
    method = (
        f"Firth's penalised likelihood ({'; '.join(why) or fit['method']}), "
        f"{fit['inference']['intervals']} intervals"
        if firth
        else f"maximum likelihood, {fit['inference']['intervals']} intervals and "
        f"{fit['inference']['std_error']} standard errors"
    )
    return escape(
        f"{fit['formula']}: {fit['n']} complete cases ({fit['events']} with the outcome) of "
        f"{fit['rows_in_subset']}; {checked}; estimated by {method}."
    )


def _term_table(
    frame: pd.DataFrame, value: str, title: str, fmt: Any, level: float, bounds: tuple,
    labels: Any,
) -> pd.DataFrame:  # fmt: skip
    low, high = bounds
    table = pd.DataFrame(
        {
            "term": frame["term"].map(labels),
            title: frame[value].map(fmt),
            f"{level_text(level)} CI": [
                f"{fmt(a)} to {fmt(b)}" for a, b in zip(frame[low], frame[high], strict=True)
            ],
            "p": frame["p_value"].map(p_value),
        }
    )
    if "test" in frame:  # the test the p-value (and its statistic) come from
        table["test"] = frame["test"].map(lambda t: MODEL_TESTS.get(t, t)).to_numpy()
    return table


def odds_ratio_table(
    coefficients: pd.DataFrame, level: float, book: Codebook, references: Mapping[str, str]
) -> pd.DataFrame:
    """Odds ratios with intervals and the p-value of the test the coefficients name (Wald,
    likelihood ratio or penalised likelihood ratio), terms in answer labels; no intercept."""
    terms = coefficients[coefficients["term"] != "Intercept"]
    return _term_table(terms, "odds_ratio", "odds ratio", number, level,
                       ("or_ci_low", "or_ci_high"),
                       lambda t: term_text(t, book, references))  # fmt: skip


def marginal_effects_table(
    effects: pd.DataFrame, level: float, book: Codebook, references: Mapping[str, str]
) -> pd.DataFrame:
    """Average marginal effects in percentage points with intervals, terms in answer labels."""
    return _term_table(effects, "ame", "average change in probability", points, level,
                       ("ci_low", "ci_high"),
                       lambda t: term_text(t, book, references))  # fmt: skip


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


# --- Limits in numbers ---------------------------------------------------------------------


def low_bases(crosstabs: pd.DataFrame, waves: Sequence[str]) -> tuple[int, int]:
    """Item bases by wave and recruiter group under the minimum, and all of them."""
    shown = crosstabs[
        (crosstabs["group"] != POOLED) & crosstabs["wave"].isin(list(waves))
    ].drop_duplicates(["wave", "group", "variable"])
    return int(shown["low_base"].astype(bool).sum()), len(shown)


def waves_of(sheet: Mapping[str, Mapping[str, str]], kind: str, waves: Sequence[str]) -> list[str]:
    """The waves among ``waves`` whose origin is ``kind``."""
    return [w for w in waves if origin(sheet[w]) == kind]


# --- Figures -------------------------------------------------------------------------------


def figure_html(picture: Picture, *, name: str, alt: str, caption: str) -> str:
    """A figure embedded in the page as a data URI, so the page needs no other file."""
    encoded = base64.b64encode(picture.data).decode("ascii")
    return (
        f'<figure id="figure-{html.escape(name)}">'
        f'<img alt="{html.escape(alt)}" src="data:{picture.mime};base64,{encoded}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def previous_wave(waves: Sequence[str], wave: str) -> str | None:
    """The wave before ``wave`` in the sheet's order, if any."""
    order = list(waves)
    at = order.index(wave)
    return order[at - 1] if at > 0 else None
