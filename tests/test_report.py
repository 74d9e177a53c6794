"""The write-up: generated text against the tables it reads, the templates, byte-identical
executions, failures, and pages that fetch nothing.

The notebooks run here on small fake results laid out as in docs/architecture.md, written by
:func:`write_fake_results`, so this file does not wait for the pipeline.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from invitesurvey import claims, codebook, crosstab, grim, htmlcheck, io, present, report, results
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BOOK = codebook.load(ROOT / "config" / "codebook.yaml")
PUBLISHED = claims.load(ROOT / "config" / "published_claims.yaml")
TEMPLATE = ROOT / "notebooks" / "writeup.ipynb"
LEVEL = 0.95
MIN_BASE = 30
GROUP_SIZES = {"recruiters": 55, "non_recruiters": 345}
HEADLINE_COLOURS = ((1, 115, 178), (222, 143, 5))  # the recruiter and non-recruiter bars


# --- Fake results, as the upstream rules write them ----------------------------------------


def _item_rows(wave: str, group: str, variable: codebook.Variable, counts: list[int]) -> list:
    base = sum(counts)
    return [
        {"wave": wave, "group": group, "variable": variable.name,
         "code": codebook.code_text(a.code), "label": a.label, "n": n, "base": base}
        for a, n in zip(variable.codes, counts, strict=True)
    ]  # fmt: skip


def fake_counts(waves: tuple[str, ...], seed: int = 7) -> dict:
    """counts[wave][group][variable] -> answer counts in codebook order, some non-response."""
    rng = np.random.default_rng(seed)
    out: dict = {}
    for wave in waves:
        for group, size in GROUP_SIZES.items():
            for var in BOOK.items:
                if var.name == "recruiter":
                    continue
                answered = size - int(rng.integers(0, 4))
                shares = rng.dirichlet(np.ones(len(var.codes)) * 2)
                counts = rng.multinomial(answered, shares).tolist()
                out.setdefault(wave, {}).setdefault(group, {})[var.name] = counts
    return out


def fake_crosstabs(counts: dict) -> pd.DataFrame:
    """crosstabs.csv from answer counts: groups, the pool of waves, the derived variable."""
    accepts = BOOK["accepts_strangers"]
    strangers = BOOK["stranger_response"]
    true_at = [i for i, a in enumerate(strangers.codes) if a.code in accepts.true_codes]
    waves = [*counts, "all"]
    pooled = {
        g: {v: np.sum([counts[w][g][v] for w in counts], axis=0).tolist() for v in counts_g}
        for g, counts_g in next(iter(counts.values())).items()
    }
    rows = []
    for wave in waves:
        groups = pooled if wave == "all" else counts[wave]
        status = [0, 0]
        for group, items in groups.items():
            status[group == "non_recruiters"] = GROUP_SIZES[group] * (
                len(counts) if wave == "all" else 1
            )
            for var in BOOK.items:
                if var.name in items:
                    rows += _item_rows(wave, group, var, items[var.name])
            yes = sum(items["stranger_response"][i] for i in true_at)
            no = sum(items["stranger_response"]) - yes
            by_code = {True: yes, False: no}
            rows += _item_rows(wave, group, accepts, [by_code[a.code] for a in accepts.codes])
        for var in [*BOOK.items, accepts]:
            if var.name == "recruiter":
                continue
            both = [r for r in rows if r["wave"] == wave and r["variable"] == var.name]
            summed = np.sum(
                [[r["n"] for r in both if r["group"] == g] for g in GROUP_SIZES], axis=0
            )
            rows += _item_rows(wave, "all", var, summed.tolist())
        recruiter = BOOK["recruiter"]
        by_code = {True: status[0], False: status[1]}
        rows += _item_rows(wave, "all", recruiter, [by_code[a.code] for a in recruiter.codes])
    table = pd.DataFrame(rows)
    table["prop"] = table["n"] / table["base"]
    table["ci_low"], table["ci_high"] = crosstab.wilson(table["n"], table["base"], LEVEL)
    table["low_base"] = table["base"] < MIN_BASE
    return table.sort_values(["wave", "group", "variable", "code"], ignore_index=True)  # fmt: skip


def fake_differences(crosstabs: pd.DataFrame) -> pd.DataFrame:
    keys = ["wave", "variable", "code", "label"]
    pairs = crosstabs[crosstabs["group"] == "recruiters"][[*keys, "prop"]].merge(
        crosstabs[crosstabs["group"] == "non_recruiters"][[*keys, "prop"]], on=keys
    )
    diff = pairs["prop_x"] - pairs["prop_y"]
    return pairs[keys].assign(
        prop_recruiters=pairs["prop_x"], prop_non_recruiters=pairs["prop_y"], diff=diff,
        ci_low=diff - 0.1, ci_high=diff + 0.1,
    )  # fmt: skip


def fake_tests(crosstabs: pd.DataFrame) -> pd.DataFrame:
    keys = crosstabs[crosstabs["variable"] != "recruiter"][["wave", "variable"]].drop_duplicates()
    names = ["pearson_chi2", "fisher_exact", "fisher_freeman_halton_mc(1000, seed=2014)"]
    return keys.assign(
        test=[names[i % len(names)] for i in range(len(keys))],
        statistic=3.2, dof=1, p_value=0.0004, p_holm=0.0021, min_expected=6.5,
    )  # fmt: skip


def fake_changes(crosstabs: pd.DataFrame, waves: tuple[str, ...]) -> pd.DataFrame:
    columns = ["group", "variable", "code", "label", "wave_from", "wave_to",
               "prop_from", "prop_to", "diff", "ci_low", "ci_high", "p_value"]  # fmt: skip
    frames = []
    keys = ["group", "variable", "code", "label"]
    for a, b in itertools.pairwise(waves):
        pair = crosstabs[crosstabs["wave"] == a].merge(crosstabs[crosstabs["wave"] == b], on=keys)
        diff = pair["prop_y"] - pair["prop_x"]
        frames.append(pair[keys].assign(
            wave_from=a, wave_to=b, prop_from=pair["prop_x"], prop_to=pair["prop_y"], diff=diff,
            ci_low=diff - 0.08, ci_high=diff + 0.08, p_value=0.2,
        ))  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


FIT = {
    "name": "accepts_strangers",
    "formula": "accepts_strangers ~ recruiter + purpose",
    "subset": None,
    "references": {"recruiter": "false", "purpose": "find_role"},
    "terms": ["Intercept", "recruiter[T.true]", "purpose[T.hire]"],
    "method": "Firth penalised likelihood",
    "inference": {"estimates": "penalised likelihood", "std_error": "inverse Fisher information",
                  "p_value": "Wald", "intervals": "profile penalised likelihood",
                  "marginal_effects": "average discrete change, delta-method Wald interval"},
    "level": LEVEL, "rows_in_subset": 400, "n": 391, "events": 262, "converged": True,
    "iterations": 7, "llf": -230.5, "penalised_llf": -229.1, "llnull": -247.25,
    "pseudo_r2": 0.0677, "aic": 467.0, "bic": 478.9, "cov_type": "nonrobust",
    "separation": {"detected": True, "method": "linear programming (Konis 2007)",
                   "terms": [{"term": "purpose[T.hire]", "direction": "+inf"}]},
    "dropped_levels": [],
    "warnings": ["separation detected before fitting; estimated by Firth penalised likelihood"],
}  # fmt: skip


def fake_model(folder: Path) -> dict[str, str]:
    terms = FIT["terms"]
    estimate = np.array([0.4, 1.1, 2.3])
    se = np.array([0.12, 0.35, 1.4])
    coefficients = pd.DataFrame({
        "term": terms, "estimate": estimate, "std_error": se, "z": estimate / se,
        "p_value": [0.001, 0.002, 0.1], "odds_ratio": np.exp(estimate),
        "or_ci_low": np.exp(estimate - 1.96 * se), "or_ci_high": np.exp(estimate + 1.96 * se),
    })  # fmt: skip
    effects = pd.DataFrame({
        "term": terms[1:], "ame": [0.21, 0.3], "std_error": [0.06, 0.2], "z": [3.5, 1.5],
        "p_value": [0.0005, 0.13], "ci_low": [0.09, -0.09], "ci_high": [0.33, 0.69],
    })  # fmt: skip
    files = {
        "coefficients": folder / "coefficients.csv",
        "marginal_effects": folder / "marginal_effects.csv",
        "fit": folder / "fit.json",
    }
    io.write_table(coefficients, files["coefficients"])
    io.write_table(effects, files["marginal_effects"])
    io.write_json(FIT, files["fit"])
    return {k: str(v) for k, v in files.items()}


def fake_flow(size: int) -> pd.DataFrame:
    """flow.csv: the raw rows, each QC rule's exclusions in order, the rows analysed."""
    excluded = {"preview_or_test": 3, "incomplete": 17, "duplicate": 6, "speeder": 9}
    rows, rows_in = [], size + sum(excluded.values())
    for rule, out in [("raw", 0), *excluded.items(), ("analysed", 0)]:
        rows.append({"step": str(len(rows)), "rule": rule, "rows_in": rows_in, "excluded": out,
                     "rows_out": rows_in - out})  # fmt: skip
        rows_in -= out
    return pd.DataFrame(rows)


