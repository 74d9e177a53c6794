from invitesurvey import io, survey
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params = snakemake.params
    data = io.read_waves(snakemake.input.waves)
    raked = io.read_waves(snakemake.input.weights)
    table, fit = survey.model_fit(data, raked, params.spec, waves=params.waves, level=params.level)
    io.write_table(table, snakemake.output.coefficients)
    io.write_json(fit, snakemake.output.fit)
    log.info("%s weighted: n=%s, waves %s", params.spec["name"], fit["n"], fit["waves"])
