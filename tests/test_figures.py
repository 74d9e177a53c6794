"""Figures: what each draws (bars, points, markers, labels) and byte-identical saving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from PIL import Image

from invitesurvey import claims, codebook, crosstab, figures, theme
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BOOK = codebook.load(ROOT / "config" / "codebook.yaml")
PURPOSE, HIRE = "Main reason for using LinkedIn", "Hiring or recruiting"
PUBLISHED = claims.load(ROOT / "config" / "published_claims.yaml")

# Answer counts per group, close to the article's wave: item non-response makes bases differ.
COUNTS = {
    "recruiters": {
        "purpose": {
            "find_role": 11, "hire": 21, "clients": 10, "network": 6, "news": 4, "other": 1,
        },
        "stranger_response": {
            "accept_profile": 27, "accept_any": 18, "accept_if_engaged": 4, "known_only": 3,
        },
        "invites_strangers": {"true": 28, "false": 24},
        "unaccepted_action": {"ignore": 39, "reply": 5, "dont_know": 5, "other": 1},
    },
    "non_recruiters": {
        "purpose": {
            "find_role": 177, "hire": 2, "clients": 64, "network": 48, "news": 40, "other": 9,
        },
        "stranger_response": {
            "accept_profile": 129, "accept_any": 86, "accept_if_engaged": 55, "known_only": 72,
        },
        "invites_strangers": {"true": 102, "false": 238},
        "unaccepted_action": {"ignore": 245, "reply": 43, "dont_know": 43, "other": 9},
    },
}  # fmt: skip


def _rows(wave: str, group: str, variable: str, counts: dict[str, int]) -> list[dict]:
    base = sum(counts.values())
    labels = codebook.code_labels(BOOK[variable])
    return [
        {"wave": wave, "group": group, "variable": variable, "code": code, "label": labels[code],
         "n": n, "base": base}
        for code, n in counts.items()
    ]  # fmt: skip


def table_of(counts: dict = COUNTS, waves: tuple[str, ...] = ("2014",)) -> pd.DataFrame:
    """A crosstabs.csv frame from answer counts, with the derived variable and group "all"."""
    rows = []
    for wave in waves:
        pooled: dict[str, dict[str, int]] = {}
        for group, items in counts.items():
            for variable, answers in items.items():
                rows += _rows(wave, group, variable, answers)
                for code, n in answers.items():
                    pooled.setdefault(variable, {}).setdefault(code, 0)
                    pooled[variable][code] += n
            answers = items["stranger_response"]
            accepts = answers["accept_profile"] + answers["accept_any"]
            derived = {"true": accepts, "false": sum(answers.values()) - accepts}
            rows += _rows(wave, group, "accepts_strangers", derived)
        for variable, answers in pooled.items():
            rows += _rows(wave, "all", variable, answers)
    table = pd.DataFrame(rows)
    table["prop"] = table["n"] / table["base"]
    table["ci_low"], table["ci_high"] = crosstab.wilson(table["n"], table["base"], 0.95)
    table["low_base"] = table["base"] < 30
    return table.sort_values(["wave", "group", "variable", "code"], ignore_index=True)


TABLE = table_of()


def respondents(counts: dict = COUNTS) -> pd.DataFrame:
    """Clean respondent rows with these answer counts; blanks where a group's item has fewer."""
    frames = []
    for group, items in counts.items():
        size = max(sum(answers.values()) for answers in items.values())
        columns = {"recruiter": [group == "recruiters"] * size}
        for variable, answers in items.items():
            given = [
                {"true": True, "false": False}.get(c, c)
                for c, n in answers.items()
                for _ in range(n)
            ]
            columns[variable] = given + [None] * (size - len(given))
        frames.append(pd.DataFrame(columns))
    data = pd.concat(frames, ignore_index=True).assign(
        wave="2014", seniority=None, connections=None
    )
    return codebook.typed(codebook.derive(data, BOOK), BOOK)


@pytest.fixture(autouse=True)
def _themed():
    with theme.use():
        yield


def _bars(ax) -> int:
    return sum(len(c) for c in ax.containers if isinstance(c, BarContainer))


def test_behaviours_group_claims_in_article_order():
    labels = [b.label for b in claims.behaviours(PUBLISHED, BOOK)]
    assert len(labels) == 7
    assert labels[0] == "Main reason for using LinkedIn: Looking for a new role for myself"
    assert labels[2] == "Accepts invitations from strangers"
    assert labels[5] == "Sends invitations to strangers"


