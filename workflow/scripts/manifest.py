from invitesurvey import manifest
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    records = manifest.snakemake_records(snakemake.params.metadata)
    rows = manifest.build(snakemake.input.outputs, records, snakemake.params.code_version)
    manifest.write(rows, snakemake.output[0])
    log.info("manifest of %d outputs, code version %s", len(rows), snakemake.params.code_version)