def fake_png(path: Path, colours: tuple[tuple[int, int, int], ...]) -> str:
    """A bar-chart-like PNG: a white canvas with a bar of each colour."""
    image = Image.new("RGB", (900, 500), "white")
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate(colours):
        draw.rectangle([60, 60 + 120 * i, 60 + 250 * (i + 2), 150 + 120 * i], fill=colour)
    draw.line([60, 40, 60, 480], fill=(40, 40, 40), width=3)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return str(path)


def write_fake_results(root: Path, waves: tuple[str, ...] = ("2014",)) -> dict:
    """Every file the write-up reads, under ``root``; returns the writeup notebook's parameters."""
    results = root / "results"
    crosstabs = fake_crosstabs(fake_counts(waves))
    tables = {
        "crosstabs": crosstabs,
        "differences": fake_differences(crosstabs),
        "tests": fake_tests(crosstabs),
        "changes": fake_changes(crosstabs, waves),
        "claims": claims.check(PUBLISHED, crosstabs, waves[0]),
        "grim": grim.audit(PUBLISHED),
        "grim_summary": grim.summary(PUBLISHED, grim.audit(PUBLISHED)),
    }
    paths = {}
    for name, table in tables.items():
        folder = "claims" if name in ("claims", "grim", "grim_summary") else "tables"
        paths[name] = str(results / folder / f"{name}.csv")
        io.write_table(table, paths[name])
    flows, sheet = {}, {}
    for wave in waves:
        flows[wave] = str(results / "waves" / wave / "flow.csv")
        io.write_table(fake_flow(sum(GROUP_SIZES.values())), flows[wave])
        raw = root / "data" / f"wave-{wave}.csv"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(f"respondent_id,wave\n1,{wave}\n")
        sheet[wave] = {"wave": wave, "path": str(raw), "format": "surveymonkey",
                       "fieldwork_start": f"{wave}-03-10", "fieldwork_end": f"{wave}-03-28",
                       "mapping": "", "note": f"Note on wave {wave}",
                       "origin": "reconstructed" if wave == waves[0] else "synthetic"}  # fmt: skip
    grey = ((120, 120, 120),)
    figure_files = {
        "headline": fake_png(results / "figures" / "headline.png", HEADLINE_COLOURS),
        "composition": fake_png(results / "figures" / "composition.png", grey),
        "flow": fake_png(results / "figures" / "flow.png", grey),
    }
    figure_files["forest"] = fake_png(results / "figures" / "forest.png", grey)
    if len(waves) > 1:
        figure_files["trends"] = fake_png(results / "figures" / "trends.png", grey)
    for wave in waves:
        folder = results / "figures" / "waves" / wave
        fake_png(folder / "composition.png", grey)
        if wave == waves[0]:
            fake_png(folder / "headline.png", HEADLINE_COLOURS)
    return {
        "title": "What happens to an invitation",
        "wave": "",
        "level": LEVEL,
        "min_base": MIN_BASE,
        "claims_wave": waves[0],
        "code_version": "invitesurvey 0.1.0, code abc1234",
        "page_file": str(results / "report" / "writeup.html"),
        "manifest_file": str(results / "audit" / "manifest.tsv"),
        "weighted": dict.fromkeys(waves, False),
        "sheet": sheet,
        "tables": paths,
        "flows": flows,
        "models": {"accepts_strangers": fake_model(results / "models" / "accepts_strangers")},
        "figure_files": figure_files,
        "codebook_file": str(ROOT / "config" / "codebook.yaml"),
        "claims_file": str(ROOT / "config" / "published_claims.yaml"),
    }


