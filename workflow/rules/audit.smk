rule manifest:
    """One row per output: sha256, shape, producing rule, its inputs' hash and the code version."""
    input:
        outputs=final_outputs(),
        lib=lib("manifest"),
    output:
        report(f"{OUT}/audit/manifest.tsv", caption="../report/manifest.rst", category="7. Audit"),
    log:
        f"{LOGS}/manifest.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        code_version=code_version(),
        metadata=".snakemake/metadata",
    script:
        "../scripts/manifest.py"
