"""The write-up: generated text against the tables it reads, the templates, byte-identical
executions, failures, and pages that fetch nothing.

The notebooks run here on small fake results laid out as in docs/architecture.md, written by
:func:`write_fake_results`, so this file does not wait for the pipeline.
"""

from __future__ import annotations

import hashlib
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

from invitesurvey import claims, codebook, crosstab, grim, io, report
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BOOK = codebook.load(ROOT / "config" / "codebook.yaml")
PUBLISHED = claims.load(ROOT / "config" / "published_claims.yaml")
TEMPLATES = {name: ROOT / "notebooks" / f"{name}.ipynb" for name in ("writeup", "wave")}
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
        "grim_summary": grim.summary(PUBLISHED),
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
                       "mapping": "", "note": f"Note on wave {wave}"}  # fmt: skip
    grey = ((120, 120, 120),)
    figure_files = {
        "headline": fake_png(results / "figures" / "headline.png", HEADLINE_COLOURS),
        "composition": fake_png(results / "figures" / "composition.png", grey),
        "flow": fake_png(results / "figures" / "flow.png", grey),
    }
    if len(waves) > 1:
        figure_files["trends"] = fake_png(results / "figures" / "trends.png", grey)
    return {
        "title": "What happens to an invitation",
        "level": LEVEL,
        "min_base": MIN_BASE,
        "palette": "colorblind",
        "dpi": 60,
        "claims_wave": waves[0],
        "reconstructed": waves[0],
        "code_version": "abc1234",
        "sheet": sheet,
        "tables": paths,
        "flows": flows,
        "models": {"accepts_strangers": fake_model(results / "models" / "accepts_strangers")},
        "figure_files": figure_files,
        "codebook_file": str(ROOT / "config" / "codebook.yaml"),
        "claims_file": str(ROOT / "config" / "published_claims.yaml"),
    }


def wave_parameters(writeup: dict, wave: str) -> dict:
    """The wave notebook's parameters from the writeup's."""
    kept = ("level", "min_base", "palette", "dpi", "claims_wave", "reconstructed",
            "code_version", "codebook_file", "claims_file")  # fmt: skip
    return {
        **{k: writeup[k] for k in kept},
        "title": f"{writeup['title']}: wave {wave}",
        "wave": wave,
        "sheet": {wave: writeup["sheet"][wave]},
        "tables": {k: writeup["tables"][k] for k in ("crosstabs", "differences", "tests")},
        "flows": {wave: writeup["flows"][wave]},
    }


def written(executed, title: str) -> tuple[str, str]:
    """An executed notebook as the rules write it: (notebook JSON, page HTML)."""
    clean = report.normalise(executed)
    return report.notebook_text(clean), report.render_html(clean, title)


def run(template: str, parameters: dict, workdir: Path) -> tuple[str, str]:
    """Execute a template and render it as the rules do."""
    executed = report.execute(TEMPLATES[template], parameters, kernel="python3", timeout=120,
                              cwd=workdir)  # fmt: skip
    return written(executed, parameters["title"])


@pytest.fixture(scope="module")
def two_waves(tmp_path_factory) -> dict:
    return write_fake_results(tmp_path_factory.mktemp("results"), ("2014", "2019"))


