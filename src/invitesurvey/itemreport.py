"""The write-up's view of the follow-up question types: which waves asked each, and its
tables formatted for reading. The words around them live in the notebooks' markdown cells;
only what varies with the data (which waves, which groups) is generated here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from invitesurvey.codebook import Codebook, Variable
from invitesurvey.present import (
    GROUP_NAMES,
    GROUP_ORDER,
    POOLED,
    interval,
    level_text,
    p_value,
    percent,
    points,
)

# Follow-up item type -> the table holding its summary (docs/architecture.md, Tables).
SUMMARY_TABLE = {"multiple": "multiple", "grid": "grid_top", "numeric": "numeric"}


def follow_up_items(book: Codebook) -> list[Variable]:
    """The questions of the types the write-up reports item by item, in questionnaire order."""
    return [v for v in book.questions if v.type in SUMMARY_TABLE]


def waves_asking(tables: dict[str, pd.DataFrame], var: Variable, waves: Sequence[str]) -> list[str]:
    """The waves among ``waves`` whose tables have rows for ``var`` (the waves that asked it)."""
    table = tables.get(SUMMARY_TABLE[var.type])
    if table is None or table.empty:
        return []
    present = set(table.loc[table["variable"] == var.name, "wave"].astype(str))
    return [w for w in waves if w in present]


def _listed(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def asked_sentence(var: Variable, asked: Sequence[str], waves: Sequence[str]) -> str:
    """Which waves asked the question, and which did not (so a reader never reads a gap as 0)."""
    if not asked:
        return (
            f"No wave analysed here asked this question (waves: {_listed(waves)}); it has no "
            "results yet."
        )
    missing = [w for w in waves if w not in asked]
    said = f"Asked in wave{'s' if len(asked) > 1 else ''} {_listed(asked)}"
    if missing:
        said += (
            f"; wave{'s' if len(missing) > 1 else ''} {_listed(missing)} did not ask it, so "
            "those waves are missing here, not zero"
        )
    return said + "."


def _ordered(rows: pd.DataFrame, waves: Sequence[str]) -> pd.DataFrame:
    order = {w: i for i, w in enumerate([*waves, POOLED])}
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    rows = rows[rows["wave"].astype(str).isin(list(order))]
    return rows.sort_values(
        ["wave", "group"],
        key=lambda s: s.astype(str).map(order if s.name == "wave" else rank),
        kind="stable",
    )


def _share_cell(row: pd.Series) -> str:
    return f"{percent(row.prop)} ({interval(row.ci_low, row.ci_high)})"


def _wave_name(wave: object) -> str:
    return "pooled" if str(wave) == POOLED else str(wave)


def option_table(multiple: pd.DataFrame, var: Variable, wave: str) -> pd.DataFrame:
    """A select-all question in one wave: per option, each group's share (interval); the last
    row gives each group's base. Shares do not add to 100%."""
    rows = multiple[(multiple["variable"] == var.name) & (multiple["wave"].astype(str) == wave)]
    groups = [g for g in GROUP_ORDER if g in set(rows["group"])]
    labels = {str(a.code): a.label for a in var.options}
    out = {"option": [labels.get(str(c), str(c)) for c in dict.fromkeys(rows["code"].astype(str))]}
    for group in groups:
        mine = rows[rows["group"] == group]
        mine = mine.set_index(mine["code"].astype(str))
        out[GROUP_NAMES[group]] = [
            _share_cell(mine.loc[c]) if c in mine.index else "n/a"
            for c in dict.fromkeys(rows["code"].astype(str))
        ]
    table = pd.DataFrame(out)
    bases = {
        GROUP_NAMES[g]: f"{int(rows.loc[rows['group'] == g, 'base'].max())} answered"
        for g in groups
    }
    return pd.concat([table, pd.DataFrame([{"option": "base", **bases}])], ignore_index=True)


def top_box_table(top: pd.DataFrame, var: Variable, waves: Sequence[str]) -> pd.DataFrame:
    """A grid's top-box share per row, by wave and group, with intervals."""
    rows = _ordered(top[top["variable"] == var.name], waves)
    labels = {str(r.code): r.label for r in var.rows}
    return pd.DataFrame(
        {
            "wave": rows["wave"].map(_wave_name),
            "group": rows["group"].map(GROUP_NAMES),
            "row": rows["row"].astype(str).map(labels),
            "top box": [_share_cell(r) for r in rows.itertuples()],
            "answered": rows["base"].astype(int).astype(str),
        }
    )


