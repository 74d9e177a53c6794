"""Item figures of the select-all, grid and numeric questions, drawn from the item tables."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.patches import StepPatch
from PIL import Image
from test_itemtables import PEOPLE_2015, clean, not_asked, person

from invitesurvey import codebook, figures, io, itemtables, theme
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BOOK = codebook.load(ROOT / "config" / "codebook.yaml")
MIN_BASE = 5
NAMES = ["item_pending_invitations", "item_accept_reasons", "item_accept_likelihood"]


def tables_of(data: pd.DataFrame, tmp_path: Path) -> dict[str, pd.DataFrame]:
    """The pooled item tables as the figures rule reads them: written, then read back."""
    built = itemtables.item_tables(data, BOOK, level=0.95, min_base=MIN_BASE)
    tables = {}
    for name in figures.ITEM_TABLES.values():
        io.write_table(built[name], tmp_path / f"{name}.csv")
        tables[name] = io.read_table(tmp_path / f"{name}.csv")
    return tables


@pytest.fixture
def tables(tmp_path) -> dict[str, pd.DataFrame]:
    later = [{**p, "wave": "2016"} for p in PEOPLE_2015]
    return tables_of(clean([*not_asked("2014"), *PEOPLE_2015, *later]), tmp_path)


@pytest.fixture(autouse=True)
def _themed():
    with theme.use():
        yield


def texts(fig) -> list[str]:
    found = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return [t.replace("\n", " ") for t in found if t]


def test_item_figures_follow_the_codebook_as_common_smk_derives_them():
    assert figures.item_names(BOOK) == NAMES
    # The workflow derives the same list with PyYAML alone: run its function on the codebook.
    source = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    (function,) = re.findall(r"^def item_figures\(.*?(?=^\S)", source, flags=re.M | re.S)
    scope: dict = {}
    exec(function, scope)
    assert scope["item_figures"](ROOT / "config" / "codebook.yaml") == NAMES


def test_select_all_bars_by_group_with_the_tables_wilson_intervals(tables):
    fig = figures.item(tables, BOOK, "accept_reasons")
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in bars] == ["Recruiters", "Non-recruiters", "All"]
    assert all(len(c) == len(BOOK["accept_reasons"].options) for c in bars)
    rows = tables["multiple"]
    pooled = rows[(rows.wave == "all") & (rows.group == "recruiters")]
    widths = [p.get_width() for p in bars[0]]
    np.testing.assert_allclose(widths, 100 * pooled["prop"])
    (errors, *_) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = errors.lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], 100 * pooled["ci_low"])
    np.testing.assert_allclose([s[1][0] for s in segments], 100 * pooled["ci_high"])
    # Pooled bases: recruiters 6, non-recruiters 4 (under 5: hatched), all 12.
    assert [bool(c[0].get_hatch()) for c in bars] == [False, True, False]
    assert "Low base (under the configured minimum)" in [t.get_text() for t in fig.legends[0].texts]
    assert any("shares do not add to 100%" in t for t in texts(fig))
    assert any("Waves 2015 and 2016 pooled" in t for t in texts(fig))
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert (
        labels[0] == "Their profile looks useful to me" and labels[-1] == "Other (please specify)"
    )


def test_grid_diverges_with_the_top_box_right_of_the_line(tables):
    fig = figures.item(tables, BOOK, "accept_likelihood")
    var = BOOK["accept_likelihood"]
    assert len(fig.axes) == len(var.rows)
    assert fig.axes[0].get_title(loc="left") == "A recruiter in my field"
    grid = tables["grid"]
    field = grid[(grid.wave == "all") & (grid.row == "recruiter_in_field") & (grid.group == "all")]
    share = 100 * field.set_index("code")["prop"]
    patches = [p for c in fig.axes[0].containers for p in c.patches]
    # Group "all" is the third bar of the panel: y = 2.
    ends = [(p.get_x(), p.get_x() + p.get_width()) for p in patches if abs(p.get_y() - 1.65) < 1e-9]
    right = max(max(e) for e in ends)
    left = min(min(e) for e in ends)
    assert right == pytest.approx(share["always"] + share["usually"])
    assert left == pytest.approx(-(share["sometimes"] + share["never"]))
    assert f"{right:.0f}%" in [t.get_text() for t in fig.axes[0].texts]
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["Always", "Usually", "Sometimes", "Never"]
    assert "always or usually" in legend.get_title().get_text()


def test_numeric_distribution_on_a_log_axis_with_zero_apart(tables):
    fig = figures.item(tables, BOOK, "pending_invitations")
    side, ax = fig.axes
    assert ax.get_xscale() == "log" and side.get_xscale() == "linear"
    steps = [a for a in ax.patches if isinstance(a, StepPatch)]
    assert [s.get_label() for s in steps] == [
        "Recruiters (n = 6)", "Non-recruiters (n = 2)", "All (n = 10)",
    ]  # fmt: skip
    bins = tables["numeric_bins"]
    pooled = bins[(bins.wave == "all") & (bins.group == "recruiters")]
    zero_share = 100 * pooled.loc[pooled.bin_high == 0, "n"].sum() / pooled["n"].sum()
    assert side.containers[0][0].get_height() == pytest.approx(zero_share)
    # Past the largest answer (250) the empty bins are left out.
    assert ax.get_xlim() == pytest.approx((1, 300))
    assert [t.get_text() for t in side.get_xticklabels()] == ["0"]


def test_a_question_no_wave_asked_is_drawn_as_not_asked(tmp_path):
    empty = tables_of(clean(not_asked("2014")), tmp_path)
    assert all(table.empty for table in empty.values())
    for name in NAMES:
        fig = figures.item(empty, BOOK, name.removeprefix("item_"))
        assert "Not asked in any wave" in texts(fig)
        theme.save(fig, tmp_path / name, ["png"], dpi=50)


def test_the_figures_render_to_png_and_redraw_to_the_same_bytes(tables, tmp_path):
    for name in NAMES:
        variable = name.removeprefix("item_")
        first = theme.save(figures.item(tables, BOOK, variable), tmp_path / "a" / name,
                           ["png", "svg"], dpi=80)  # fmt: skip
        second = theme.save(figures.item(tables, BOOK, variable), tmp_path / "b" / name,
                            ["png", "svg"], dpi=80)  # fmt: skip
        for one, two in zip(first, second, strict=True):
            assert one.read_bytes() == two.read_bytes(), one.name
        with Image.open(first[0]) as png:
            width, height = png.size
        assert width > 400 and height > 250, name


def test_item_figures_refuse_a_table_without_its_columns(tables):
    broken = {**tables, "multiple": tables["multiple"].drop(columns="ci_low")}
    with pytest.raises(InputError, match="ci_low") as error:
        figures.item(broken, BOOK, "accept_reasons")
    assert error.value.file == "results/tables/multiple.csv"
    with pytest.raises(InputError, match="categorical"):
        figures.item(tables, BOOK, "purpose")


def test_a_missing_option_row_is_refused(tables):
    rows = tables["multiple"]
    broken = {**tables, "multiple": rows[~((rows.group == "all") & (rows.code == "never"))]}
    with pytest.raises(InputError, match="accept_reasons"):
        figures.item(broken, BOOK, "accept_reasons")


def test_the_figure_draws_what_a_one_wave_table_holds(tmp_path):
    people = [person("2015", i % 2 == 0, reasons=["mutual"]) for i in range(40)]
    fig = figures.item(tables_of(clean(people), tmp_path), BOOK, "accept_reasons")
    ax = fig.axes[0]
    assert any("Wave 2015" in t for t in texts(fig))
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert not any(p.get_hatch() for c in bars for p in c)  # bases of 20, 20 and 40
    assert [c[3].get_width() for c in bars] == [100, 100, 100]
    assert [c[0].get_width() for c in bars] == [0, 0, 0]