@pytest.fixture(scope="module")
def executions(two_waves, tmp_path_factory) -> list:
    """The writeup of two fake waves, executed twice in fresh kernels, as papermill returns it."""
    return [
        report.execute(TEMPLATES["writeup"], two_waves, kernel="python3", timeout=120,
                       cwd=tmp_path_factory.mktemp("run"))
        for _ in range(2)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def writeup_runs(executions, two_waves) -> list[tuple[str, str]]:
    """Both executions as the rules write them: (notebook JSON, page HTML)."""
    return [written(e, two_waves["title"]) for e in executions]


def results_of(parameters: dict) -> report.Results:
    return report.read_results(
        tables=parameters["tables"], flows=parameters["flows"], models=parameters["models"],
        codebook_file=parameters["codebook_file"], claims_file=parameters["claims_file"],
    )  # fmt: skip


# --- Templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_are_committed_without_outputs_and_with_a_parameters_cell(name):
    nb = nbformat.read(TEMPLATES[name], as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is nb.cells[0]
    assert re.search(r"^title = ", tagged[0].source, re.M)
    assert re.search(r"^level = ", tagged[0].source, re.M)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_markdown_holds_no_numbers(name):
    """Numbers reach the page from results only: template prose carries no digit."""
    nb = nbformat.read(TEMPLATES[name], as_version=4)
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"\d", prose)


# --- Generated text ------------------------------------------------------------------------


def test_a_finding_reports_the_crosstab_shares_intervals_and_counts(two_waves):
    results = results_of(two_waves)
    theme = report.themes(results.published, results.book)[0]
    text = report.finding(theme, results, waves=["2014"], wave="2014", level=LEVEL)
    variable, code = theme.behaviour.variable, theme.behaviour.codes[0]
    table = results.tables["crosstabs"]
    for group, name in (("recruiters", "recruiters"), ("non_recruiters", "non-recruiters")):
        at = (table["wave"] == "2014") & (table["group"] == group)
        row = table[at & (table["variable"] == variable) & (table["code"] == code)].iloc[0]
        assert f"{100 * row['prop']:.1f}% of {name}" in text
        assert f"{100 * row['ci_low']:.1f}–{100 * row['ci_high']:.1f}%" in text
        assert f"{row['n']} of {row['base']}" in text


def test_a_finding_follows_the_table_when_the_counts_change(two_waves):
    """The text is computed, not typed: other counts give other numbers."""
    results = results_of(two_waves)
    theme = report.themes(results.published, results.book)[0]
    before = report.finding(theme, results, waves=["2014"], wave="2014", level=LEVEL)
    table = results.tables["crosstabs"].copy()
    table["n"] = (table["n"] // 2).astype(int)
    table["prop"] = table["n"] / table["base"]
    changed = report.Results({**results.tables, "crosstabs": table}, results.flows,
                             results.models, results.book, results.published)  # fmt: skip
    after = report.finding(theme, changed, waves=["2014"], wave="2014", level=LEVEL)
    assert before != after


def test_a_finding_marks_a_claim_the_data_do_not_reproduce(two_waves):
    results = results_of(two_waves)
    theme = report.themes(results.published, results.book)[0]
    checks = results.tables["claims"].assign(pass_=False)
    checks["pass"] = [c not in {x.id for x in theme.claims} for c in checks["id"]]
    text = report.finding(theme, results, waves=["2014"], wave="2014", level=LEVEL, checks=checks)
    assert text.count("**not reproduced**") == len(theme.claims)


def test_themes_follow_the_articles_order_and_cover_every_proportion():
    found = report.themes(PUBLISHED, BOOK)
    assert [t.claims[0].id for t in found] == list(
        dict.fromkeys(
            next(t.claims[0].id for t in found if c in t.claims) for c in PUBLISHED.proportions()
        )
    )
    assert sorted(c.id for t in found for c in t.claims) == sorted(
        c.id for c in PUBLISHED.proportions()
    )


def test_notice_names_the_reconstructed_wave_and_every_note():
    sheet = {"2014": {"note": "Rebuilt & solved"}, "2019": {"note": ""}, "2020": {"note": "Pilot"}}
    text = report.notice(sheet, "2014")
    assert "Wave 2014 is a reconstruction" in text and "Rebuilt &amp; solved" in text
    assert "Pilot" in text and "2019" not in text
    assert "reconstruction" not in report.notice(sheet, None)
    assert report.notice({"2019": {"note": ""}}, "2014") == ""


def test_balance_of_power_counts_job_seekers_per_hirer(two_waves):
    table = results_of(two_waves).tables["crosstabs"]
    cells = table[(table["wave"] == "2014") & (table["group"] == "all")
                  & (table["variable"] == "purpose")].set_index("code")  # fmt: skip
    ratio = cells.loc["find_role", "n"] / cells.loc["hire", "n"]
    assert f"{ratio:.1f} job seekers for every respondent hiring" in report.balance_of_power(
        table, "2014", LEVEL
    )


def test_study_totals_the_analysed_rows_of_every_wave(two_waves):
    results = results_of(two_waves)
    text = report.study("A survey.", two_waves["sheet"], results.flows, results.tables["crosstabs"])
    total = sum(int(f["rows_out"].iloc[-1]) for f in results.flows.values())
    assert f"This page analyses {total} respondents in 2 waves" in text
    exported = int(results.flows["2019"]["rows_in"].iloc[0])
    assert (
        f"| 2019 | 2019-03-10 to 2019-03-28 | surveymonkey | {exported} | {total // 2} | 55 | 345 |"
        in text
    )


def test_model_text_says_when_and_why_firth_was_used():
    firth = report.model_text(FIT)
    assert "Firth's penalised likelihood was used" in firth
    assert "Separation was detected" in firth and "purpose\\[T.hire\\] (+inf)" in firth
    ml = {**FIT, "method": "maximum likelihood", "warnings": [],
          "separation": {**FIT["separation"], "detected": False, "terms": []}}  # fmt: skip
    assert "Firth" not in report.model_text(ml)
    assert "No separation was detected" in report.model_text(ml)


def test_model_text_warns_that_reconstructed_items_are_independent_by_construction():
    assert "Wave 2014 was rebuilt" in report.model_text(FIT, "2014")
    assert "rebuilt" not in report.model_text(FIT)


def test_odds_ratio_table_leaves_out_the_intercept_and_names_terms(two_waves):
    results = results_of(two_waves)
    table = report.odds_ratio_table(results.models["accepts_strangers"].coefficients, LEVEL)
    assert table["term"].tolist() == ["recruiter: true", "purpose: hire"]
    assert table["odds ratio"].tolist() == [f"{np.exp(1.1):.2f}", f"{np.exp(2.3):.2f}"]


def test_grim_text_says_when_no_group_size_fits_every_figure():
    summary = grim.summary(PUBLISHED)
    text = report.grim_text(summary)
    for row in summary.itertuples():
        name = report.GROUP_NAMES[row.group]
        sentence = next(s for s in text.split("\n\n") if s.startswith(f"For {name} "))
        assert ("no single group size" in sentence) == (not row.common_base)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 80), max_size=25))
