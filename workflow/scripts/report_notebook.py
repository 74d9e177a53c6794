import os
import sys

from invitesurvey import htmlcheck, report
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params = snakemake.params
    executed = report.execute(
        snakemake.input.template,
        params.notebook,
        engine=params.engine,
        kernel=params.kernel,
        timeout=params.cell_timeout,
        cwd=os.getcwd(),
        log=sys.stdout,
    )
    notebook = report.keep_cells(report.normalise(executed), report.page_tags(params.notebook))
    page = report.render_html(notebook, params.notebook["title"])
    htmlcheck.check_page(page, snakemake.output.html)
    # Every link resolves but the one to the manifest, which is written after the pages.
    htmlcheck.check_links(page, snakemake.output.html, later=[params.notebook["manifest_file"]])
    report.write_text(report.notebook_text(notebook), snakemake.output.notebook)
    report.write_text(page, snakemake.output.html)
    log.info(
        "%s: %d cells, a page of %d bytes", snakemake.input.template, len(notebook.cells), len(page)
    )
