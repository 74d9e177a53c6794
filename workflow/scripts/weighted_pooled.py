from invitesurvey import io, weightreport
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    summaries = [io.read_table(path) for path in snakemake.input.summaries]
    io.write_table(weightreport.stack(summaries), snakemake.output.weights)
    for name in snakemake.params.tables:
        tables = [io.read_table(path) for path in getattr(snakemake.input, name)]
        io.write_table(weightreport.stack(tables), getattr(snakemake.output, name))
    log.info("%d raked wave(s)", len(summaries))
