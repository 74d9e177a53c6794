rule ingest:
    """Read one wave's export, map it to the codebook, apply QC, drop personal data.

    One job per wave does reading, mapping and cleaning together: the three share one parse of
    a possibly large export, and a finer split would only add interpreter start-ups.
    """
    input:
        unpack(wave_inputs),
        codebook=config["codebook"],
        lib=lib("formats", "harmonise", "clean", "ingest"),
    output:
        clean=f"{OUT}/waves/{{wave}}/clean.parquet",
        exclusions=report(
            f"{OUT}/waves/{{wave}}/exclusions.csv",
            caption="../report/exclusions.rst",
            category="1. Data",
            subcategory="{wave}",
        ),
        flow=report(
            f"{OUT}/waves/{{wave}}/flow.csv",
            caption="../report/flow.rst",
            category="1. Data",
            subcategory="{wave}",
        ),
        recodes=report(
            f"{OUT}/waves/{{wave}}/recodes.csv",
            caption="../report/recodes.rst",
            category="1. Data",
            subcategory="{wave}",
        ),
    log:
        f"{LOGS}/ingest/{{wave}}.log",
    conda:
        "../envs/invitesurvey.yaml"
    params:
        format=lambda wc: wave_row(wc)["format"],
        encoding=lambda wc: wave_row(wc).get("encoding") or None,
        sheet=lambda wc: wave_row(wc).get("sheet") or None,
        date_order=lambda wc: wave_row(wc).get("date_order") or None,
        fieldwork_start=lambda wc: wave_row(wc)["fieldwork_start"],
        qc=config["qc"],
    script:
        "../scripts/ingest.py"
