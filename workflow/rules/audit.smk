rule manifest:
    """One row per output: sha256, shape, producing rule, its inputs' hash and the code version."""
    input:
        outputs=final_outputs(),
        lib=lib("manifest"),
    output:
        report(
            f"{OUT}/audit/manifest.tsv", caption="../report/manifest.rst", category="7. Audit"
        ),
    params:
        code_version=code_version(),
        metadata=".snakemake/metadata",
    log:
        f"{LOGS}/manifest.log",
    script:
        "../scripts/manifest.py"
