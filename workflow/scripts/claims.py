from invitesurvey import claims, grim, io
from invitesurvey.errors import InputError
from invitesurvey.log import to_log

with to_log(snakemake.log[0]) as log:
    published = claims.load(snakemake.input.claims)
    crosstabs = io.read_table(snakemake.input.crosstabs)
    result = claims.check(published, crosstabs, snakemake.params.wave, level=snakemake.params.level)
    io.write_table(result, snakemake.output.claims)
    audit = grim.audit(published)
    io.write_table(audit, snakemake.output.grim)
    io.write_table(grim.summary(published, audit), snakemake.output.grim_summary)
    failures = claims.strict_failures(result)
    log.info("%d of %d published figures reproduced", len(result) - len(failures), len(result))
    for failure in failures:
        log.warning(failure)
    if failures and snakemake.params.strict:
        raise InputError(
            f"{len(failures)} published figure(s) not reproduced: " + "; ".join(failures),
            file=snakemake.input.claims,
            hint="See results/claims/claims.csv, or set claims.strict: false to report only.",
        )
