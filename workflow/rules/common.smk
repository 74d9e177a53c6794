# The waves sheet, validated config and the helpers every rule file shares.
import atexit
import csv
import gc
import os
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

try:
    from invitesurvey.configcheck import explain, problems, refuse_aliases, with_defaults
    from invitesurvey.errors import InputError
    from invitesurvey.yamlfile import load

    # YAML aliases first: Snakemake writes the config out with json.dumps before any job,
    # which expands them (nine lines of nested aliases are a billion values).
    refuse_aliases(workflow.configfiles)
    # JSON, not YAML: Snakemake reads a YAML schema through yte in pure Python, 90 ms of
    # every snakemake call (a no-op included) against 0.1 ms for the same schema as JSON.
    validate(config, schema="../schemas/config.schema.json")
except InputError as error:
    raise WorkflowError(str(error)) from None
except WorkflowError:
    # Every wrong key in a line or two (key, value, what is allowed, the key meant), naming
    # the files the configuration came from, instead of the schema and config as JSON.
    schema = os.path.relpath(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.json")
    raise WorkflowError(explain(config, schema, map(str, workflow.configfiles))) from None

# Snakemake's process keeps the modules it has loaded until it exits, and its exit spends a
# fifth of a no-op rerun in the garbage collector scanning them and the rest of its heap.
# Frozen here, and everything else at exit, they are never scanned again; what the run
# creates in between is collected as usual. A no-op rerun 1.56 -> 1.26 s (bench/README.md).
gc.freeze()
atexit.register(gc.freeze)

# Every job's Python orders sets of strings the same way in every run (the pages' cells run in
# their rule's process, config report.engine): jobs inherit this environment. Set, not read,
# so not an `envvars:` the user must provide.
os.environ.update(PYTHONHASHSEED="0")

OUT = config["outdir"]
LOGS = config["logdir"]
# Relative, so the manifest's input lists read the same in every checkout.
LIB = Path(os.path.relpath(Path(workflow.basedir) / "src" / "invitesurvey"))


def read_waves_sheet(path):
    """The waves sheet as validated rows; the csv module keeps DAG building free of pandas."""
    import datetime

    with open(path, newline="", encoding="utf-8") as handle:
        rows = [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle, delimiter="\t")
        ]
    if not rows:
        raise ValueError(f"{path}: the waves sheet has no rows")
    ids = [row.get("wave", "") for row in rows]
    # The schema read once for every row: snakemake.utils.validate reads it anew per call
    # (28 ms a row, 1.4 s of building the DAG of 50 waves).
    schema = load(Path(workflow.basedir) / "workflow" / "schemas" / "waves.schema.yaml", "schema")
    for line, row in enumerate(rows, start=2):
        found = problems(row, schema)
        if found:
            raise ValueError(f"{path}, row {line}: {'; '.join(found)}")
        row.update(with_defaults(row, schema))
        if ids.count(row["wave"]) > 1:
            raise ValueError(f"{path}, row {line}: wave id {row['wave']!r} is used twice")
        # The schema checks the YYYY-MM-DD shape; a day that does not exist (2014-02-30)
        # would otherwise reach the ingest job as a traceback.
        for column in ("fieldwork_start", "fieldwork_end"):
            if row.get(column):
                try:
                    datetime.date.fromisoformat(row[column])
                except ValueError:
                    raise ValueError(
                        f"{path}, row {line}, column {column!r}: {row[column]!r} is not a "
                        "day of the calendar (YYYY-MM-DD)"
                    ) from None
        for column in ("path", "mapping"):
            if row.get(column) and not Path(row[column]).is_file():
                raise ValueError(
                    f"{path}, row {line}, column {column!r}: no file at {row[column]!r}"
                )
    return {row["wave"]: row for row in rows}


