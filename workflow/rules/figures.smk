rule figures:
    """Every figure, drawn from the aggregate tables in one job (seaborn is imported once);
    one per select-all, grid and numeric question of the codebook (item_{variable})."""
    input:
        crosstabs=rules.tables.output.crosstabs,
        claims_file=config["claims_file"],
        coefficients=expand(rules.model.output.coefficients, model=MODELS[0]),
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
    conda:
        "../envs/invitesurvey.yaml"
    params:
        figures=FIGURES,
        formats=config["figures"]["formats"],
        dpi=config["figures"]["dpi"],
        palette=config["figures"]["palette"],
        wave=config["claims"]["wave"],
        level=config["intervals"]["level"],
        waves=WAVES,
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    script:
        "../scripts/figures.py"
