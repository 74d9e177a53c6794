rule tables:
    """Cross-tabulations, differences, association tests and wave-to-wave changes; the tables
    of the select-all, grid and numeric questions."""
    input:
        waves=clean_waves(),
        codebook=config["codebook"],
        lib=lib("crosstab", "itemtables"),
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
        multiple=report(
            f"{OUT}/tables/multiple.csv", caption="../report/multiple.rst", category="2. Tables"
        ),
        multiple_differences=report(
            f"{OUT}/tables/multiple_differences.csv",
            caption="../report/multiple_differences.rst",
            category="2. Tables",
        ),
        grid=report(f"{OUT}/tables/grid.csv", caption="../report/grid.rst", category="2. Tables"),
        grid_top=report(
            f"{OUT}/tables/grid_top.csv", caption="../report/grid_top.rst", category="2. Tables"
        ),
        numeric=report(
            f"{OUT}/tables/numeric.csv", caption="../report/numeric.rst", category="2. Tables"
        ),
        numeric_tests=report(
            f"{OUT}/tables/numeric_tests.csv",
            caption="../report/numeric_tests.rst",
            category="2. Tables",
        ),
        numeric_bins=report(
            f"{OUT}/tables/numeric_bins.csv",
            caption="../report/numeric_bins.rst",
            category="2. Tables",
        ),
    log:
        f"{LOGS}/tables.log",
    # On the path to the write-up, the longest: ahead of the waves' own jobs on few cores.
    priority: 1
    conda:
        "../envs/invitesurvey.yaml"
    params:
        level=config["intervals"]["level"],
        min_base=config["intervals"]["min_base"],
        tests=config["tests"],
        waves=WAVES,
        pooled=True,
    script:
        "../scripts/tables.py"


rule wave_tables:
    """One wave's own cross-tabulations, differences, tests and item tables, for its report,
    and the change into it from the wave before.

    The same functions as the pooled tables, on one wave: its rows equal that wave's rows of
    the pooled tables (its changes, the pooled changes into it), and adding a wave leaves them
    (and the wave's report) untouched.
    """
    input:
        unpack(wave_before),
        waves=[f"{OUT}/waves/{{wave}}/clean.parquet"],
        codebook=config["codebook"],
        lib=lib("crosstab", "itemtables"),
    output:
        crosstabs=report(
            f"{OUT}/waves/{{wave}}/crosstabs.csv",
            caption="../report/crosstabs.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        differences=report(
            f"{OUT}/waves/{{wave}}/differences.csv",
            caption="../report/differences.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        tests=report(
            f"{OUT}/waves/{{wave}}/tests.csv",
            caption="../report/tests.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        changes=report(
            f"{OUT}/waves/{{wave}}/changes.csv",
            caption="../report/changes.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        multiple=report(
            f"{OUT}/waves/{{wave}}/multiple.csv",
            caption="../report/multiple.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        multiple_differences=report(
            f"{OUT}/waves/{{wave}}/multiple_differences.csv",
            caption="../report/multiple_differences.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        grid=report(
            f"{OUT}/waves/{{wave}}/grid.csv",
            caption="../report/grid.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        grid_top=report(
            f"{OUT}/waves/{{wave}}/grid_top.csv",
            caption="../report/grid_top.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        numeric=report(
            f"{OUT}/waves/{{wave}}/numeric.csv",
            caption="../report/numeric.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        numeric_tests=report(
            f"{OUT}/waves/{{wave}}/numeric_tests.csv",
            caption="../report/numeric_tests.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
        numeric_bins=report(
            f"{OUT}/waves/{{wave}}/numeric_bins.csv",
            caption="../report/numeric_bins.rst",
            category="2. Tables",
            subcategory="{wave}",
        ),
    log:
        f"{LOGS}/tables/{{wave}}.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        level=config["intervals"]["level"],
        min_base=config["intervals"]["min_base"],
        tests=config["tests"],
        waves=lambda wildcards: [w for w in (previous_wave(wildcards.wave), wildcards.wave) if w],
        pooled=False,
    script:
        "../scripts/tables.py"


rule claims:
    """Every published figure against the reproduced one, and the GRIM audit of the article.

    It reads the claims wave's own tables, so adding a later wave does not rerun it.
    """
    input:
        crosstabs=wave_crosstabs(config["claims"]["wave"]),
        claims=config["claims_file"],
        lib=lib("claims", "crosstab", "grim"),
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
    log:
        f"{LOGS}/claims.log",
    # On the path to the write-up: ahead of the waves' own jobs on few cores.
    priority: 1
    conda:
        "../envs/invitesurvey.yaml"
    params:
        wave=config["claims"]["wave"],
        strict=config["claims"]["strict"],
        level=config["intervals"]["level"],
    script:
        "../scripts/claims.py"
