# The waves sheet, validated config and the helpers every rule file shares.
import csv
import os
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

try:
    validate(config, schema="../schemas/config.schema.yaml")
except WorkflowError as error:
    # Name the files the configuration came from, not only the key that is wrong.
    files = ", ".join(map(str, workflow.configfiles))
    raise WorkflowError(f"invalid configuration in {files}", error) from None

OUT = config["outdir"]
LOGS = config["logdir"]
# Relative, so the manifest's input lists read the same in every checkout.
LIB = Path(os.path.relpath(Path(workflow.basedir) / "src" / "invitesurvey"))


def read_waves_sheet(path):
    """The waves sheet as validated rows; the csv module keeps DAG building free of pandas."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle, delimiter="\t")
        ]
    if not rows:
        raise ValueError(f"{path}: the waves sheet has no rows")
    ids = [row.get("wave", "") for row in rows]
    for line, row in enumerate(rows, start=2):
        try:
            validate(row, schema="../schemas/waves.schema.yaml")
        except Exception as error:
            raise ValueError(f"{path}, row {line}: {error}") from None
        if ids.count(row["wave"]) > 1:
            raise ValueError(f"{path}, row {line}: wave id {row['wave']!r} is used twice")
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
FIGURES = ["headline", "composition", "forest", "flow"] + (["trends"] if len(WAVES) > 1 else [])


wildcard_constraints:
    wave="|".join(re.escape(wave) for wave in WAVES),
    model="|".join(re.escape(model) for model in MODELS),


def code_version():
    """`git describe --always --dirty` of the workflow, or the package version outside git."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=workflow.basedir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        described = ""
    return described or f"invitesurvey {version('invitesurvey')}"


def lib(*modules):
    """Library files a script imports: declared as inputs so editing one reruns its jobs."""
    files = ["__init__.py", "errors.py", "log.py", "io.py", "codebook.py"]
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
                "crosstabs.csv",
                "differences.csv",
                "tests.csv",
            ],
        ),
        *expand(
            f"{OUT}/tables/{{table}}.csv",
            table=["crosstabs", "differences", "tests", "changes"],
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
        *report_outputs(),
    ]


# The write-up's inputs and notebook parameters (workflow/rules/report.smk).
REPORT = f"{OUT}/report"
# The forest plot is drawn in the notebook for every model; the other figures are embedded as
# the figures rule wrote them, as PNG where the config asks for PNG.
REPORT_FIGURES = [figure for figure in FIGURES if figure != "forest"]
REPORT_FORMAT = next(f for f in ("png", "svg") if f in config["figures"]["formats"])
RESULT_TABLES = ["crosstabs", "differences", "tests", "changes", "claims", "grim", "grim_summary"]
WAVE_TABLES = ["crosstabs", "differences", "tests"]


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


def notebook_settings():
    """What every report notebook takes from the config."""
    reconstructed = config.get("reconstruction", {}).get("wave")
    return {
        "level": config["intervals"]["level"],
        "min_base": config["intervals"]["min_base"],
        "palette": config["figures"]["palette"],
        "dpi": config["figures"]["dpi"],
        "claims_wave": config["claims"]["wave"],
        "reconstructed": reconstructed if reconstructed in WAVES_SHEET else None,
        "code_version": code_version(),
        "codebook_file": config["codebook"],
        "claims_file": config["claims_file"],
    }


def writeup_parameters(wildcards, input):
    return {
        **notebook_settings(),
        "title": config["report"]["title"],
        "sheet": WAVES_SHEET,
        "tables": {name: getattr(input, name) for name in RESULT_TABLES},
        "flows": dict(zip(WAVES, input.flows)),
        "models": model_files(),
        "figure_files": dict(zip(REPORT_FIGURES, input.figures)),
    }


def wave_parameters(wildcards, input):
    return {
        **notebook_settings(),
        "title": f"{config['report']['title']}: wave {wildcards.wave}",
        "wave": wildcards.wave,
        "sheet": {wildcards.wave: wave_row(wildcards)},
        "tables": {name: getattr(input, name) for name in WAVE_TABLES},
        "flows": {wildcards.wave: input.flow},
    }
