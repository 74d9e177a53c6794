# Raking weights for the waves with population margins, and their weighted tables and models
# beside the unweighted ones. A wave without margins has none of these outputs; with no
# margins at all this file adds no job.
from invitesurvey.margins import wave_margins

try:
    WEIGHT_MARGINS = wave_margins(
        config.get("weights", {}).get("margins"),
        WAVES_SHEET,
        config["codebook"],
        config_file=", ".join(map(str, workflow.configfiles)) or "the configuration",
        sheet_file=config["waves"],
    )
except InputError as error:
    raise WorkflowError(str(error)) from None
WEIGHTED_WAVES = [wave for wave in WAVES if wave in WEIGHT_MARGINS]
WEIGHTED_TABLES = [
    "crosstabs",
    "differences",
    "tests",
    "multiple",
    "multiple_differences",
    "grid",
    "grid_top",
    "numeric",
]


WEIGHT_SETTINGS = {
    "trim": config.get("weights", {}).get("trim", [0.3, 3.0]),
    "max_iterations": config.get("weights", {}).get("max_iterations", 100),
    "tolerance": config.get("weights", {}).get("tolerance", 1e-6),
}
# Every weighted output, for `rule all` and the manifest (final_outputs); none without margins.
WEIGHT_OUTPUTS = (
    [
        *expand(
            f"{OUT}/waves/{{wave}}/{{file}}",
            wave=WEIGHTED_WAVES,
            file=[
                "weights.parquet",
                "weights_summary.csv",
                "weights_fit.json",
                *(f"weighted_{table}.csv" for table in WEIGHTED_TABLES),
            ],
        ),
        *expand(
            f"{OUT}/tables/{{table}}.csv",
            table=["weights", *(f"weighted_{table}" for table in WEIGHTED_TABLES)],
        ),
        *expand(
            f"{OUT}/models/{{model}}/{{file}}",
            model=MODELS,
            file=["weighted_coefficients.csv", "weighted_fit.json"],
        ),
    ]
    if WEIGHTED_WAVES
    else []
)


rule weights:
    """Rake one wave to its population margins: weights, design effects, convergence record."""
    input:
        clean=f"{OUT}/waves/{{wave}}/clean.parquet",
        codebook=config["codebook"],
        margins=lambda wc: (
            [WAVES_SHEET[wc.wave].get("margins")] if WAVES_SHEET[wc.wave].get("margins") else []
        ),
        lib=lib("weights", "margins", "crosstab", "survey", "itemtables"),
    output:
        weights=f"{OUT}/waves/{{wave}}/weights.parquet",
        summary=report(
            f"{OUT}/waves/{{wave}}/weights_summary.csv",
            caption="../report/weights.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        fit=f"{OUT}/waves/{{wave}}/weights_fit.json",
    log:
        f"{LOGS}/weights/{{wave}}.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        **WEIGHT_SETTINGS,
        margins=lambda wildcards: WEIGHT_MARGINS[wildcards.wave],
    script:
        "../scripts/weights.py"


rule weighted_tables:
    """One raked wave's weighted shares (Korn-Graubard), differences and Rao-Scott tests."""
    input:
        clean=f"{OUT}/waves/{{wave}}/clean.parquet",
        weights=rules.weights.output.weights,
        codebook=config["codebook"],
        lib=lib("survey", "crosstab", "itemtables"),
    output:
        **{
            table: report(
                f"{OUT}/waves/{{wave}}/weighted_{table}.csv",
                caption="../report/weighted_tables.rst",
                category="2. Tables",
                subcategory="{wave}",
            )
            for table in WEIGHTED_TABLES
        },
    log:
        f"{LOGS}/weighted_tables/{{wave}}.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        level=config["intervals"]["level"],
        min_base=config["intervals"]["min_base"],
    script:
        "../scripts/weighted_tables.py"


rule weighted_pooled:
    """The raked waves' weight summaries and weighted tables, one file each over waves."""
    input:
        **{
            table: expand(f"{OUT}/waves/{{wave}}/weighted_{table}.csv", wave=WEIGHTED_WAVES)
            for table in WEIGHTED_TABLES
        },
        summaries=expand(rules.weights.output.summary, wave=WEIGHTED_WAVES),
        lib=lib("weightreport"),
    output:
        **{
            table: report(
                f"{OUT}/tables/weighted_{table}.csv",
                caption="../report/weighted_tables.rst",
                category="2. Tables",
            )
            for table in WEIGHTED_TABLES
        },
        weights=report(
            f"{OUT}/tables/weights.csv", caption="../report/weights.rst", category="2. Tables"
        ),
    log:
        f"{LOGS}/weighted_pooled.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        tables=WEIGHTED_TABLES,
    script:
        "../scripts/weighted_pooled.py"


rule weighted_model:
    """One configured model on the raked waves, weighted, with linearisation errors."""
    input:
        waves=expand(f"{OUT}/waves/{{wave}}/clean.parquet", wave=WEIGHTED_WAVES),
        weights=expand(rules.weights.output.weights, wave=WEIGHTED_WAVES),
        lib=lib("survey", "model", "crosstab", "itemtables"),
    output:
        coefficients=report(
            f"{OUT}/models/{{model}}/weighted_coefficients.csv",
            caption="../report/weighted_tables.rst",
            category="4. Models",
            subcategory="{model}",
        ),
        fit=f"{OUT}/models/{{model}}/weighted_fit.json",
    log:
        f"{LOGS}/models/{{model}}.weighted.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        spec=lambda wc: next(m for m in config["models"] if m["name"] == wc.model),
        level=config["intervals"]["level"],
        waves=WEIGHTED_WAVES,
    script:
        "../scripts/weighted_model.py"
