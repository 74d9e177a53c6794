from invitesurvey import io, model
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params = snakemake.params
    data = io.read_waves(snakemake.input.waves)
    result = model.fit(data, params.spec, waves=params.waves, level=params.level)
    io.write_table(result.coefficients, snakemake.output.coefficients)
    io.write_table(result.marginal_effects, snakemake.output.marginal_effects)
    io.write_json(result.fit, snakemake.output.fit)
    log.info("%s: %s, n=%s", params.spec["name"], result.fit["method"], result.fit["n"])
