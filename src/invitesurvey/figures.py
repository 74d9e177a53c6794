"""Every figure of the write-up, drawn from the aggregate tables, never from respondent rows.

Each function takes frames laid out as in ``docs/architecture.md`` and returns a matplotlib
Figure; draw and save inside :func:`invitesurvey.theme.use` so every figure shares one look.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    NullLocator,
    PercentFormatter,
    StrMethodFormatter,
)

from invitesurvey import theme
from invitesurvey.claims import (
    CROSSTABS,
    Claim,
    Claims,
    behaviour_of,
    behaviour_shares,
    behaviours,
)
from invitesurvey.codebook import Codebook, Variable, code_labels, code_text, term_text
from invitesurvey.errors import InputError
from invitesurvey.io import require_columns

COEFFICIENTS = "coefficients.csv"
COMPARED = ("recruiters", "non_recruiters")
WRAP = 38
# At most this many wave labels on a time axis: 50 labels in each of seven panels took most
# of the trends figure's drawing at 50 waves.
MAX_WAVE_TICKS = 8
_BAR = 0.38
_RATIO_TICKS = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)]
_CI = {"fmt": "none", "ecolor": "0.2", "elinewidth": 1.2, "capsize": 3}


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
    keys = [(behaviour_of(c, book).label, c.group) for c in claims]
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
    require_columns(crosstabs, ["wave", "group", "variable", "code", "prop"], CROSSTABS)
    var = book[variable]
    labels = code_labels(var)
    codes = list(labels)
    rows = crosstabs[(crosstabs["wave"].astype(str) == wave) & (crosstabs["variable"] == variable)]
    # A group nobody in the wave belongs to (base 0) has no shares: it gets no bar.
    shares = rows.pivot(index="group", columns="code", values="prop").dropna(how="all")
    groups = [g for g in theme.GROUPS if g in shares.index]
    shares = shares.reindex(index=groups, columns=codes)
    if rows.empty:
        return not_answered(var, wave)
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


def forest(
    coefficients: pd.DataFrame,
    book: Codebook,
    references: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Odds ratios with their intervals on a log scale, each term in the codebook's answer
    labels against its reference level; the intercept is left out."""
    columns = ["term", "odds_ratio", "or_ci_low", "or_ci_high"]
    require_columns(coefficients, columns, COEFFICIENTS)
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
    ax.set_yticks(
        y, [textwrap.fill(term_text(t, book, references), WRAP + 22) for t in terms["term"]]
    )
    if title:
        ax.set_title(textwrap.fill(title, 70))
    ax.invert_yaxis()
    ax.set_xlabel("Odds ratio (log scale; 1 = no association)")
    ax.grid(axis="y", visible=False)
    return fig


def _check_flow(frame: pd.DataFrame, wave: str) -> None:
    """Rules run from ``raw`` to ``analysed`` and each step starts where the last ended."""
    file = f"results/waves/{wave}/flow.csv"
    require_columns(frame, ["step", "rule", "rows_in", "excluded", "rows_out"], file)
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
    """The cleaning flow of every wave in one chart, a bar per wave: the rows analysed, then
    the rows each check removed, stacked to the rows exported; waves sorted as text, as in
    the tables.

    One axes for all waves: a panel per wave cost 0.34 s of drawing each, 17 s at 50 waves.
    """
    waves = sorted(flows)
    for wave in waves:
        _check_flow(flows[wave], wave)
    # Each wave's checks between raw and analysed, and the rows each removed.
    removed = {
        wave: flows[wave].iloc[1:-1].set_index("rule")["excluded"].to_dict() for wave in waves
    }
    checks = list(dict.fromkeys(rule for wave in waves for rule in removed[wave]))
    analysed = np.array([int(flows[w]["rows_out"].iloc[-1]) for w in waves])
    exported = np.array([int(flows[w]["rows_in"].iloc[0]) for w in waves])
    fig = theme.figure(7, 0.35 * len(waves) + 1.8)
    ax = fig.subplots()
    y = np.arange(len(waves))
    bars = ax.barh(y, analysed, 0.6, color=theme.group_colours()["all"], label="analysed")
    ax.bar_label(bars, [str(n) for n in analysed], label_type="center", color="white",
                 fontsize="small")  # fmt: skip
    left = analysed.copy()
    for check, colour in zip(checks, theme.category_colours(len(checks)), strict=True):
        width = np.array([int(removed[w].get(check, 0)) for w in waves])
        ax.barh(y, width, 0.6, left=left, color=colour, label=check.replace("_", " "))
        left += width
    for row, total in zip(y, exported, strict=True):
        ax.annotate(f"{total} exported", (total, row), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize="small")  # fmt: skip
    ax.set_yticks(y, [f"Wave {w}" for w in waves])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Rows")
    ax.set_xlim(0, 1.25 * exported.max())
    fig.legend(loc="outside lower center", ncols=min(len(checks) + 1, 5), frameon=False,
               fontsize="small")  # fmt: skip
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
    # Every wave labelled up to MAX_WAVE_TICKS, then every k-th from the first, and the last.
    step = math.ceil(len(waves) / MAX_WAVE_TICKS)
    shown = sorted({*range(0, len(waves), step), len(waves) - 1})
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
        ax.set_xticks(shown, [waves[i] for i in shown])
        ax.set_xlim(-0.5, len(waves) - 0.5)
    for ax in axes[len(found) :]:
        ax.remove()
    axes[0].set_ylim(0, 100)
    axes[0].yaxis.set_major_formatter(PercentFormatter(100))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(groups), frameon=False)
    return fig


