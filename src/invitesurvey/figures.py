"""Every figure of the write-up, drawn from the aggregate tables, never from respondent rows.

Each function takes frames laid out as in ``docs/architecture.md`` and returns a matplotlib
Figure; draw and save inside :func:`invitesurvey.theme.use` so every figure shares one look.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator, PercentFormatter, StrMethodFormatter

from invitesurvey import theme
from invitesurvey.claims import Claim, Claims
from invitesurvey.codebook import Codebook, Variable, code_text
from invitesurvey.errors import InputError

CROSSTABS = "results/tables/crosstabs.csv"
COEFFICIENTS = "coefficients.csv"
COMPARED = ("recruiters", "non_recruiters")
WRAP = 38
_BAR = 0.38
_RATIO_TICKS = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)]
_CI = {"fmt": "none", "ecolor": "0.2", "elinewidth": 1.2, "capsize": 3}


@dataclass(frozen=True)
class Behaviour:
    """What a published proportion counts: answers ``codes`` (as text) to ``variable``."""

    variable: str
    codes: tuple[str, ...]
    label: str


def _require(frame: pd.DataFrame, columns: list[str], file: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing columns {', '.join(missing)}",
            file=file,
            hint="Regenerate the table; its columns are fixed in docs/architecture.md.",
        )


def derived_for(book: Codebook, variable: str, codes: tuple[str, ...]) -> Variable | None:
    """The derived variable whose "yes" is exactly these answers to ``variable``, if any."""
    for var in book.derived:
        if var.source == variable and {code_text(c) for c in var.true_codes} == set(codes):
            return var
    return None


def _label(book: Codebook, variable: str, codes: tuple[str, ...]) -> str:
    """Codebook wording of a behaviour: a derived or yes/no item's title, else title: answers."""
    derived = derived_for(book, variable, codes)
    if derived is not None:
        return derived.title
    var = book[variable]
    if var.type == "boolean" and codes == ("true",):
        return var.title
    labels = _labels(var)
    return f"{var.title}: {' or '.join(labels[c] for c in codes)}"


def _labels(var: Variable) -> dict[str, str]:
    """Code as written in tables -> codebook label."""
    return {code_text(a.code): a.label for a in var.codes}


def _behaviour_of(claim: Claim, book: Codebook) -> Behaviour:
    codes = tuple(code_text(c) for c in claim.codes)
    try:
        var = book[claim.variable]
    except KeyError:
        raise InputError(
            f"claim {claim.id!r} counts variable {claim.variable!r}, which the codebook lacks",
            file="config/published_claims.yaml",
            hint="Name a variable of config/codebook.yaml.",
        ) from None
    known = {code_text(c) for c in var.code_values}
    if not codes or not set(codes) <= known:
        raise InputError(
            f"claim {claim.id!r} counts codes {list(codes)} of {var.name!r}",
            file="config/published_claims.yaml",
            hint=f"Use codes of {var.name!r}: {', '.join(sorted(known))}.",
        )
    return Behaviour(claim.variable, codes, _label(book, claim.variable, codes))


def behaviours(published: Claims, book: Codebook) -> list[Behaviour]:
    """The behaviours the article published, in article order; claims that count the same
    answers for different groups are one behaviour."""
    found = [_behaviour_of(claim, book) for claim in published.proportions()]
    return list(dict.fromkeys(found))


def _summed(rows: pd.DataFrame, behaviour: Behaviour, level: float) -> pd.DataFrame:
    """Shares of several answers together: counts add up, the base is the item's base."""
    cells = rows.groupby(["wave", "group"], as_index=False).agg(
        codes=("code", "nunique"), bases=("base", "nunique"), n=("n", "sum"), base=("base", "first")
    )
    if ((cells["codes"] < len(behaviour.codes)) | (cells["bases"] > 1)).any():
        raise InputError(
            f"rows for {behaviour.variable!r} codes {list(behaviour.codes)} are incomplete or "
            "disagree on the base",
            file=CROSSTABS,
            column="base",
            hint="Every code of an item needs a row per wave and group, all with one base.",
        )
    # Imported here: crosstab brings scipy.stats, which only this rare path needs.
    from invitesurvey.crosstab import wilson

    out = cells[["wave", "group", "n", "base"]].copy()
    out["prop"] = out["n"] / out["base"]
    out["ci_low"], out["ci_high"] = wilson(out["n"], out["base"], level)
    return out


