from invitesurvey import codebook, crosstab, io, itemtables
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params = snakemake.params
    data = io.read_waves(snakemake.input.waves)
    book = codebook.load(snakemake.input.codebook)
    table = crosstab.by_group(
        data, book, level=params.level, min_base=params.min_base, pooled=params.pooled
    )
    tests = crosstab.association_tests(data, book, **params.tests, pooled=params.pooled)
    io.write_table(table, snakemake.output.crosstabs)
    family = {"book": book, "holm_family": params.tests.get("holm_family")}
    differences = crosstab.differences(table, level=params.level, **family)
    io.write_table(differences, snakemake.output.differences)
    io.write_table(tests, snakemake.output.tests)
    # The pooled job compares each wave with the next; a wave's job, the wave before with it.
    earlier = [io.read_table(path) for path in snakemake.input.get("previous", [])]
    changes = crosstab.changes(
        crosstab.combined([*earlier, table]), level=params.level, wave_order=params.waves, **family
    )
    io.write_table(changes, snakemake.output.changes)
    items = itemtables.item_tables(
        data, book, level=params.level, min_base=params.min_base, pooled=params.pooled
    )
    for name, item_table in items.items():
        io.write_table(item_table, getattr(snakemake.output, name))
    log.info("%d respondents, %d crosstab rows", len(data), len(table))
