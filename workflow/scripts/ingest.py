from invitesurvey import codebook, io
from invitesurvey.clean import QC
from invitesurvey.ingest import ingest_wave, summary
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params = snakemake.params
    cleaned = ingest_wave(
        snakemake.input.raw,
        params.format,
        codebook.load(snakemake.input.codebook),
        mapping=snakemake.input.get("mapping"),
        wave=snakemake.wildcards.wave,
        qc=QC.from_config(params.qc),
        fieldwork_start=params.fieldwork_start,
        encoding=params.encoding,
        sheet=params.sheet,
        date_order=params.date_order,
    )
    io.write_parquet(cleaned.data, snakemake.output.clean)
    io.write_table(cleaned.exclusions, snakemake.output.exclusions)
    io.write_table(cleaned.flow, snakemake.output.flow)
    io.write_table(cleaned.recodes, snakemake.output.recodes)
    log.info(summary(cleaned))
