rule tables:
    """Cross-tabulations, differences, association tests and wave-to-wave changes."""
    input:
        waves=clean_waves(),
        codebook=config["codebook"],
        lib=lib("crosstab"),
    output:
        crosstabs=report(
            f"{OUT}/tables/crosstabs.csv", caption="../report/crosstabs.rst", category="2. Tables"
        ),
        differences=report(
            f"{OUT}/tables/differences.csv",
            caption="../report/differences.rst",
            category="2. Tables",
        ),
        tests=report(f"{OUT}/tables/tests.csv", caption="../report/tests.rst", category="2. Tables"),
        changes=report(
            f"{OUT}/tables/changes.csv", caption="../report/changes.rst", category="2. Tables"
        ),
    params:
        level=config["intervals"]["level"],
        min_base=config["intervals"]["min_base"],
        waves=WAVES,
    log:
        f"{LOGS}/tables.log",
    script:
        "../scripts/tables.py"


rule claims:
    """Every published figure against the reproduced one, and the GRIM audit of the article."""
    input:
        crosstabs=rules.tables.output.crosstabs,
        claims=config["claims_file"],
        lib=lib("claims", "grim"),
    output:
        claims=report(
            f"{OUT}/claims/claims.csv", caption="../report/claims.rst", category="3. Claims"
        ),
        grim=report(f"{OUT}/claims/grim.csv", caption="../report/grim.rst", category="3. Claims"),
        grim_summary=report(
            f"{OUT}/claims/grim_summary.csv",
            caption="../report/grim_summary.rst",
            category="3. Claims",
        ),
    params:
        wave=config["claims"]["wave"],
        strict=config["claims"]["strict"],
    log:
        f"{LOGS}/claims.log",
    script:
        "../scripts/claims.py"
