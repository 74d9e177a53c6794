rule figures:
    """Every pooled figure, drawn from the aggregate tables in one job (matplotlib is imported
    once); one per select-all, grid and numeric question of the codebook (item_{variable})."""
    input:
        crosstabs=rules.tables.output.crosstabs,
        claims_file=config["claims_file"],
        coefficients=expand(rules.model.output.coefficients, model=MODELS[0]),
        fit=expand(rules.model.output.fit, model=MODELS[0]),
        flows=expand(rules.ingest.output.flow, wave=WAVES),
        multiple=rules.tables.output.multiple,
        grid=rules.tables.output.grid,
        numeric_bins=rules.tables.output.numeric_bins,
        codebook=config["codebook"],
        lib=lib("figures", "theme", "claims", "crosstab"),
    output:
        figures=report(
            expand(
                f"{OUT}/figures/{{figure}}.{{ext}}",
                figure=[f for f in FIGURES if f not in ITEM_FIGURES],
                ext=config["figures"]["formats"],
            ),
            caption="../report/figures.rst",
            category="5. Figures",
        ),
        item_figures=report(
            expand(
                f"{OUT}/figures/{{figure}}.{{ext}}",
                figure=ITEM_FIGURES,
                ext=config["figures"]["formats"],
            ),
            caption="../report/item_figures.rst",
            category="5. Figures",
        ),
    log:
        f"{LOGS}/figures.log",
    # On the path to the write-up, the longest: ahead of the waves' own jobs on few cores.
    priority: 1
    conda:
        "../envs/invitesurvey.yaml"
    params:
        figures=FIGURES,
        formats=config["figures"]["formats"],
        dpi=config["figures"]["dpi"],
        palette=config["figures"]["palette"],
        level=config["intervals"]["level"],
        waves=WAVES,
        forest_title=f"Odds ratios of the model {MODELS[0]}, all waves pooled",
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    script:
        "../scripts/figures.py"


rule wave_figures:
    """One wave's own figures, drawn from its own tables for its page: how each group answers
    a stranger's invitation, and one figure per select-all, grid and numeric question. Adding
    a wave draws only its figures; the earlier waves' stay put. The claims wave's are drawn by
    claims_wave_figures, below."""
    input:
        crosstabs=rules.wave_tables.output.crosstabs,
        multiple=rules.wave_tables.output.multiple,
        grid=rules.wave_tables.output.grid,
        numeric_bins=rules.wave_tables.output.numeric_bins,
        claims_file=config["claims_file"],
        codebook=config["codebook"],
        lib=lib("figures", "theme", "claims", "crosstab"),
    output:
        figures=report(
            expand(
                f"{OUT}/figures/waves/{{{{wave}}}}/{{figure}}.{{ext}}",
                figure=WAVE_FIGURES,
                ext=config["figures"]["formats"],
            ),
            caption="../report/wave_figures.rst",
            category="5. Figures",
            subcategory="{wave}",
        ),
    log:
        f"{LOGS}/figures/waves/{{wave}}.log",
    wildcard_constraints:
        wave=one_of(w for w in WAVES if w != config["claims"]["wave"]),
    conda:
        "../envs/invitesurvey.yaml"
    params:
        figures=WAVE_FIGURES,
        wave=lambda wildcards: wildcards.wave,
        formats=config["figures"]["formats"],
        dpi=config["figures"]["dpi"],
        palette=config["figures"]["palette"],
        level=config["intervals"]["level"],
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    script:
        "../scripts/wave_figures.py"


# The claims wave's figures also hold its headline: each behaviour the article published, the
# wave's share beside the article's figure. No other wave's page shows the article's figures.
# One job with the wave's other figures, so the plotting stack is imported once for them.
# Ahead of the waves' own jobs: on two cores, a cold run's claims-wave page waits on it.
use rule wave_figures as claims_wave_figures with:
    output:
        figures=report(
            expand(
                f"{OUT}/figures/waves/{{{{wave}}}}/{{figure}}.{{ext}}",
                figure=CLAIMS_WAVE_FIGURES,
                ext=config["figures"]["formats"],
            ),
            caption="../report/wave_figures.rst",
            category="5. Figures",
            subcategory="{wave}",
        ),
    wildcard_constraints:
        wave=one_of([config["claims"]["wave"]]),
    priority: 1
    params:
        figures=CLAIMS_WAVE_FIGURES,