WAVES_SHEET = read_waves_sheet(config["waves"])
WAVES = list(WAVES_SHEET)
if config["claims"]["wave"] not in WAVES_SHEET:
    raise ValueError(
        f"config claims.wave {config['claims']['wave']!r} is not a wave of {config['waves']}"
    )
MODELS = [model["name"] for model in config["models"]]
# The tables of the select-all, grid and numeric questions (rules tables and wave_tables).
ITEM_TABLE_NAMES = [
    "multiple",
    "multiple_differences",
    "grid",
    "grid_top",
    "numeric",
    "numeric_tests",
    "numeric_bins",
]


def item_figures(path):
    """`item_{variable}` per select-all, grid and numeric question of the codebook, in its
    order, as invitesurvey.figures.item_names lists them. Read with invitesurvey.yamlfile
    (PyYAML only): the codebook module would import pandas while the DAG is built."""
    from invitesurvey.errors import InputError
    from invitesurvey.yamlfile import load

    try:
        variables = (load(path, "codebook") or {}).get("variables") or []
    except InputError as error:
        raise WorkflowError(str(error)) from None
    return [
        f"item_{v['name']}"
        for v in variables
        if v.get("name")
        and v.get("type") in ("multiple", "grid", "numeric")
        and not v.get("personal", False)
    ]


ITEM_FIGURES = item_figures(config["codebook"])
# Each wave's own figures (rule wave_figures), for its page; the claims wave also has its
# headline (rule claims_wave_figures).
WAVE_FIGURES = ["composition", *ITEM_FIGURES]
CLAIMS_WAVE_FIGURES = [*WAVE_FIGURES, "headline"]
# The pooled figures (rule figures). The claims wave's headline and composition are its own
# page's (claims_wave_figures), and the write-up shows those files: drawn once, not twice.
FIGURES = [
    "forest",
    "flow",
    *(["trends"] if len(WAVES) > 1 else []),
    *ITEM_FIGURES,
]


def one_of(values):
    """A wildcard constraint matching exactly these values; nothing at all when there are none."""
    return "|".join(re.escape(value) for value in values) or "(?!)"


def figures_of_wave(wave):
    """The figures drawn for a wave's page: the claims wave's add its headline."""
    return CLAIMS_WAVE_FIGURES if wave == config["claims"]["wave"] else WAVE_FIGURES


wildcard_constraints:
    wave=one_of(WAVES),
    model=one_of(MODELS),


def code_version():
    """The version every page is stamped with: the library, workflow and notebook files
    (invitesurvey.codeversion), never config or data."""
    from invitesurvey.codeversion import code_version as of_code

    return of_code(workflow.basedir)


CODE_VERSION = code_version()


def lib(*modules):
    """Library files a script imports: declared as inputs so editing one reruns its jobs."""
    files = ["__init__.py", "errors.py", "log.py", "atomic.py", "io.py", "codebook.py"]
    for module in modules:
        package = LIB / module
        if package.is_dir():
            files += sorted(f"{module}/{p.name}" for p in package.glob("*.py"))
        else:
            files.append(f"{module}.py")
    return [str(LIB / name) for name in dict.fromkeys(files)]


def wave_row(wildcards):
    return WAVES_SHEET[wildcards.wave]


def wave_inputs(wildcards):
    """The raw export and, where the sheet names one, the wave's mapping file."""
    row = wave_row(wildcards)
    return {"raw": row["path"], **({"mapping": row["mapping"]} if row["mapping"] else {})}


def clean_waves():
    return expand(f"{OUT}/waves/{{wave}}/clean.parquet", wave=WAVES)