# Figures of the follow-up question types, one per question, named after its variable and
# drawn from the pooled rows (wave "all") of the item tables (docs/architecture.md).
ITEM_PREFIX = "item_"
ITEM_TYPES = ("multiple", "grid", "numeric")
ITEM_TABLES = {"multiple": "multiple", "grid": "grid", "numeric": "numeric_bins"}
NOT_ADDING_UP = "shares do not add to 100%"
NOT_ASKED = "Not asked in any wave"


def item_names(book: Codebook) -> list[str]:
    """The item figures the codebook calls for: ``item_{variable}`` per numeric, select-all
    and grid question, in questionnaire order (``common.smk`` derives the same list)."""
    return [f"{ITEM_PREFIX}{v.name}" for v in book.questions if v.type in ITEM_TYPES]


def _item_file(var: Variable) -> str:
    return f"results/tables/{ITEM_TABLES[var.type]}.csv"


def _pooled_rows(
    table: pd.DataFrame, var: Variable, columns: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The pooled rows of one question and the waves they pool (those with rows of their own)."""
    require_columns(table, ["wave", "group", "variable", *columns], _item_file(var))
    rows = table[table["variable"] == var.name].assign(wave=lambda t: t["wave"].astype(str))
    waves = sorted(set(rows["wave"]) - {"all"})
    return rows[rows["wave"] == "all"], waves


def _pool_text(waves: list[str]) -> str:
    if not waves:
        return "Waves pooled"
    if len(waves) == 1:
        return f"Wave {waves[0]}"
    return f"Waves {', '.join(waves[:-1])} and {waves[-1]} pooled"


def _groups_of(rows: pd.DataFrame) -> list[str]:
    return [g for g in theme.GROUPS if g in set(rows["group"])]


def not_answered(var: Variable, wave: str) -> Figure:
    """The empty state of a wave's figure whose question nobody answered."""
    fig = theme.figure(8, 2.2)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(textwrap.fill(f"{var.title}, wave {wave}", 60))
    ax.text(0.5, 0.5, "No answers in this wave", transform=ax.transAxes, ha="center",
            va="center", color="0.35")  # fmt: skip
    return fig


def not_asked(var: Variable) -> Figure:
    """The empty state of an item figure: the question's title and "not asked in any wave"."""
    fig = theme.figure(8, 2.2)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(textwrap.fill(var.title, 60))
    ax.text(0.5, 0.5, NOT_ASKED, transform=ax.transAxes, ha="center", va="center", color="0.35")
    return fig


def _titled(fig: Figure, var: Variable, subtitle: str) -> None:
    fig.suptitle(textwrap.fill(var.title, 60))
    fig.axes[0].set_title(textwrap.fill(subtitle, 90), fontsize="small", color="0.25")


def _missing_cells(file: str, var: Variable, column: str, hint: str) -> InputError:
    return InputError(
        f"the pooled rows of {var.name!r} lack some {column}s for some groups",
        file=file,
        column=column,
        hint=hint,
    )


def item_multiple(table: pd.DataFrame, book: Codebook, variable: str) -> Figure:
    """A select-all question from ``multiple.csv``: each option's share by group, with its
    Wilson interval; hatched bars have a low base. The subtitle says the shares do not add to
    100%, as each is of everyone in the group who answered the question."""
    var = book[variable]
    columns = ["code", "prop", "ci_low", "ci_high", "low_base"]
    rows, waves = _pooled_rows(table, var, columns)
    if rows.empty:
        return not_asked(var)
    options = [code_text(a.code) for a in var.options]
    groups = _groups_of(rows)
    cells = rows.assign(code=rows["code"].astype(str)).set_index(["group", "code"])
    wanted = pd.MultiIndex.from_product([groups, options])
    if not wanted.isin(cells.index).all():
        raise _missing_cells(_item_file(var), var, "code", "Every option needs a row per group.")
    colours = theme.group_colours()
    step = 2 * _BAR / len(groups)
    fig = theme.figure(8, 0.75 * len(options) + 2.2)
    ax = fig.subplots()
    for i, group in enumerate(groups):
        drawn = cells.loc[group].reindex(options).reset_index()
        drawn = drawn[drawn["prop"].notna()].astype({"prop": float})
        if drawn.empty:  # nobody of the group answered: no bar
            continue
        y = drawn["code"].map(options.index) - _BAR + step * (i + 0.5)
        ax.barh(
            y,
            100 * drawn["prop"],
            step,
            color=colours[group],
            hatch=["///" if low else "" for low in drawn["low_base"].astype(bool)],
            edgecolor="white",
            label=theme.GROUP_LABELS[group],
        )
        ax.errorbar(100 * drawn["prop"], y, xerr=_interval(drawn), **_CI)
    labels = [a.label for a in var.options]
    ax.set_yticks(range(len(options)), [textwrap.fill(t, WRAP) for t in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel("Share of the group's respondents who answered the question")
    ax.grid(axis="y", visible=False)
    _titled(fig, var, f"Select all that apply: {NOT_ADDING_UP}. {_pool_text(waves)}.")
    handles, names = ax.get_legend_handles_labels()
    if rows["low_base"].astype(bool).any():
        handles.append(Patch(facecolor="0.75", edgecolor="white", hatch="///"))
        names.append("Low base (under the configured minimum)")
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), frameon=False)
    return fig


def item_grid(table: pd.DataFrame, book: Codebook, variable: str) -> Figure:
    """A grid from ``grid.csv`` as diverging stacked bars: one panel per row, a bar per group;
    the top-box codes run right of the line, the other codes left of it, each code's share
    of the group's respondents who answered the row. The top-box share is written at the
    right end of each bar."""
    var = book[variable]
    rows, waves = _pooled_rows(table, var, ["row", "code", "prop"])
    if rows.empty:
        return not_asked(var)
    codes = [code_text(c) for c in var.code_values]
    row_codes = [code_text(r.code) for r in var.rows]
    groups = _groups_of(rows)
    cells = rows.assign(row=rows["row"].astype(str), code=rows["code"].astype(str))
    shares = cells.set_index(["row", "group", "code"])["prop"]
    wanted = pd.MultiIndex.from_product([row_codes, groups, codes])
    if not wanted.isin(shares.index).all():
        raise _missing_cells(
            _item_file(var), var, "code", "Every row needs every scale code per group."
        )
    colour = dict(zip(codes, _diverging(len(codes), var.top_box), strict=True))
    # Outward from the line: the weakest top-box code first on the right, the first code
    # below the top box first on the left.
    right = codes[: var.top_box][::-1]
    left = codes[var.top_box :]
    fig = theme.figure(8, (0.32 * len(groups) + 0.55) * len(row_codes) + 2.0)
    axes = fig.subplots(len(row_codes), 1, sharex=True, squeeze=False)[:, 0]
    y = np.arange(len(groups))
    handles = {}
    for ax, row in zip(axes, var.rows, strict=True):
        share = shares.loc[code_text(row.code)].unstack("code").reindex(groups)[codes]
        share = 100 * share.fillna(0)
        for side, sign in ((right, 1), (left, -1)):
            start = np.zeros(len(groups))
            for code in side:
                width = sign * share[code].to_numpy()
                handles[code] = ax.barh(y, width, 0.7, left=start, color=colour[code])
                start += width
        top = share[codes[: var.top_box]].sum(axis=1).to_numpy()
        for at, value in zip(y, top, strict=True):
            ax.annotate(
                f"{value:.0f}%", (value, at), xytext=(3, 0), textcoords="offset points",
                va="center", fontsize="small",
            )  # fmt: skip
        ax.axvline(0, color="0.2", linewidth=1)
        ax.set_yticks(y, [theme.GROUP_LABELS[g] for g in groups])
        ax.invert_yaxis()
        ax.set_title(textwrap.fill(row.label, 70), loc="left", fontsize="medium")
        ax.grid(axis="y", visible=False)
    axes[-1].set_xlim(-100, 112)
    axes[-1].xaxis.set_major_locator(FixedLocator(range(-100, 101, 25)))
    axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{abs(x):.0f}%"))
    axes[-1].set_xlabel("Share of the group's respondents who answered the row")
    top_labels = " or ".join(var.label_of(c) for c in var.code_values[: var.top_box]).lower()
    fig.suptitle(textwrap.fill(var.title, 60))
    # Under the legend, as the panels' titles are the rows' labels.
    fig.legend(
        [handles[c] for c in codes],
        [var.label_of(c) for c in var.code_values],
        loc="outside lower center",
        ncols=len(codes),
        frameon=False,
        title=f"Right of the line: {top_labels}; left: the rest. {_pool_text(waves)}.",
        title_fontsize="small",
    )
    return fig


def _diverging(count: int, top: int) -> list[str]:
    """Colours of an ordered scale, first code first: blues for the top box, darkest first,
    reds for the rest, darkest last (ColorBrewer RdBu, safe for colour-blind readers)."""
    cmap = mpl.colormaps["RdBu"]
    blues = [cmap(0.95 - 0.3 * i / max(top - 1, 1)) for i in range(top)]
    reds = [cmap(0.35 - 0.3 * i / max(count - top - 1, 1)) for i in range(count - top)]
    return [mpl.colors.to_hex(c) for c in (*blues, *reds)]


def _bin_text(low: float, high: float) -> str:
    if low == high:
        return f"{low:g}"
    return f"{low:g} to {high:g}" if low < 0 else f"over {low:g}, under {high:g}"


def item_numeric(bins: pd.DataFrame, book: Codebook, variable: str) -> Figure:
    """A numeric question's distribution from ``numeric_bins.csv``: each group's share of
    answers per bin, as steps on a log axis; zero (and any bin a log axis cannot hold) is
    drawn apart on the left. Empty bins past the largest answer are left out."""
    var = book[variable]
    rows, waves = _pooled_rows(bins, var, ["bin_low", "bin_high", "n"])
    if rows.empty:
        return not_asked(var)
    groups = _groups_of(rows)
    counts = rows.pivot_table(
        index=["bin_low", "bin_high"], columns="group", values="n", aggfunc="sum"
    )[groups].sort_index()
    totals = counts.sum()
    groups = [g for g in groups if totals[g] > 0]
    if not groups:
        return not_asked(var)
    shares = counts[groups] / totals[groups]
    apart = shares[shares.index.get_level_values("bin_low") <= 0]
    logged = shares[shares.index.get_level_values("bin_low") > 0]
    used = np.flatnonzero(counts.loc[logged.index].sum(axis=1).to_numpy() > 0)
    logged = logged.iloc[: used[-1] + 1 if used.size else 1]
    edges = [*logged.index.get_level_values("bin_low"), *logged.index[-1:].get_level_values(1)]
    colours = theme.group_colours()
    fig = theme.figure(8, 4.4)
    side, ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 5])
    step = 2 * _BAR / len(groups)
    for i, group in enumerate(groups):
        x = np.arange(len(apart)) - _BAR + step * (i + 0.5)
        side.bar(x, 100 * apart[group], step, color=colours[group])
        if len(logged):
            ax.stairs(
                100 * logged[group].to_numpy(),
                edges,
                color=colours[group],
                linewidth=2,
                label=f"{theme.GROUP_LABELS[group]} (n = {int(totals[group])})",
            )
    side.set_xticks(range(len(apart)), [_bin_text(lo, hi) for lo, hi in apart.index])
    side.set_xlim(-0.6, len(apart) - 0.4)
    side.yaxis.set_major_formatter(PercentFormatter(100))
    side.set_ylabel("Share of the group's answers")
    side.grid(axis="x", visible=False)
    ax.set_xscale("log")
    if len(logged):
        ax.set_xlim(edges[0], edges[-1])
        ax.xaxis.set_major_locator(FixedLocator(edges))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.set_xlabel("Answer (log scale; bins include their lower edge)")
    ax.set_ylim(bottom=0)
    fig.suptitle(textwrap.fill(var.title, 60))
    side.set_title("Zero", fontsize="small", color="0.25")
    ax.set_title(f"{_pool_text(waves)}; log axis, zero drawn apart", fontsize="small", color="0.25")
    fig.legend(loc="outside lower center", ncols=len(groups), frameon=False)
    return fig


def item(tables: Mapping[str, pd.DataFrame], book: Codebook, variable: str) -> Figure:
    """The item figure of ``variable``: ``tables`` maps ``multiple``, ``grid`` and
    ``numeric_bins`` to the pooled item tables."""
    var = book[variable]
    draw = {"multiple": item_multiple, "grid": item_grid, "numeric": item_numeric}
    if var.type not in draw:
        raise InputError(
            f"{variable!r} is a {var.type} question, which has no item figure",
            hint=f"Item figures are drawn for {', '.join(ITEM_TYPES)} questions.",
        )
    return draw[var.type](tables[ITEM_TABLES[var.type]], book, variable)
