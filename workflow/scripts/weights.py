from invitesurvey import codebook, io, weights
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    params = snakemake.params
    data = io.read_parquet(snakemake.input.clean)
    book = codebook.load(snakemake.input.codebook)
    raked, record = weights.rake(
        data,
        book,
        params.margins,
        trim=params.trim,
        max_iterations=params.max_iterations,
        tolerance=params.tolerance,
    )
    summary = weights.summary(data, raked, book, converged=record["converged"])
    io.write_parquet(raked, snakemake.output.weights)
    io.write_table(summary, snakemake.output.summary)
    io.write_json(record, snakemake.output.fit)
    log.log(
        20 if record["converged"] else 30,
        "%d iterations, largest margin error %.2e, converged=%s, Kish deff %.3f",
        record["iterations"],
        record["max_margin_error"],
        record["converged"],
        summary["deff_kish"].iloc[-1],
    )
