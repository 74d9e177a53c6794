rule figures:
    """Every figure, drawn from the aggregate tables in one job (seaborn is imported once);
    one per select-all, grid and numeric question of the codebook (item_{variable})."""
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
        forest_title=f"Odds ratios of the model {MODELS[0]}, all waves pooled",
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    script:
        "../scripts/figures.py"


rule wave_figures:
    """One wave's own figures, drawn from its own tables for its page: how each group answers
    a stranger's invitation, and one figure per select-all, grid and numeric question. Adding
    a wave draws only its figures; the earlier waves' stay put."""
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


rule claims_wave_headline:
    """The claims wave's headline for its page: each behaviour the article published, the
    wave's share beside the article's figure. Drawn for that wave alone: no other wave's page
    shows the article's figures."""
    input:
        crosstabs=expand(rules.wave_tables.output.crosstabs, wave=config["claims"]["wave"]),
        multiple=expand(rules.wave_tables.output.multiple, wave=config["claims"]["wave"]),
        grid=expand(rules.wave_tables.output.grid, wave=config["claims"]["wave"]),
        numeric_bins=expand(rules.wave_tables.output.numeric_bins, wave=config["claims"]["wave"]),
        claims_file=config["claims_file"],
        codebook=config["codebook"],
        lib=lib("figures", "theme", "claims", "crosstab"),
    output:
        figures=report(
            expand(
                f"{OUT}/figures/waves/{config['claims']['wave']}/headline.{{ext}}",
                ext=config["figures"]["formats"],
            ),
            caption="../report/wave_figures.rst",
            category="5. Figures",
        ),
    log:
        f"{LOGS}/figures/claims_wave_headline.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        figures=["headline"],
        wave=config["claims"]["wave"],
        formats=config["figures"]["formats"],
        dpi=config["figures"]["dpi"],
        palette=config["figures"]["palette"],
        level=config["intervals"]["level"],
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    script:
        "../scripts/wave_figures.py"