def test_accepting_strangers_is_the_derived_row_and_sums_the_two_accept_codes():
    shares = figures.behaviour_shares(TABLE, PUBLISHED, BOOK)
    cell = shares[
        (shares["behaviour"] == "Accepts invitations from strangers")
        & (shares["group"] == "recruiters")
    ].iloc[0]
    assert (cell["n"], cell["base"]) == (27 + 18, 52)
    derived = TABLE[(TABLE["variable"] == "accepts_strangers") & (TABLE["code"] == "true")]
    assert cell["ci_low"] == derived[derived["group"] == "recruiters"]["ci_low"].iloc[0]


def test_without_a_derived_row_summed_codes_get_a_wilson_interval():
    table = TABLE[TABLE["variable"] != "accepts_strangers"]
    shares = figures.behaviour_shares(table, PUBLISHED, BOOK, level=0.95)
    cell = shares[
        (shares["behaviour"] == "Accepts invitations from strangers")
        & (shares["group"] == "non_recruiters")
    ].iloc[0]
    assert cell["prop"] == pytest.approx(215 / 342)
    low, high = crosstab.wilson(pd.Series([215]), pd.Series([342]), 0.95)
    assert (cell["ci_low"], cell["ci_high"]) == (low[0], high[0])


def test_headline_has_two_bars_per_behaviour_and_one_marker_per_claim():
    fig = figures.headline(TABLE, PUBLISHED, BOOK, "2014")
    ax = fig.axes[0]
    assert _bars(ax) == 7 * 2
    (marks,) = [c for c in ax.collections if c.get_label() == "Published in the article"]
    assert isinstance(marks, PathCollection)
    assert len(marks.get_offsets()) == len(PUBLISHED.proportions()) == 13
    texts = {t.get_text() for t in ax.texts}
    assert {"<1%", "87%", "16%"} <= texts


def test_headline_draws_the_table_the_crosstab_stage_writes():
    table = crosstab.by_group(respondents(), BOOK, level=0.95, min_base=30)
    ax = figures.headline(table, PUBLISHED, BOOK, "2014").axes[0]
    drawn = sorted(p.get_width() for c in ax.containers if isinstance(c, BarContainer) for p in c)
    expected = figures.behaviour_shares(TABLE, PUBLISHED, BOOK)
    expected = expected[(expected["wave"] == "2014") & (expected["group"] != "all")]
    assert drawn == pytest.approx(sorted(100 * expected["prop"]))


def test_headline_markers_sit_at_the_published_percent_beside_their_groups_bar():
    ax = figures.headline(TABLE, PUBLISHED, BOOK, "2014").axes[0]
    (marks,) = [c for c in ax.collections if c.get_label() == "Published in the article"]
    bars = {
        (round(p.get_y() + p.get_height() / 2, 6), c.get_label()): p.get_width()
        for c in ax.containers
        if isinstance(c, BarContainer)
        for p in c.patches
    }
    claim = PUBLISHED["accept_strangers_recruiters"]
    index = [c.id for c in PUBLISHED.proportions()].index(claim.id)
    x, y = marks.get_offsets()[index]
    assert x == 87
    assert bars[(round(y, 6), "Recruiters")] == pytest.approx(100 * 45 / 52)


def test_headline_labels_come_from_the_codebook():
    ax = figures.headline(TABLE, PUBLISHED, BOOK, "2014").axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert "Accepts invitations from strangers" in labels
    assert "What happens to invitations not accepted: Ignore them" in labels


def test_headline_names_a_missing_wave():
    with pytest.raises(InputError, match="wave '2099'"):
        figures.headline(TABLE, PUBLISHED, BOOK, "2099")


def test_headline_refuses_a_table_without_a_claimed_item():
    table = TABLE[TABLE["variable"] != "invites_strangers"]
    with pytest.raises(InputError, match="invites_strangers") as error:
        figures.headline(table, PUBLISHED, BOOK, "2014")
    assert error.value.file == figures.CROSSTABS


def test_composition_stacks_every_code_for_every_group_with_codebook_labels():
    fig = figures.composition(TABLE, BOOK, "2014")
    ax = fig.axes[0]
    assert _bars(ax) == 3 * 4
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Accept only people I know, in the real world or online" in legend
    recruiters_right = max(
        p.get_x() + p.get_width() for c in ax.containers for p in c.patches if p.get_y() < 0
    )
    assert recruiters_right == pytest.approx(100)


def test_composition_refuses_a_missing_code():
    table = TABLE[TABLE["code"] != "known_only"]
    with pytest.raises(InputError, match="stranger_response"):
        figures.composition(table, BOOK, "2014")