def test_spans_lists_exactly_the_given_integers(values):
    text = report._spans(sorted(values))
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
    table = report.markdown_table(pd.DataFrame({"a": [text], "b": ["x"]}))
    row = table.splitlines()[2]
    assert len(re.findall(r"(?<!\\)\|", row)) == 3


def test_percent_and_points_formats():
    assert report.percent(0.52134) == "52.1%"
    assert report.interval(0.468, 0.5731) == "46.8–57.3%"
    assert report.points(-0.3081) == "−30.8 points"
    assert report.p_value(0.0004) == "< 0.001" and report.p_value(0.0123) == "0.012"
    assert report.percent(float("nan")) == "n/a"


def test_read_hashes_are_the_manifests_sha256(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n")
    table = report.read_hashes([path])
    assert table.loc[0, "sha256"] == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert table.loc[0, "bytes"] == 8


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
    assert report.page_problems(GOOD) == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_every_outside_reference_is_flagged(kind):
    assert report.page_problems(GOOD.replace("</body>", BAD[kind] + "</body>")) != []


def test_check_page_names_what_the_page_would_fetch(tmp_path):
    with pytest.raises(InputError, match=r"require\.js"):
        report.check_page(GOOD.replace("</body>", BAD["script"] + "</body>"), tmp_path / "p.html")


# --- Running notebooks ---------------------------------------------------------------------


def test_two_executions_give_identical_bytes(writeup_runs):
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


def test_the_writeup_page_is_self_contained_and_complete(writeup_runs, two_waves):
    page = writeup_runs[0][1]
    assert report.page_problems(page) == []
    assert "<script" not in page and "def " not in page  # no code cells
    headings = re.findall(r"<h2[^>]*>(.*?)<", page)
    assert headings[:2] == ["The study", "Methods"]
    for section in ("Findings", "Trends", "Published versus reproduced", "The model",
                    "Limitations", "Appendix: provenance"):  # fmt: skip
        assert section in headings
    assert page.index('id="figure-headline"') < page.index("<h2")
    assert "Wave 2014 is a reconstruction" in page
    assert page.count('id="figure-theme-') == len(report.themes(PUBLISHED, BOOK))
    assert "abc1234" in page and "Firth" in page
    raw = Path(two_waves["sheet"]["2014"]["path"])
    assert hashlib.sha256(raw.read_bytes()).hexdigest() in page


def test_one_wave_has_no_trends_section(tmp_path):
    parameters = write_fake_results(tmp_path, ("2014",))
    _, page = run("writeup", parameters, tmp_path)
    assert "<h2" in page and ">Trends<" not in page
    assert report.page_problems(page) == []


def test_the_wave_page_reports_its_wave(two_waves, tmp_path):
    parameters = wave_parameters(two_waves, "2019")
    notebook, page = run("wave", parameters, tmp_path)
    assert report.page_problems(page) == []
    assert "wave 2019" in page and "Note on wave 2019" in page
    assert "Wave 2014 is a reconstruction" not in page  # the sheet row of this wave only
    assert page.index('id="figure-headline"') < page.index("<h2")
    assert json.loads(notebook)["metadata"]["papermill"]["parameters"]["wave"] == "2019"


def failing_template(path: Path) -> Path:
    spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells = [
        nbformat.v4.new_code_cell("rows = 3", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise ValueError(f'bad table with {rows} rows')"),
    ]
    nbformat.write(nb, path)
    return path


def test_a_cell_that_raises_fails_with_its_error(tmp_path):
    with pytest.raises(report.NotebookError, match=r"cell 3 .* ValueError: bad table with 5 rows"):
        report.execute(failing_template(tmp_path / "f.ipynb"), {"rows": 5}, kernel="python3",
                       timeout=60, cwd=tmp_path)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.ipynb"]


def test_a_missing_kernel_says_how_to_install_one():
    with pytest.raises(InputError, match="python -m ipykernel install --user --name nokernel9"):
        report.require_kernel("nokernel9")


def test_shares_sentence_lists_one_group_or_several():
    row = {"wave": "2014", "prop": 0.5, "ci_low": 0.4, "ci_high": 0.6, "n": 10, "base": 20}
    one = pd.DataFrame([{**row, "group": "recruiters"}])
    assert report.shares_sentence(one, "2014", 0.95).startswith("Wave 2014: 50.0% of recruiters")
    assert " and " not in report.shares_sentence(one, "2014", 0.95)
    two = pd.concat([one, one.assign(group="non_recruiters")])
    assert " and 50.0% of non-recruiters" in report.shares_sentence(two, "2014", 0.95)