def wave_parameters(writeup: dict, wave: str) -> dict:
    """A wave page's parameters from the writeup's, as workflow/rules/common.smk builds them:
    the wave's own tables, and the wave before it's crosstabs and flow. The fake per-wave
    tables are the pooled ones restricted to the wave (its changes, to the change into it)."""
    waves = list(writeup["sheet"])
    before = waves[waves.index(wave) - 1] if waves.index(wave) else None
    used = [*([before] if before else []), wave]
    root = Path(writeup["tables"]["crosstabs"]).parents[1]
    tables = {}
    for name in ("crosstabs", "differences", "tests"):
        frame = io.read_table(writeup["tables"][name])
        frame = frame[frame["wave"].astype(str) == wave]
        tables[name] = str(root / "waves" / wave / f"{name}.csv")
        io.write_table(frame, tables[name])
    changes = io.read_table(writeup["tables"]["changes"])
    tables["changes"] = str(root / "waves" / wave / "changes.csv")
    io.write_table(changes[changes["wave_to"].astype(str) == wave], tables["changes"])
    if before:
        frame = io.read_table(writeup["tables"]["crosstabs"])
        tables["previous_crosstabs"] = str(root / "waves" / before / "crosstabs.csv")
        io.write_table(frame[frame["wave"].astype(str) == before], tables["previous_crosstabs"])
    folder = root / "figures" / "waves" / wave
    figures = {"composition": str(folder / "composition.png")}
    if wave == writeup["claims_wave"]:
        figures["headline"] = str(folder / "headline.png")
    kept = ("level", "min_base", "claims_wave", "code_version", "codebook_file",
            "claims_file", "manifest_file")  # fmt: skip
    return {
        **{k: writeup[k] for k in kept},
        "title": f"{writeup['title']}: wave {wave}",
        "wave": wave,
        "page_file": str(root / "report" / "waves" / f"{wave}.html"),
        "sheet": {w: writeup["sheet"][w] for w in used},
        "tables": tables,
        "flows": {w: writeup["flows"][w] for w in used},
        "models": {},
        "figure_files": figures,
        "weighted": dict.fromkeys(used, False),
    }


