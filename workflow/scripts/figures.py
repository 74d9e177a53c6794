from functools import partial
from pathlib import Path

from invitesurvey import claims, codebook, figures, io, theme
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params, inputs = snakemake.params, snakemake.input
    crosstabs = io.read_table(inputs.crosstabs)
    published = claims.load(inputs.claims_file)
    book = codebook.load(inputs.codebook)
    with theme.use(params.palette):
        drawn = {
            "forest": lambda: figures.forest(
                io.read_table(inputs.coefficients[0]),
                book,
                io.read_json(inputs.fit[0])["references"],
                title=params.forest_title,
            ),
            "flow": lambda: figures.flow(
                {w: io.read_table(p) for w, p in zip(params.waves, inputs.flows, strict=True)}
            ),
            "trends": lambda: figures.trends(
                crosstabs, published, book, level=params.level, wave_order=params.waves
            ),
        }
        # One figure per select-all, grid and numeric question, from the pooled item tables.
        items = {t: io.read_table(getattr(inputs, t)) for t in figures.ITEM_TABLES.values()}
        for name in figures.item_names(book):
            variable = name.removeprefix(figures.ITEM_PREFIX)
            drawn[name] = partial(figures.item, items, book, variable)
        for name in params.figures:
            theme.save(drawn[name](), Path(params.outdir) / name, params.formats, params.dpi)
            log.info("drew %s", name)