def distribution_table(grid: pd.DataFrame, var: Variable, wave: str, group: str) -> pd.DataFrame:
    """A grid in one wave and group: each row's full distribution over the scale, in percent."""
    rows = grid[
        (grid["variable"] == var.name)
        & (grid["wave"].astype(str) == wave)
        & (grid["group"] == group)
    ]
    scale = [(str(a.code), a.label) for a in var.codes]
    out = []
    for row in var.rows:
        mine = rows[rows["row"].astype(str) == str(row.code)].set_index("code")
        if mine.empty:
            continue
        cells = {
            label: percent(mine.at[code, "prop"]) if code in mine.index else "n/a"
            for code, label in scale
        }
        out.append({"row": row.label, **cells, "answered": str(int(mine["base"].max()))})
    return pd.DataFrame(out)


def number_table(
    numeric: pd.DataFrame, var: Variable, waves: Sequence[str], level: float
) -> pd.DataFrame:
    """A number's summary by wave and group: n, mean and median with intervals, quartiles."""
    rows = _ordered(numeric[numeric["variable"] == var.name], waves)
    ci = level_text(level)

    def span(low: float, high: float) -> str:
        return "n/a" if pd.isna(low) or pd.isna(high) else f"{low:,.0f} to {high:,.0f}"

    return pd.DataFrame(
        {
            "wave": rows["wave"].map(_wave_name),
            "group": rows["group"].map(GROUP_NAMES),
            "n": rows["n"].astype(int).astype(str),
            "mean": rows["mean"].map(lambda x: "n/a" if pd.isna(x) else f"{x:,.1f}"),
            f"mean {ci} CI": [
                span(a, b) for a, b in zip(rows["mean_ci_low"], rows["mean_ci_high"], strict=True)
            ],
            "median": rows["median"].map(lambda x: "n/a" if pd.isna(x) else f"{x:,.0f}"),
            f"median {ci} CI": [
                span(a, b)
                for a, b in zip(rows["median_ci_low"], rows["median_ci_high"], strict=True)
            ],
            "quartiles": [span(a, b) for a, b in zip(rows["q1"], rows["q3"], strict=True)],
        }
    )


def number_test_sentence(tests: pd.DataFrame, var: Variable, wave: str) -> str:
    """What the Mann-Whitney test of the recruiter difference says, in one sentence."""
    rows = tests[(tests["variable"] == var.name) & (tests["wave"].astype(str) == wave)]
    if rows.empty or rows["test"].iloc[0] != "mann_whitney_u":
        return (
            f"In wave {_wave_name(wave)}, recruiters and non-recruiters cannot be compared on this "
            "question: one of the groups gave no answer."
        )
    p = float(rows["p_value"].iloc[0])
    verdict = "differ beyond chance" if p < 0.05 else "do not differ beyond chance"
    return (
        f"In wave {_wave_name(wave)}, recruiters' and non-recruiters' answers {verdict} "
        f"(Mann-Whitney U, two-sided p = {p_value(p)})."
    )


def difference_sentence(differences: pd.DataFrame, var: Variable, wave: str, level: float) -> str:
    """The options whose recruiter difference excludes zero at ``level``, or that none does."""
    rows = differences[
        (differences["variable"] == var.name) & (differences["wave"].astype(str) == wave)
    ]
    labels = {str(a.code): a.label for a in var.options}
    apart = rows[(rows["ci_low"] > 0) | (rows["ci_high"] < 0)]
    if rows.empty:
        return f"Wave {_wave_name(wave)} cannot compare recruiters with non-recruiters here."
    if apart.empty:
        return (
            f"In wave {_wave_name(wave)} no option's share differs between recruiters and "
            f"non-recruiters beyond chance ({level_text(level)} Newcombe intervals all include 0)."
        )
    said = [
        f"{labels.get(str(r.code), r.code)} ({points(r.diff)}, {interval(r.ci_low, r.ci_high)})"
        for r in apart.itertuples()
    ]
    return (
        f"In wave {_wave_name(wave)}, recruiters differ from non-recruiters beyond chance on: "
        f"{'; '.join(said)} (recruiters minus non-recruiters, {level_text(level)} Newcombe "
        "intervals)."
    )