def written(executed, parameters: dict) -> tuple[str, str]:
    """An executed notebook as the rules write it: (notebook JSON, page HTML)."""
    clean = report.keep_cells(report.normalise(executed), report.page_tags(parameters))
    return report.notebook_text(clean), report.render_html(clean, parameters["title"])


def run(parameters: dict, workdir: Path) -> tuple[str, str]:
    """Execute the template and render it as the rules do."""
    executed = report.execute(
        TEMPLATE, parameters, engine="inprocess", kernel="python3", timeout=120, cwd=workdir
    )
    return written(executed, parameters)


@pytest.fixture(scope="module")
def two_waves(tmp_path_factory) -> dict:
    return write_fake_results(tmp_path_factory.mktemp("results"), ("2014", "2019"))


@pytest.fixture(scope="module")
def executions(two_waves, tmp_path_factory) -> list:
    """The writeup of two fake waves as papermill returns it, executed by each engine: in this
    process and in a fresh kernel (whatever compares the two runs compares the engines)."""
    return [
        report.execute(TEMPLATE, two_waves, engine=engine, kernel="python3", timeout=120,
                       cwd=tmp_path_factory.mktemp("run"))
        for engine in report.ENGINES
    ]  # fmt: skip


@pytest.fixture(scope="module")
def writeup_runs(executions, two_waves) -> list[tuple[str, str]]:
    """Both executions as the rules write them: (notebook JSON, page HTML)."""
    return [written(e, two_waves) for e in executions]


def results_of(parameters: dict) -> results.Results:
    return results.read_results(
        tables=parameters["tables"], flows=parameters["flows"], models=parameters["models"],
        codebook_file=parameters["codebook_file"], claims_file=parameters["claims_file"],
    )  # fmt: skip


# --- The template ------------------------------------------------------------------------


def test_the_template_is_committed_without_outputs_and_with_a_parameters_cell():
    nb = nbformat.read(TEMPLATE, as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    assert re.search(r'^wave = ""$', nb.cells[0].source, re.M)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")  # fmt: skip
    assert not (ROOT / "notebooks" / "wave.ipynb").exists()  # one template for every page


def test_template_markdown_holds_no_numbers():
    """Numbers reach the page from results only: template prose carries no digit."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"\d", prose)


def test_the_sections_and_their_words_are_markdown_cells():
    """An analyst edits the narrative in Jupyter: each section heading and the paragraphs
    under it are markdown; code cells print no heading of a section."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("## ")]
    for section in ("## The study", "## Methods", "## Findings", "## Change between waves",
                    "## Every question", "## Published versus reproduced", "## The model",
                    "## Limitations"):  # fmt: skip
        assert section in headings
    assert sum(len(t.split()) for t in markdown) > 600
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"""Markdown\(f?["']## """, cell.source), cell.source


LIBRARY = ("present.py", "itemreport.py", "results.py", "htmlcheck.py")


@pytest.mark.parametrize("module", LIBRARY)
def test_no_library_function_returns_fixed_paragraphs_of_prose(module):
    """Fixed words live in the notebook: outside docstrings and error messages, no plain
    string of the modules a page calls runs past fourteen words, and no generated sentence
    has more than thirty fixed words around what it fills in."""
    import ast

    tree = ast.parse((ROOT / "src" / "invitesurvey" / module).read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            skipped |= {id(n) for n in ast.walk(node)}
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Module) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
    long = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            text = " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
            skipped |= {id(v) for v in node.values}
            limit = 30
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text, limit = node.value, 14
        else:
            continue
        if len(text.split()) > limit:
            long.append(text)
    assert long == []


# --- Formatted results -------------------------------------------------------------------


def test_a_theme_table_reports_the_crosstab_shares_intervals_and_counts(two_waves):
    loaded = results_of(two_waves)
    theme = present.themes(loaded.published, loaded.book)[0]
    shares = present.theme_shares(loaded.tables["crosstabs"], loaded.published, theme, BOOK, LEVEL)
    text = present.markdown_table(present.shares_table(shares, "2014", LEVEL))
    variable, code = theme.behaviour.variable, theme.behaviour.codes[0]
    table = loaded.tables["crosstabs"]
    for group, name in (("recruiters", "recruiters"), ("non_recruiters", "non-recruiters")):
        at = (table["wave"] == "2014") & (table["group"] == group)
        row = table[at & (table["variable"] == variable) & (table["code"] == code)].iloc[0]
        assert f"| {name} | {100 * row['prop']:.1f}% |" in text
        assert f"{100 * row['ci_low']:.1f}–{100 * row['ci_high']:.1f}%" in text
        assert f"{row['n']} of {row['base']}" in text