def _shares_of(
    crosstabs: pd.DataFrame, book: Codebook, behaviour: Behaviour, level: float
) -> pd.DataFrame:
    derived = derived_for(book, behaviour.variable, behaviour.codes)
    # A single row of the table holds the behaviour when it is one answer or a derived
    # variable: its interval is then the table's own, so figures and tables agree.
    if derived is not None and (crosstabs["variable"] == derived.name).any():
        variable, codes = derived.name, ("true",)
    else:
        variable, codes = behaviour.variable, behaviour.codes
    rows = crosstabs[(crosstabs["variable"] == variable) & crosstabs["code"].isin(codes)]
    if rows.empty:
        raise InputError(
            f"no rows for variable {variable!r} with codes {list(codes)}",
            file=CROSSTABS,
            column="variable",
            hint="Regenerate crosstabs.csv with the codebook in config/codebook.yaml.",
        )
    if len(codes) > 1:
        rows = _summed(rows, behaviour, level)
    columns = ["wave", "group", "n", "base", "prop", "ci_low", "ci_high"]
    return rows[columns].assign(behaviour=behaviour.label)


def behaviour_shares(
    crosstabs: pd.DataFrame, published: Claims, book: Codebook, *, level: float = 0.95
) -> pd.DataFrame:
    """One row per published behaviour x wave x group: n, base, prop and an interval.

    ``level`` only matters for behaviours the table holds as several rows (answers summed
    without a derived variable); every other interval is copied from the table.
    """
    _require(crosstabs, ["wave", "group", "variable", "code", "n", "base", "prop"], CROSSTABS)
    table = crosstabs.assign(wave=crosstabs["wave"].astype(str), code=crosstabs["code"].astype(str))
    found = behaviours(published, book)
    shares = pd.concat([_shares_of(table, book, b, level) for b in found], ignore_index=True)
    order = {b.label: i for i, b in enumerate(found)}
    shares = shares.sort_values(
        ["behaviour", "wave", "group"], key=lambda s: s.map(order) if s.name == "behaviour" else s
    )
    return shares[["behaviour", "wave", "group", "n", "base", "prop", "ci_low", "ci_high"]]


def _groups_drawn(published: Claims) -> list[str]:
    """Recruiters and non-recruiters, and any other group a claim is about, in theme order."""
    wanted = set(COMPARED) | {c.group for c in published.proportions()}
    return [g for g in theme.GROUPS if g in wanted]


def _one_wave(shares: pd.DataFrame, wave: str, groups: list[str]) -> pd.DataFrame:
    """The shares of one wave, checked to hold every behaviour for every group drawn."""
    waves = sorted(shares["wave"].unique())
    if wave not in waves:
        raise InputError(
            f"wave {wave!r} is not in the table",
            file=CROSSTABS,
            column="wave",
            hint=f"Draw one of the waves it holds: {', '.join(waves)}.",
        )
    cells = shares[(shares["wave"] == wave) & shares["group"].isin(groups)]
    held = cells.groupby("behaviour")["group"].nunique()
    short = [b for b in shares["behaviour"].unique() if held.get(b, 0) < len(groups)]
    if short:
        raise InputError(
            f"wave {wave!r} lacks some of the groups {', '.join(groups)} for {short[0]!r}",
            file=CROSSTABS,
            column="group",
            hint="Regenerate crosstabs.csv; every item needs a row per group.",
        )
    return cells


def _published_text(claim: Claim) -> str:
    return f"<{claim.published}%" if claim.rounding == "under" else f"{claim.published}%"


