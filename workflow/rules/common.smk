# The waves sheet, validated config and the helpers every rule file shares.
import csv
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

OUT = config["outdir"]
LOGS = config["logdir"]
LIB = Path(workflow.basedir) / "src" / "invitesurvey"


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
            table=["clean.parquet", "exclusions.csv", "flow.csv"],
        ),
        *expand(
            f"{OUT}/tables/{{table}}.csv",
            table=["crosstabs", "differences", "tests", "changes"],
        ),
        f"{OUT}/claims/claims.csv",
        f"{OUT}/claims/grim.csv",
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