def test_the_article_table_labels_the_claims_wave_and_marks_what_is_not_reproduced(two_waves):
    loaded = results_of(two_waves)
    theme = present.themes(loaded.published, loaded.book)[0]
    checks = loaded.tables["claims"].copy()
    checks["pass"] = [c not in {x.id for x in theme.claims} for c in checks["id"]]
    table = present.article_table(theme, checks, "2014")
    assert "wave 2014" in table.columns
    assert (table[""] == "✗ not reproduced").sum() == len(theme.claims)


def test_themes_follow_the_articles_order_and_cover_every_proportion():
    found = present.themes(PUBLISHED, BOOK)
    assert [t.claims[0].id for t in found] == list(
        dict.fromkeys(
            next(t.claims[0].id for t in found if c in t.claims) for c in PUBLISHED.proportions()
        )
    )
    assert sorted(c.id for t in found for c in t.claims) == sorted(
        c.id for c in PUBLISHED.proportions()
    )


WORDS = {"reconstructed": "Solved for.", "synthetic": "Simulated."}


def test_the_notice_names_each_wave_not_collected_with_its_words_and_note():
    sheet = {"2014": {"origin": "reconstructed", "note": "Rebuilt & solved"},
             "2019": {"origin": "collected", "note": "Fine"},
             "2020": {"origin": "synthetic", "note": ""}}  # fmt: skip
    text = present.notice(sheet, WORDS, ["2014", "2019", "2020"])
    assert "Wave 2014 is reconstructed.</strong> Solved for." in text
    assert "Rebuilt &amp; solved" in text and "Wave 2020 is synthetic.</strong> Simulated." in text
    assert "2019" not in text and "Fine" not in text
    assert present.notice(sheet, WORDS, ["2019"]) == ""
    assert 'data-origin="synthetic"' in present.notice(sheet, WORDS, ["2019", "2020"])


def test_the_balance_table_counts_job_seekers_per_hirer(two_waves):
    table = results_of(two_waves).tables["crosstabs"]
    cells = table[(table["wave"] == "2014") & (table["group"] == "all")
                  & (table["variable"] == "purpose")].set_index("code")  # fmt: skip
    ratio = cells.loc["find_role", "n"] / cells.loc["hire", "n"]
    balance = present.balance_table(table, "2014", LEVEL).set_index("quantity")
    assert balance.loc["job seekers per respondent hiring", "share"] == f"{ratio:.2f}"[:-1] or (
        balance.loc["job seekers per respondent hiring", "share"] == f"{ratio:.1f}"
    )


def test_the_study_table_gives_origin_sizes_and_weighting(two_waves):
    loaded = results_of(two_waves)
    weighted = {"2014": False, "2019": False}
    table = present.study_table(two_waves["sheet"], loaded.flows, loaded.tables["crosstabs"],
                                weighted).set_index("wave")  # fmt: skip
    assert table.loc["2014", "origin"] == "reconstructed"
    assert table.loc["2019", "origin"] == "synthetic"
    assert table.loc["2019", "recruiters"] == 55 and table.loc["2019", "non-recruiters"] == 345
    assert set(table["estimates"]) == {"unweighted; no population margins declared"}
    assert present.weighting_line(["2014", "2019"], weighted) == (
        "**Weighting.** Waves 2014 and 2019: unweighted; no population margins declared."
    )
    assert "weighted (raked" in present.weighting_line(["2019"], {"2019": True})


def test_model_summary_says_when_firth_was_used():
    firth = present.model_summary(FIT)
    assert "Firth's penalised likelihood" in firth and "separation detected" in firth
    ml = {**FIT, "method": "maximum likelihood", "warnings": [],
          "separation": {**FIT["separation"], "detected": False, "terms": []}}  # fmt: skip
    assert "Firth" not in present.model_summary(ml)
    assert "no separation detected" in present.model_summary(ml)


def test_model_tables_name_answers_and_reference_levels(two_waves):
    loaded = results_of(two_waves)
    model = loaded.models["accepts_strangers"]
    table = present.odds_ratio_table(model.coefficients, LEVEL, BOOK, FIT["references"])
    purpose = BOOK["purpose"]
    labels = {codebook.code_text(a.code): a.label for a in purpose.codes}
    assert table["term"].tolist()[1] == (
        f"{purpose.title}: {labels['hire']} (vs {labels['find_role']})"
    )
    assert "[T." not in " ".join(table["term"])
    assert table["odds ratio"].tolist() == [f"{np.exp(1.1):.2f}", f"{np.exp(2.3):.2f}"]
    assert f"{purpose.title} = {labels['find_role']}" in present.references_table(FIT, BOOK)