def final_outputs():
    """Every file the analysis publishes, for `rule all` and the manifest."""
    return [
        *expand(
            f"{OUT}/waves/{{wave}}/{{table}}",
            wave=WAVES,
            table=[
                "clean.parquet",
                "exclusions.csv",
                "flow.csv",
                "recodes.csv",
                "crosstabs.csv",
                "differences.csv",
                "tests.csv",
                "changes.csv",
                *(f"{table}.csv" for table in ITEM_TABLE_NAMES),
            ],
        ),
        *expand(
            f"{OUT}/tables/{{table}}.csv",
            table=["crosstabs", "differences", "tests", "changes", *ITEM_TABLE_NAMES],
        ),
        *expand(f"{OUT}/claims/{{table}}.csv", table=["claims", "grim", "grim_summary"]),
        *expand(
            f"{OUT}/models/{{model}}/{{file}}",
            model=MODELS,
            file=["coefficients.csv", "marginal_effects.csv", "fit.json"],
        ),
        *expand(
            f"{OUT}/figures/{{figure}}.{{ext}}",
            figure=FIGURES,
            ext=config["figures"]["formats"],
        ),
        *expand(
            f"{OUT}/figures/waves/{{wave}}/{{figure}}.{{ext}}",
            wave=WAVES,
            figure=WAVE_FIGURES,
            ext=config["figures"]["formats"],
        ),
        *expand(
            f"{OUT}/figures/waves/{config['claims']['wave']}/headline.{{ext}}",
            ext=config["figures"]["formats"],
        ),
        *report_outputs(),
        *WEIGHT_OUTPUTS,  # workflow/rules/weights.smk: none without margins
    ]


# The write-up's inputs and notebook parameters (workflow/rules/report.smk).
REPORT = f"{OUT}/report"
# Every figure a page shows is embedded as the figures rules wrote it (none is drawn in the
# kernel), as PNG where the config asks for PNG: the write-up's are the pooled figures and the
# claims wave's headline and composition, name -> file.
REPORT_FORMAT = next(f for f in ("png", "svg") if f in config["figures"]["formats"])


def wave_figure(wave, name):
    """A wave's own figure as its page embeds it (rule wave_figures)."""
    return f"{OUT}/figures/waves/{wave}/{name}.{REPORT_FORMAT}"


REPORT_FIGURES = {
    **{name: wave_figure(config["claims"]["wave"], name) for name in ("headline", "composition")},
    **{name: f"{OUT}/figures/{name}.{REPORT_FORMAT}" for name in FIGURES},
}
RESULT_TABLES = [
    "crosstabs",
    "differences",
    "tests",
    "changes",
    *ITEM_TABLE_NAMES,
    "claims",
    "grim",
    "grim_summary",
]
WAVE_TABLES = ["crosstabs", "differences", "tests", "changes", *ITEM_TABLE_NAMES, "recodes"]


def report_outputs():
    """Every page and executed notebook of the write-up, for `rule all` and the manifest."""
    return [
        *expand(f"{REPORT}/writeup.{{ext}}", ext=["html", "ipynb"]),
        *expand(f"{REPORT}/waves/{{wave}}.{{ext}}", wave=WAVES, ext=["html", "ipynb"]),
    ]


def model_files():
    """Model name -> its result files, as the model rule names them."""
    files = ("coefficients", "marginal_effects", "fit")
    return {
        model: {file: expand(getattr(rules.model.output, file), model=model)[0] for file in files}
        for model in MODELS
    }


def raw_files(sheet):
    """The exports and mapping files of the waves in ``sheet``."""
    return [row[column] for row in sheet.values() for column in ("path", "mapping") if row[column]]


def weighted_files(wave=None):
    """The weighted tables a page shows: the pooled ones for the write-up (``wave`` None), a
    raked wave's own for its page; none where no margins apply."""
    if wave is None and WEIGHTED_WAVES:
        return {
            "weights": f"{OUT}/tables/weights.csv",
            "crosstabs": f"{OUT}/tables/weighted_crosstabs.csv",
            **{
                f"coefficients {model}": f"{OUT}/models/{model}/weighted_coefficients.csv"
                for model in MODELS
            },
        }
    if wave in WEIGHTED_WAVES:
        return {
            "weights": f"{OUT}/waves/{wave}/weights_summary.csv",
            "crosstabs": f"{OUT}/waves/{wave}/weighted_crosstabs.csv",
        }
    return {}


