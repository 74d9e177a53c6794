# The write-up over all waves and a page per wave: one notebook template (notebooks/writeup.ipynb,
# its `wave` parameter empty for the pooled write-up) run by papermill (config report.engine), then
# rendered to one self-contained HTML page without code.
rule writeup:
    """The study over all waves: the writeup template executed, then rendered to one page."""
    input:
        template="notebooks/writeup.ipynb",
        weighted=lambda wildcards: list(weighted_files().values()),
        crosstabs=rules.tables.output.crosstabs,
        differences=rules.tables.output.differences,
        tests=rules.tables.output.tests,
        changes=rules.tables.output.changes,
        multiple=rules.tables.output.multiple,
        multiple_differences=rules.tables.output.multiple_differences,
        grid=rules.tables.output.grid,
        grid_top=rules.tables.output.grid_top,
        numeric=rules.tables.output.numeric,
        numeric_tests=rules.tables.output.numeric_tests,
        numeric_bins=rules.tables.output.numeric_bins,
        claims=rules.claims.output.claims,
        grim=rules.claims.output.grim,
        grim_summary=rules.claims.output.grim_summary,
        flows=expand(rules.ingest.output.flow, wave=WAVES),
        models=[path for files in model_files().values() for path in files.values()],
        figures=list(REPORT_FIGURES.values()),
        raw=raw_files(WAVES_SHEET),
        codebook=config["codebook"],
        claims_file=config["claims_file"],
        lib=lib(
            "report",
            "results",
            "weightreport",
            "present",
            "htmlcheck",
            "itemreport",
            "figures",
            "theme",
            "claims",
            "crosstab",
            "manifest",
        ),
    output:
        notebook=f"{REPORT}/writeup.ipynb",
        html=report(f"{REPORT}/writeup.html", caption="../report/writeup.rst", category="6. Report"),
    log:
        f"{LOGS}/report/writeup.log",
    # On the path to the write-up, the longest: ahead of the waves' own jobs on few cores.
    priority: 1
    conda:
        "../envs/invitesurvey.yaml"
    params:
        engine=config["report"]["engine"],
        kernel=config["report"]["kernel"],
        cell_timeout=config["report"]["cell_timeout"],
        notebook=writeup_parameters,
    script:
        "../scripts/report_notebook.py"


rule wave_report:
    """One wave's findings: the template executed for the wave, then rendered to one page.

    Lowest priority: no other job waits on it, while the write-up waits on every pooled job.
    """
    input:
        unpack(wave_page_inputs),
        template="notebooks/writeup.ipynb",
        weighted=lambda wildcards: list(weighted_files(wildcards.wave).values()),
        crosstabs=rules.wave_tables.output.crosstabs,
        differences=rules.wave_tables.output.differences,
        tests=rules.wave_tables.output.tests,
        changes=rules.wave_tables.output.changes,
        multiple=rules.wave_tables.output.multiple,
        multiple_differences=rules.wave_tables.output.multiple_differences,
        grid=rules.wave_tables.output.grid,
        grid_top=rules.wave_tables.output.grid_top,
        numeric=rules.wave_tables.output.numeric,
        numeric_tests=rules.wave_tables.output.numeric_tests,
        numeric_bins=rules.wave_tables.output.numeric_bins,
        recodes=rules.ingest.output.recodes,
        flow=rules.ingest.output.flow,
        raw=lambda wildcards: raw_files({wildcards.wave: wave_row(wildcards)}),
        codebook=config["codebook"],
        claims_file=config["claims_file"],
        lib=lib(
            "report",
            "results",
            "weightreport",
            "present",
            "htmlcheck",
            "itemreport",
            "figures",
            "theme",
            "claims",
            "crosstab",
            "manifest",
        ),
    output:
        notebook=f"{REPORT}/waves/{{wave}}.ipynb",
        html=report(
            f"{REPORT}/waves/{{wave}}.html",
            caption="../report/wave_report.rst",
            category="6. Report",
            subcategory="{wave}",
        ),
    log:
        f"{LOGS}/report/waves/{{wave}}.log",
    priority: -1
    conda:
        "../envs/invitesurvey.yaml"
    params:
        engine=config["report"]["engine"],
        kernel=config["report"]["kernel"],
        cell_timeout=config["report"]["cell_timeout"],
        notebook=wave_parameters,
    script:
        "../scripts/report_notebook.py"