def test_trend_table_has_a_column_per_wave_and_the_holm_adjusted_change(two_waves):
    loaded = results_of(two_waves)
    theme_list = present.themes(loaded.published, BOOK)
    changes = loaded.tables["changes"].assign(
        p_value=lambda f: np.linspace(0.0001, 0.9, len(f)),
        wave_to=lambda f: f["wave_to"].astype(str),
    )
    adjusted = present.theme_changes(changes, theme_list, BOOK, "2019")
    assert len(adjusted) == 3 * len(
        {present.table_key(t.behaviour, BOOK) for t in theme_list} - {None}
    )
    assert np.allclose(adjusted["p_holm"], crosstab.holm(adjusted["p_value"].to_numpy()))
    theme = theme_list[0]
    shares = present.theme_shares(loaded.tables["crosstabs"], loaded.published, theme, BOOK, LEVEL)
    table = present.trend_table(shares, adjusted, theme, ["2014", "2019"])
    assert list(table.columns) == ["group", "2014", "2019", "change 2014→2019", "p (Holm)"]
    assert table["group"].tolist() == ["recruiters", "non-recruiters", "everyone"]
    assert all(re.fullmatch(r"\d+\.\d% \(\d+\.\d–\d+\.\d%\)", v) for v in table["2014"])


def test_the_change_sentence_names_what_changed_beyond_chance():
    rows = pd.DataFrame({"theme": ["Accepts", "Invites"], "group": ["recruiters", "all"],
                         "prop_from": [0.5, 0.3], "prop_to": [0.7, 0.31], "diff": [0.2, 0.01],
                         "p_holm": [0.01, 0.8]})  # fmt: skip
    text = present.change_sentence(rows, "2014", "2019", 0.05)
    assert "1 of the 2 changes shown are beyond chance" in text
    assert "accepts among recruiters (50.0% to 70.0%" in text and "invites" not in text
    assert "none of the 2 changes" in present.change_sentence(
        rows.assign(p_holm=0.5), "a", "b", 0.05
    )


def test_every_answer_code_is_in_the_distribution_table(two_waves):
    crosstabs = results_of(two_waves).tables["crosstabs"]
    for var in BOOK.items:
        table = present.distribution_table(crosstabs, var, "2014", LEVEL)
        assert table["answer"].tolist() == [a.label for a in var.codes] + ["base"]
    profile = present.profile_table(crosstabs, BOOK["seniority"], ["2014", "2019"])
    assert list(profile.columns)[1:] == ["2014 recruiters", "2014 non-recruiters",
                                         "2019 recruiters", "2019 non-recruiters"]  # fmt: skip


def test_the_grim_table_says_none_when_no_group_size_fits_every_figure():
    summary = grim.summary(PUBLISHED, grim.audit(PUBLISHED))
    table = present.grim_summary_table(summary)
    assert (
        (table["one group size fits all"] == "none") == ~summary["common_base"].astype(bool)
    ).all()


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 80), max_size=25))
def test_spans_lists_exactly_the_given_integers(values):
    text = present.spans(sorted(values))
    back = set()
    for part in text.split(", "):
        if part == "none":
            continue
        low, _, high = part.partition("–")
        back |= set(range(int(low), int(high or low) + 1))
    assert back == values


@given(st.text(max_size=30))
@settings(max_examples=60)
def test_markdown_table_cells_never_break_the_table(text):
    table = present.markdown_table(pd.DataFrame({"a": [text], "b": ["x"]}))
    row = table.splitlines()[2]
    assert len(re.findall(r"(?<!\\)\|", row)) == 3


def test_percent_and_points_formats():
    assert present.percent(0.52134) == "52.1%"
    assert present.interval(0.468, 0.5731) == "46.8–57.3%"
    assert present.points(-0.3081) == "−30.8 points"
    assert present.p_value(0.0004) == "0.0004" and present.p_value(0.0123) == "0.012"
    assert present.p_value(2.5e-17) == "< 0.0001" and present.p_value(0.0) == "< 0.0001"
    assert present.percent(float("nan")) == "n/a"


