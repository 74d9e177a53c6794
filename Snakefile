# The LinkedIn invitations survey, from raw exports to the write-up. Run: snakemake
# (profiles/default supplies the defaults). Every stage lives in workflow/rules/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/weights.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/audit.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
        f"{OUT}/audit/manifest.tsv",
