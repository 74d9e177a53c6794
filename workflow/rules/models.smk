rule model:
    """Logistic regression of one configured model on the pooled waves."""
    input:
        waves=clean_waves(),
        lib=lib("model"),
    output:
        coefficients=report(
            f"{OUT}/models/{{model}}/coefficients.csv",
            caption="../report/coefficients.rst",
            category="4. Models",
            subcategory="{model}",
        ),
        marginal_effects=report(
            f"{OUT}/models/{{model}}/marginal_effects.csv",
            caption="../report/marginal_effects.rst",
            category="4. Models",
            subcategory="{model}",
        ),
        fit=report(
            f"{OUT}/models/{{model}}/fit.json",
            caption="../report/fit.rst",
            category="4. Models",
            subcategory="{model}",
        ),
    log:
        f"{LOGS}/models/{{model}}.log",
    # On the path to the write-up, the longest: ahead of the waves' own jobs on few cores.
    priority: 1
    conda:
        "../envs/invitesurvey.yaml"
    params:
        spec=lambda wc: next(m for m in config["models"] if m["name"] == wc.model),
        level=config["intervals"]["level"],
        waves=WAVES,
    script:
        "../scripts/model.py"