def test_read_hashes_are_the_manifests_sha256(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    table = results.read_hashes([path])
    assert table.loc[0, "sha256"] == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert table.loc[0, "bytes"] == 8


def test_source_links_are_relative_to_the_page():
    line = present.sources(["results/waves/2014/flow.csv", "results/waves/2015/flow.csv"],
                           page="results/report/waves/2015.html",
                           manifest="results/audit/manifest.tsv")  # fmt: skip
    assert 'href="../../waves/2014/flow.csv">2014/flow.csv<' in line
    assert 'href="../../audit/manifest.tsv">manifest<' in line


# --- Checking pages ----------------------------------------------------------------------

GOOD = """<!DOCTYPE html><html><head>
<style>body{color:#111} .a{background:url(data:image/png;base64,AAAA)}</style></head>
<body><h2 id="x">Heading<a class="anchor-link" href="#x">¶</a></h2>
<img alt="a" src="data:image/png;base64,iVBORw0KGgo="><p style="color: red">text</p>
</body></html>"""

BAD = {
    "script": '<script src="https://cdn.example.org/require.js"></script>',
    "inline script": "<script>console.log(1)</script>",
    "stylesheet": '<link rel="stylesheet" href="https://fonts.example.org/x.css">',
    "image": '<img alt="x" src="http://example.org/a.png">',
    "protocol-relative": '<img alt="x" src="//example.org/a.png">',
    "local file": '<img alt="x" src="figures/headline.png">',
    "srcset": '<img alt="x" src="data:," srcset="data:, 1x, https://example.org/b.png 2x">',
    "import": "<style>@import 'x.css';</style>",
    "css url": "<style>body { background: url('https://example.org/bg.png') }</style>",
    "style attribute": '<p style="background:url(//example.org/bg.png)">x</p>',
    "iframe": '<iframe src="data:text/html,hi"></iframe>',
    "link out": '<a href="https://example.org/">article</a>',
}


def test_a_self_contained_page_has_no_problems():
    assert htmlcheck.page_problems(GOOD) == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_every_outside_reference_is_flagged(kind):
    assert htmlcheck.page_problems(GOOD.replace("</body>", BAD[kind] + "</body>")) != []


def test_check_page_names_what_the_page_would_fetch(tmp_path):
    with pytest.raises(InputError, match=r"require\.js"):
        htmlcheck.check_page(
            GOOD.replace("</body>", BAD["script"] + "</body>"), tmp_path / "p.html"
        )


def test_broken_links_finds_missing_headings_and_files(tmp_path):
    (tmp_path / "t.csv").write_text("a\n1\n")
    page = GOOD.replace("</body>", '<a href="#x">x</a><a href="#nope">n</a>'
                        '<a href="t.csv">t</a><a href="gone.csv">g</a></body>')  # fmt: skip
    assert htmlcheck.broken_links(page, tmp_path / "p.html") == ["#nope", "gone.csv"]
    with pytest.raises(InputError, match="#nope"):
        htmlcheck.check_links(page, tmp_path / "p.html", later=[tmp_path / "gone.csv"])


def test_the_contents_link_every_section_heading():
    body = (
        '<h1 id="t">T</h1><h2 id="a">A<a class="anchor-link" href="#a">¶</a></h2>'
        '<h3 id="b">B</h3><h2 id="c">C</h2>'
    )
    page = report.page(body, "T")
    nav = page[page.index("<nav") : page.index("</nav>")]
    assert [h for h in re.findall(r'href="#([^"]+)"', nav)] == ["a", "b", "c"]
    assert page.index("</h1>") < page.index("<nav")
    noticed = report.page(body.replace("</h1>", '</h1><aside class="notice">N</aside>'), "T")
    assert noticed.index("</aside>") < noticed.index("<nav")


def test_table_cells_do_not_wrap_inside_a_value():
    assert "overflow-wrap: anywhere" not in report.STYLE
    assert re.search(r"th, td \{[^}]*white-space: nowrap", report.STYLE)


def rendered(*cells) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return report.render_html(nb, "Title")


def test_a_heading_gets_jupyters_id_and_an_anchor_link_the_contents_use():
    page = rendered(nbformat.v4.new_markdown_cell("## Published *versus* reproduced: 2014"))
    anchor = "Published-versus-reproduced:-2014"
    assert f'<h2 id="{anchor}">Published <em>versus</em> reproduced: 2014' in page
    assert f'<a class="anchor-link" href="#{anchor}">¶</a></h2>' in page
    assert f'<a href="#{anchor}">Published versus reproduced: 2014</a>' in page
    assert htmlcheck.page_problems(page) == []


def test_an_output_shows_its_preferred_type_and_code_never_shows():
    cell = nbformat.v4.new_code_cell("secret_source = 1")
    cell.outputs = [
        nbformat.v4.new_output("display_data", {"text/html": "<b>bold</b>", "text/plain": "P"}),
        nbformat.v4.new_output("display_data", {"text/markdown": "| a |\n|---|\n| 1 |",
                                                "text/plain": "P"}),
        nbformat.v4.new_output("stream", name="stdout", text="x < y\n"),
        nbformat.v4.new_output("display_data", {"image/png": "iVBORw0KGgo=\n"}),
        nbformat.v4.new_output("display_data", {"application/x-unknown": "?"}),
    ]  # fmt: skip
    page = rendered(cell)
    assert "<b>bold</b>" in page and "P" not in re.sub(r"<[^>]+>", "", page.split("<main>")[1])
    assert "<table>" in page and "<td>1</td>" in page
    assert "<pre>x &lt; y\n</pre>" in page
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">' in page
    assert "secret_source" not in page and "?" not in page.split("<main>")[1]


# --- Running the template ------------------------------------------------------------------


def test_a_kernel_run_and_an_in_process_run_give_identical_bytes(writeup_runs):
    (nb_a, page_a), (nb_b, page_b) = writeup_runs
    assert nb_a == nb_b
    assert page_a == page_b


def test_without_normalising_two_executions_differ(executions):
    """The normalisation is what makes runs identical: papermill stamps every cell's times."""
    raw = [nbformat.writes(e) for e in executions]
    assert raw[0] != raw[1]
    stamped = json.loads(raw[0])
    assert "start_time" in stamped["metadata"]["papermill"]
    clean = json.loads(report.notebook_text(report.normalise(executions[0])))
    assert "start_time" not in clean["metadata"]["papermill"]
    assert all("execution" not in c["metadata"] and "papermill" not in c["metadata"]
               for c in clean["cells"])  # fmt: skip
    assert clean["cells"][1]["id"] == "injected-parameters"


def notices(page: str) -> set[tuple[str, str]]:
    """(wave, origin) of each line of the notice box, whatever the order of its attributes."""
    found = set()
    for tag in re.findall(r"<p [^>]*data-wave=[^>]*>", page):
        attrs = dict(re.findall(r'data-(wave|origin)="([^"]+)"', tag))
        found.add((attrs["wave"], attrs["origin"]))
    return found


def test_the_writeup_page_is_self_contained_and_complete(writeup_runs, two_waves):
    page = writeup_runs[0][1]
    assert htmlcheck.page_problems(page) == []
    assert "<script" not in page and "def " not in page  # no code cells
    headings = re.findall(r"<h2[^>]*>(.*?)<", page)
    for section in ("About this page", "The study", "Methods", "Findings",
                    "Change between waves", "Every question", "Published versus reproduced",
                    "The model", "Limitations", "Appendix: provenance"):  # fmt: skip
        assert section in headings
    assert notices(page) == {("2014", "reconstructed"), ("2019", "synthetic")}
    assert "the findings speak of wave 2019 and what changed since wave 2014" in page
    assert "invitesurvey 0.1.0, code abc1234" in page and "Firth" in page
    assert "unweighted; no population margins declared" in page
    assert "Read the odds ratios with this caveat" in page
    assert page.index("Read the odds ratios") < page.index("Odds ratios</strong>")
    raw = Path(two_waves["sheet"]["2014"]["path"])
    assert hashlib.sha256(raw.read_bytes()).hexdigest() in page


def test_every_contents_and_csv_link_of_the_page_resolves(writeup_runs, two_waves):
    page, path = writeup_runs[0][1], Path(two_waves["page_file"])
    manifest = Path(two_waves["manifest_file"])
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("path\n")
    hrefs, _ = htmlcheck.links(page)
    assert sum(h.endswith(".csv") for h in hrefs) > 20 and any(h.startswith("#") for h in hrefs)
    assert htmlcheck.broken_links(page, path) == []


def test_one_wave_has_no_change_to_show(tmp_path):
    parameters = write_fake_results(tmp_path, ("2014",))
    _, page = run(parameters, tmp_path)
    assert "is the first wave of the sheet" in page and "change 2014" not in page
    assert htmlcheck.page_problems(page) == []


def test_a_later_waves_page_never_calls_itself_a_reproduction(two_waves, tmp_path):
    parameters = wave_parameters(two_waves, "2019")
    notebook, page = run(parameters, tmp_path)
    assert htmlcheck.page_problems(page) == []
    assert "reproduction" not in page.lower() and "Published versus reproduced" not in page
    assert 'id="figure-headline"' not in page and "the article's words" not in html.unescape(page)
    assert "It is not the article's wave" in page and "the change from wave 2014" in page
    assert "change 2014→2019" in page
    assert notices(page) == {("2014", "reconstructed"), ("2019", "synthetic")}
    assert json.loads(notebook)["metadata"]["papermill"]["parameters"]["wave"] == "2019"


def test_the_claims_waves_page_shows_the_articles_figures_labelled(two_waves, tmp_path):
    parameters = wave_parameters(two_waves, "2014")
    _, page = run(parameters, tmp_path)
    assert 'id="figure-headline"' in page
    assert "The 2014 article's figures (black diamonds)" in html.unescape(page)
    assert "Published versus reproduced" in page and "GRIM" not in page
    assert notices(page) == {("2014", "reconstructed")}
    assert "is the first wave of the sheet" in page


def failing_template(path: Path) -> Path:
    spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells = [
        nbformat.v4.new_code_cell("rows = 3", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise ValueError(f'bad table with {rows} rows')"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("engine", report.ENGINES)
def test_a_cell_that_raises_fails_with_its_error(tmp_path, engine):
    with pytest.raises(report.NotebookError, match=r"cell 3 .* ValueError: bad table with 5 rows"):
        report.execute(failing_template(tmp_path / "f.ipynb"), {"rows": 5}, engine=engine,
                       kernel="python3", timeout=60, cwd=tmp_path)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.ipynb"]


def test_a_missing_kernel_says_how_to_install_one():
    with pytest.raises(InputError, match="python -m ipykernel install --user --name nokernel9"):
        report.require_kernel("nokernel9")