def notebook_settings():
    """What every page of the write-up takes from the config (notebooks/writeup.ipynb)."""
    return {
        "level": config["intervals"]["level"],
        "min_base": config["intervals"]["min_base"],
        "claims_wave": config["claims"]["wave"],
        "code_version": CODE_VERSION,
        "codebook_file": config["codebook"],
        "claims_file": config["claims_file"],
        "manifest_file": f"{OUT}/audit/manifest.tsv",
        # Whether each wave's estimates are weighted: raked to population margins
        # (workflow/rules/weights.smk).
        "weighted": {wave: wave in WEIGHTED_WAVES for wave in WAVES},
    }


def writeup_parameters(wildcards, input, output):
    return {
        **notebook_settings(),
        "title": config["report"]["title"],
        "wave": "",
        "page_file": output.html,
        "sheet": WAVES_SHEET,
        "tables": {name: getattr(input, name) for name in RESULT_TABLES},
        "flows": dict(zip(WAVES, input.flows)),
        "models": model_files(),
        "figure_files": dict(zip(REPORT_FIGURES, input.figures)),
        "weighted_tables": weighted_files(),
    }


def previous_wave(wave):
    """The wave before ``wave`` in the sheet's order, or None for the first."""
    at = WAVES.index(wave)
    return WAVES[at - 1] if at > 0 else None


def wave_crosstabs(wave):
    """A wave's own crosstabs (rule wave_tables)."""
    return f"{OUT}/waves/{wave}/crosstabs.csv"


def wave_before(wildcards):
    """The wave before's own crosstabs, for the change into this wave; none for the first."""
    before = previous_wave(wildcards.wave)
    return {"previous": [wave_crosstabs(before)]} if before else {}


def wave_page_inputs(wildcards):
    """A wave's page reads its own tables (the change into it among them), figures and flow,
    and the wave before it's crosstabs and flow: adding a later wave changes none."""
    wave, before = wildcards.wave, previous_wave(wildcards.wave)
    return {
        "figures": [wave_figure(wave, name) for name in figures_of_wave(wave)],
        **(
            {
                "previous_crosstabs": wave_crosstabs(before),
                "previous_flow": f"{OUT}/waves/{before}/flow.csv",
            }
            if before
            else {}
        ),
    }


def wave_parameters(wildcards, input, output):
    wave, before = wildcards.wave, previous_wave(wildcards.wave)
    return {
        **notebook_settings(),
        "title": f"{config['report']['title']}: wave {wave}",
        "wave": wave,
        "page_file": output.html,
        "sheet": {w: WAVES_SHEET[w] for w in ([before] if before else []) + [wave]},
        "tables": {
            **{name: getattr(input, name) for name in WAVE_TABLES},
            **({"previous_crosstabs": input.previous_crosstabs} if before else {}),
        },
        "flows": {
            **({before: input.previous_flow} if before else {}),
            wave: input.flow,
        },
        "figure_files": dict(zip(figures_of_wave(wave), input.figures)),
        "weighted": {w: w in WEIGHTED_WAVES for w in ([before] if before else []) + [wave]},
        "weighted_tables": weighted_files(wave),
    }


def cancel_scheduler_timers():
    """Cancel the job rate limiter's pending timers once the run is over.

    While jobs run, Snakemake's scheduler arms a threading.Timer (not a daemon) of the job rate
    limit's timespan each time it waits (--max-jobs-per-timespan: 10 s in profiles/default,
    1 s by Snakemake's default); the last one keeps the process alive until it fires. With 1 s
    that was 1.0 s of a 3.4 s run of one job (measured).
    """
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


onsuccess:
    cancel_scheduler_timers()


onerror:
    cancel_scheduler_timers()
