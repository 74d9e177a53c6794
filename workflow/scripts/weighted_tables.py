from invitesurvey import codebook, io, survey
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    data = io.read_parquet(snakemake.input.clean)
    raked = io.read_parquet(snakemake.input.weights)
    book = codebook.load(snakemake.input.codebook)
    tables = survey.wave_tables(
        data, raked, book, level=snakemake.params.level, min_base=snakemake.params.min_base
    )
    for name, table in tables.items():
        io.write_table(table, getattr(snakemake.output, name))
    log.info("%d respondents, %d weighted crosstab rows", len(data), len(tables["crosstabs"]))