COEFFICIENTS = pd.DataFrame(
    {
        "term": ["Intercept", "recruiter[T.True]", "purpose[T.hire]",
                 "C(seniority, Treatment(reference='senior_manager'))[T.board]"],
        "estimate": [-0.2, 1.3, 0.4, -0.1],
        "odds_ratio": [0.82, 3.67, 1.49, 0.90],
        "or_ci_low": [0.6, 1.8, 0.5, 0.55],
        "or_ci_high": [1.1, 7.5, 4.4, 1.47],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    ("term", "label"),
    [
        ("purpose[T.hire]", f"{PURPOSE}: {HIRE} (vs Looking for a new role for myself)"),
        ("recruiter[T.True]", "Works in recruitment: Yes"),
        ("C(connections, Treatment(reference='lt500'))[T.1000_plus]",
         "LinkedIn connections: 1,000 or more (vs Fewer than 500)"),
        ("wave[T.2015]", "wave: 2015"),
        ("duration_s", "duration_s"),
    ],
)  # fmt: skip
def test_terms_read_in_the_codebook_labels_against_their_reference(book, term, label):
    references = {"purpose": "find_role", "connections": "lt500"}
    assert codebook.term_text(term, book, references) == label


def test_forest_omits_the_intercept_and_uses_a_log_scale_with_a_line_at_1():
    references = {"purpose": "find_role", "seniority": "senior_manager"}
    ax = figures.forest(COEFFICIENTS, BOOK, references, title="Odds ratios, model m").axes[0]
    labels = [" ".join(t.get_text().split()) for t in ax.get_yticklabels()]
    assert labels == [
        "Works in recruitment: Yes",
        f"{PURPOSE}: {HIRE} (vs Looking for a new role for myself)",
        "Current level: Board member or C-level (vs Senior manager)",
    ]
    assert ax.get_title() == "Odds ratios, model m"
    (points,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert list(points.lines[0].get_xdata()) == [3.67, 1.49, 0.90]
    assert ax.get_xscale() == "log"
    assert any(list(line.get_xdata()) == [1, 1] for line in ax.lines)


def test_forest_names_the_row_of_an_unusable_odds_ratio():
    broken = COEFFICIENTS.assign(or_ci_high=[1.1, np.inf, 4.4, 1.47])
    with pytest.raises(InputError) as error:
        figures.forest(broken, BOOK)
    assert (error.value.row, error.value.column) == (3, "or_ci_high")


def _flow(raw: int, removed: dict[str, int]) -> pd.DataFrame:
    """A flow.csv frame: numbered steps, the rule of each, and rows in, excluded and out."""
    rows, left = [("raw", raw, 0, raw)], raw
    for rule, n in removed.items():
        rows.append((rule, left, n, left - n))
        left -= n
    rows.append(("analysed", left, 0, left))
    frame = pd.DataFrame(rows, columns=["rule", "rows_in", "excluded", "rows_out"])
    return frame.assign(step=[str(i) for i in range(len(frame))])


FLOWS = {
    "2014": _flow(435, {"preview_or_test": 3, "incomplete": 17, "duplicate": 6, "speeder": 9}),
    "2025": _flow(220, {"incomplete": 12, "speeder": 8}),
}


def test_flow_stacks_analysed_and_each_checks_removals_to_the_rows_exported_per_wave():
    fig = figures.flow(FLOWS)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Wave 2014", "Wave 2025"]
    segments = {c.get_label(): [p.get_width() for p in c.patches] for c in ax.containers}
    assert list(segments) == ["analysed", "preview or test", "incomplete", "duplicate", "speeder"]
    assert segments["analysed"] == [400, 200]
    assert segments["incomplete"] == [17, 12]
    assert segments["preview or test"] == [3, 0]  # wave 2025 had no such check
    assert [sum(widths) for widths in zip(*segments.values(), strict=True)] == [435, 220]
    ends = {c.get_label(): [p.get_x() + p.get_width() for p in c.patches] for c in ax.containers}
    assert ends["speeder"] == [435, 220]
    assert [t.get_text() for t in ax.texts] == ["400", "200", "435 exported", "220 exported"]


def test_flow_of_fifty_waves_is_one_axes_of_fifty_bars():
    fig = figures.flow({str(2000 + i): FLOWS["2014"] for i in range(50)})
    (ax,) = fig.axes
    assert len(ax.containers[0].patches) == 50


def test_flow_refuses_a_flow_that_does_not_start_raw():
    with pytest.raises(InputError, match="raw") as error:
        figures.flow({"2014": FLOWS["2014"].iloc[1:]})
    assert error.value.column == "rule"


def test_flow_refuses_counts_that_do_not_add_up():
    broken = FLOWS["2014"].copy()
    broken.loc[2, "rows_out"] = 999
    with pytest.raises(InputError) as error:
        figures.flow({"2014": broken})
    assert error.value.row == 4
    assert error.value.file == "results/waves/2014/flow.csv"


def test_trends_draw_a_line_per_group_with_a_point_per_wave():
    table = pd.concat([table_of(waves=("2014", "2025")), table_of(waves=("all",))])
    fig = figures.trends(table, PUBLISHED, BOOK)
    assert len(fig.axes) == 7
    lines = [c.lines[0] for ax in fig.axes for c in ax.containers]
    assert len(lines) == 7 * 2
    assert all(len(line.get_xdata()) == 2 for line in lines)


def test_trends_follow_the_waves_sheet_order():
    table = table_of(waves=("2014", "2025"))
    fig = figures.trends(table, PUBLISHED, BOOK, wave_order=["2025", "2014"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2025", "2014"]
    with pytest.raises(InputError, match="2030"):
        figures.trends(table, PUBLISHED, BOOK, wave_order=["2014", "2030"])


def test_trends_of_fifty_waves_label_every_seventh_wave():
    waves = tuple(str(2000 + i) for i in range(50))
    fig = figures.trends(table_of(waves=waves), PUBLISHED, BOOK, wave_order=waves)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == [waves[i] for i in range(0, 50, 7)]  # 0, 7, ..., 49: the last is one
    assert all(len(c.lines[0].get_xdata()) == 50 for c in fig.axes[0].containers)


def test_trends_need_two_waves():
    with pytest.raises(InputError, match="two or more waves"):
        figures.trends(TABLE, PUBLISHED, BOOK)


def test_group_colours_are_fixed_and_distinct_under_the_theme():
    colours = theme.group_colours()
    assert list(colours) == ["recruiters", "non_recruiters", "all"]
    assert len(set(colours.values())) == 3
    assert not set(colours.values()) & set(theme.category_colours(4))


def test_the_theme_holds_for_the_block_only():
    with mpl.rc_context({"font.sans-serif": ["Nothing"], "svg.hashsalt": None}):
        with theme.use():
            assert mpl.rcParams["font.sans-serif"] == ["DejaVu Sans"]
            assert mpl.rcParams["svg.hashsalt"] is not None
        assert mpl.rcParams["font.sans-serif"] == ["Nothing"]


def test_saving_twice_gives_the_same_bytes_and_no_date(tmp_path):
    fig = figures.composition(TABLE, BOOK, "2014")
    # save must pin the salt itself, also when the caller's settings leave it random.
    with mpl.rc_context({"svg.hashsalt": None}):
        first = theme.save(fig, tmp_path / "a" / "composition", ["png", "svg"], dpi=50)
        second = theme.save(fig, tmp_path / "b" / "composition", ["png", "svg"], dpi=50)
    assert [p.suffix for p in first] == [".png", ".svg"]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()
    svg = first[1].read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    with Image.open(first[0]) as png:
        assert png.text == {"Software": "invitesurvey"}
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "composition.png", "composition.svg",
    ]  # fmt: skip


def test_redrawing_gives_the_same_bytes(tmp_path):
    paths = [
        theme.save(
            figures.headline(TABLE, PUBLISHED, BOOK, "2014"), tmp_path / d / "h", ["svg"], 50
        )
        for d in ("a", "b")
    ]
    assert paths[0][0].read_bytes() == paths[1][0].read_bytes()


def test_save_refuses_an_unknown_format(tmp_path):
    fig = figures.forest(COEFFICIENTS, BOOK)
    with pytest.raises(InputError, match="pdf"):
        theme.save(fig, tmp_path / "forest", ["pdf"], dpi=50)


def test_the_theme_file_is_what_seaborn_gives():
    stored = json.loads(theme.THEME_FILE.read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(theme.seaborn_theme())), (
        "seaborn's theme changed: run `python -m invitesurvey.theme` to write it again"
    )


def test_a_named_palette_comes_from_the_file_and_a_colormap_from_seaborn():
    import seaborn as sns

    colours = theme.rc("colorblind")["axes.prop_cycle"].by_key()["color"]
    assert colours == sns.color_palette("colorblind").as_hex()
    assert theme.rc("tab10")["axes.prop_cycle"].by_key()["color"][:2] == ["#1f77b4", "#ff7f0e"]


def test_drawing_with_the_theme_does_not_import_seaborn():
    code = (
        "import sys; from invitesurvey import theme\n"
        "with theme.use('colorblind'): pass\n"
        "assert 'seaborn' not in sys.modules, 'seaborn imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
