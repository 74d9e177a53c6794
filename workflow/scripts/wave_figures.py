from functools import partial
from pathlib import Path

from invitesurvey import claims, codebook, figures, io, theme
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params, inputs = snakemake.params, snakemake.input
    wave = params.wave
    crosstabs = io.read_table(str(inputs.crosstabs))
    book = codebook.load(inputs.codebook)
    items = {t: io.read_table(str(getattr(inputs, t))) for t in figures.ITEM_TABLES.values()}
    drawn = {
        "composition": lambda: figures.composition(crosstabs, book, wave),
        "headline": lambda: figures.headline(
            crosstabs, claims.load(inputs.claims_file), book, wave, level=params.level
        ),
    }
    for name in figures.item_names(book):
        drawn[name] = partial(figures.item, items, book, name.removeprefix(figures.ITEM_PREFIX))
    with theme.use(params.palette):
        for name in params.figures:
            theme.save(drawn[name](), Path(params.outdir) / name, params.formats, params.dpi)
            log.info("drew %s for wave %s", name, wave)