def _interval(frame: pd.DataFrame) -> np.ndarray:
    """Error-bar lengths, in percentage points, below and above each proportion."""
    return 100 * np.vstack(
        [frame["prop"] - frame["ci_low"], frame["ci_high"] - frame["prop"]]
    ).clip(min=0)


def headline(
    crosstabs: pd.DataFrame,
    published: Claims,
    book: Codebook,
    wave: str,
    *,
    level: float = 0.95,
) -> Figure:
    """Each published behaviour by group: reproduced share with its interval, and beside it
    the article's figure as a black diamond."""
    found = behaviours(published, book)
    groups = _groups_drawn(published)
    shares = _one_wave(behaviour_shares(crosstabs, published, book, level=level), wave, groups)
    colours = theme.group_colours()
    step = 2 * _BAR / len(groups)
    offset = {g: -_BAR + step * (i + 0.5) for i, g in enumerate(groups)}
    row = {b.label: i for i, b in enumerate(found)}

    fig = theme.figure(8, 0.85 * len(found) + 1.6)
    ax = fig.subplots()
    for group in groups:
        cells = shares[shares["group"] == group]
        y = cells["behaviour"].map(row) + offset[group]
        ax.barh(y, 100 * cells["prop"], step, color=colours[group], label=theme.GROUP_LABELS[group])
        ax.errorbar(100 * cells["prop"], y, xerr=_interval(cells), **_CI)

    claims = published.proportions()
    intervals = shares.set_index(["behaviour", "group"])
    keys = [(_behaviour_of(c, book).label, c.group) for c in claims]
    marks_y = [row[label] + offset[group] for label, group in keys]
    marks_x = [float(c.published) for c in claims]
    ax.scatter(
        marks_x,
        marks_y,
        marker="D",
        s=30,
        color="black",
        edgecolor="white",
        zorder=3,
        label="Published in the article",
    )
    for claim, key, x, y in zip(claims, keys, marks_x, marks_y, strict=True):
        # The text goes right of both marker and interval so neither hides it.
        right = max(x, 100 * intervals.loc[key, "ci_high"])
        ax.annotate(
            _published_text(claim),
            (right, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )

    ax.set_yticks(range(len(found)), [textwrap.fill(b.label, WRAP) for b in found])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel("Share of the group's respondents who answered the item")
    ax.set_title(f"Published figures and their reproduction, wave {wave}")
    ax.grid(axis="y", visible=False)
    fig.legend(loc="outside lower center", ncols=len(groups) + 1, frameon=False)
    return fig


def composition(
    crosstabs: pd.DataFrame, book: Codebook, wave: str, *, variable: str = "stranger_response"
) -> Figure:
    """How each group answers ``variable``: one stacked bar per group, percent of its base."""
    _require(crosstabs, ["wave", "group", "variable", "code", "prop"], CROSSTABS)
    var = book[variable]
    labels = _labels(var)
    codes = list(labels)
    rows = crosstabs[(crosstabs["wave"].astype(str) == wave) & (crosstabs["variable"] == variable)]
    shares = rows.pivot(index="group", columns="code", values="prop")
    groups = [g for g in theme.GROUPS if g in shares.index]
    shares = shares.reindex(index=groups, columns=codes)
    if shares.empty or shares.isna().any().any():
        raise InputError(
            f"wave {wave!r} lacks rows for some codes of {variable!r}",
            file=CROSSTABS,
            column="code",
            hint="Every code needs a row per group, also when its count is 0.",
        )

    fig = theme.figure(8, 0.6 * len(groups) + 2.6)
    ax = fig.subplots()
    left = np.zeros(len(groups))
    y = np.arange(len(groups))
    for code, colour in zip(codes, theme.category_colours(len(codes)), strict=True):
        width = 100 * shares[code].to_numpy()
        bars = ax.barh(y, width, 0.6, left=left, color=colour, label=labels[code])
        ax.bar_label(bars, [f"{w:.0f}%" if w >= 6 else "" for w in width], label_type="center")
        left += width
    ax.set_yticks(y, [theme.GROUP_LABELS[g] for g in groups])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel("Share of the group's respondents who answered the item")
    ax.set_title(textwrap.fill(f"{var.title}, wave {wave}", 60))
    ax.grid(axis="y", visible=False)
    fig.legend(loc="outside lower center", ncols=1, frameon=False)
    return fig


_TERM = re.compile(r"^(?:C\((?P<wrapped>\w+).*\)|(?P<name>\w+))\[T\.(?P<level>[^\]]+)\]$")


def term_label(term: str) -> str:
    """A model term as a reader says it: ``purpose[T.hire]`` -> ``purpose: hire``.

    Handles patsy's treatment terms, with or without ``C(..., Treatment(...))``; anything
    else (a numeric term) is returned unchanged.
    """
    match = _TERM.match(term)
    if match is None:
        return term
    name = match["wrapped"] or match["name"]
    level = match["level"]
    return f"{name}: {level.lower() if level in ('True', 'False') else level}"


def forest(coefficients: pd.DataFrame) -> Figure:
    """Odds ratios with their intervals on a log scale; the intercept is left out."""
    columns = ["term", "odds_ratio", "or_ci_low", "or_ci_high"]
    _require(coefficients, columns, COEFFICIENTS)
    terms = coefficients[coefficients["term"] != "Intercept"]
    for column in columns[1:]:
        bad = terms[~(np.isfinite(terms[column]) & (terms[column] > 0))]
        if not bad.empty:
            raise InputError(
                f"term {bad['term'].iloc[0]!r} has odds ratio bound {bad[column].iloc[0]}",
                file=COEFFICIENTS,
                row=int(bad.index[0]) + 2,
                column=column,
                hint="A log scale needs finite, positive odds ratios; refit with Firth's "
                "penalised likelihood if the model separates.",
            )

    fig = theme.figure(7, 0.4 * len(terms) + 1.4)
    ax = fig.subplots()
    y = np.arange(len(terms))
    ratios = terms["odds_ratio"].to_numpy()
    xerr = np.vstack([ratios - terms["or_ci_low"], terms["or_ci_high"] - ratios])
    ax.errorbar(ratios, y, xerr=xerr, fmt="o", color="0.15", capsize=3)
    ax.axvline(1, color="0.4", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    # Round ratios read better than powers of ten on an axis that spans little more than one.
    ax.xaxis.set_major_locator(FixedLocator(_RATIO_TICKS))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.set_yticks(y, [term_label(t) for t in terms["term"]])
    ax.invert_yaxis()
    ax.set_xlabel("Odds ratio (log scale; 1 = no association)")
    ax.grid(axis="y", visible=False)
    return fig


def _check_flow(frame: pd.DataFrame, wave: str) -> None:
    """Rules run from ``raw`` to ``analysed`` and each step starts where the last ended."""
    file = f"results/waves/{wave}/flow.csv"
    _require(frame, ["step", "rule", "rows_in", "excluded", "rows_out"], file)
    rules = frame["rule"].tolist()
    if len(rules) < 2 or rules[0] != "raw" or rules[-1] != "analysed":
        raise InputError(
            f"the rules run from {rules[:1]} to {rules[-1:]}",
            file=file,
            column="rule",
            hint="The first step's rule is raw and the last one's analysed.",
        )
    rows_in, excluded, rows_out = (frame[c].to_numpy() for c in ("rows_in", "excluded", "rows_out"))
    broken = np.flatnonzero(
        (rows_out != rows_in - excluded) | np.r_[False, rows_in[1:] != rows_out[:-1]]
    )
    if broken.size:
        raise InputError(
            "rows do not add up: rows_out must be rows_in - excluded and equal the next rows_in",
            file=file,
            row=int(broken[0]) + 2,
            column="rows_out",
            hint="Regenerate the flow table from the cleaning step.",
        )


def flow(flows: Mapping[str, pd.DataFrame]) -> Figure:
    """The cleaning flow of each wave as a waterfall: raw rows, what each rule removed, and
    the rows analysed; waves sorted as text, as in the tables."""
    waves = sorted(flows)
    for wave in waves:
        _check_flow(flows[wave], wave)
    total, removed = theme.group_colours()["all"], theme.category_colours(1)[0]
    height = sum(0.35 * len(flows[w]) + 0.8 for w in waves) + 0.6
    fig = theme.figure(7, height)
    axes = fig.subplots(
        len(waves),
        1,
        sharex=True,
        squeeze=False,
        height_ratios=[len(flows[w]) for w in waves],
    )[:, 0]
    for ax, wave in zip(axes, waves, strict=True):
        frame = flows[wave].reset_index(drop=True)
        ends = frame.index.isin([0, len(frame) - 1])
        y = np.arange(len(frame))
        left = np.where(ends, 0, frame["rows_out"])
        width = np.where(ends, frame["rows_out"], frame["excluded"])
        bars = ax.barh(y, width, 0.6, left=left, color=np.where(ends, total, removed))
        texts = np.where(ends, frame["rows_out"].astype(str), "−" + frame["excluded"].astype(str))
        ax.bar_label(bars, list(texts), padding=3, fontsize="small")
        ax.set_yticks(y, [r.replace("_", " ") for r in frame["rule"]])
        ax.invert_yaxis()
        ax.set_title(f"Wave {wave}", loc="left", fontsize="medium")
        ax.grid(axis="y", visible=False)
    axes[-1].set_xlabel("Rows")
    axes[-1].set_xlim(0, 1.12 * max(int(flows[w]["rows_in"].max()) for w in waves))
    return fig


def trends(
    crosstabs: pd.DataFrame,
    published: Claims,
    book: Codebook,
    *,
    level: float = 0.95,
    wave_order: Sequence[str] | None = None,
) -> Figure:
    """Each published behaviour over the waves, per group, with intervals.

    Waves run in ``wave_order`` (the waves sheet's order), else sorted as text. Raises
    InputError with a single wave: a trend needs two, so the workflow should request this
    figure only when the sample sheet lists more than one wave.
    """
    shares = behaviour_shares(crosstabs, published, book, level=level)
    # The pooled "all" wave is not a point in time.
    shares = shares[shares["wave"] != "all"]
    held = sorted(shares["wave"].unique())
    waves = held if wave_order is None else [str(w) for w in wave_order]
    if sorted(waves) != held:
        raise InputError(
            f"the table holds waves {held}, the order names {waves}",
            file=CROSSTABS,
            column="wave",
            hint="Rebuild crosstabs.csv from every wave in config/waves.tsv.",
        )
    if len(waves) < 2:
        raise InputError(
            f"a trend needs two or more waves; the table holds {waves}",
            file=CROSSTABS,
            column="wave",
            hint="Draw trends only when config/waves.tsv lists more than one wave.",
        )
    found = behaviours(published, book)
    groups = _groups_drawn(published)
    colours = theme.group_colours()
    ncols = 2
    nrows = math.ceil(len(found) / ncols)
    fig = theme.figure(8, 2.4 * nrows + 0.8)
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    position = {w: i for i, w in enumerate(waves)}
    dodge = {g: 0.06 * (i - (len(groups) - 1) / 2) for i, g in enumerate(groups)}
    for ax, behaviour in zip(axes, found, strict=False):
        for group in groups:
            cells = shares[(shares["behaviour"] == behaviour.label) & (shares["group"] == group)]
            x = cells["wave"].map(position) + dodge[group]
            ax.errorbar(
                x,
                100 * cells["prop"],
                yerr=_interval(cells),
                marker="o",
                capsize=3,
                color=colours[group],
                label=theme.GROUP_LABELS[group],
            )
        ax.set_title(textwrap.fill(behaviour.label, WRAP), fontsize="small")
        ax.set_xticks(range(len(waves)), waves)
        ax.set_xlim(-0.5, len(waves) - 0.5)
    for ax in axes[len(found) :]:
        ax.remove()
    axes[0].set_ylim(0, 100)
    axes[0].yaxis.set_major_formatter(PercentFormatter(100))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(groups), frameon=False)
    return fig
