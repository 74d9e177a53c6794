from invitesurvey import manifest
from invitesurvey.io import atomic_path
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    records = manifest.snakemake_records(snakemake.params.metadata)
    table = manifest.build(snakemake.input.outputs, records, snakemake.params.code_version)
    with atomic_path(snakemake.output[0]) as tmp:
        table.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    log.info("manifest of %d outputs, code version %s", len(table), snakemake.params.code_version)
