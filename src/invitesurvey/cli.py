"""``invitesurvey``: reconstruct wave 2014, simulate a wave, check and add a wave, run the
workflow safely and audit its results."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from invitesurvey.errors import InputError

FORMATS = ("qualtrics", "surveymonkey", "googleforms", "spss", "excel", "csv")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invitesurvey", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    rec = sub.add_parser(
        "reconstruct",
        help="solve for counts that reproduce the published figures and write wave 2014",
    )
    rec.add_argument("--config", default="config/config.yaml")
    rec.add_argument("--claims", default="config/published_claims.yaml")
    rec.add_argument("--codebook", default="config/codebook.yaml")
    rec.add_argument("--output", help="export path (default: reconstruction.output in config)")

    sim = sub.add_parser("simulate", help="write a synthetic export of one wave in any format")
    sim.add_argument("--wave", required=True, help="wave id, e.g. 2015")
    sim.add_argument("--n", type=int, required=True, help="respondents to simulate")
    sim.add_argument("--format", required=True, choices=FORMATS)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--output", required=True, help="file to write")
    sim.add_argument("--config", default="config/config.yaml")
    sim.add_argument("--codebook", default="config/codebook.yaml")
    sim.add_argument(
        "--shift",
        action="append",
        default=[],
        metavar="VARIABLE:CODE=DELTA",
        help="move a share by DELTA (e.g. purpose:find_role=0.05); repeatable",
    )
    sim.add_argument(
        "--artefacts",
        action="store_true",
        help="add tests, break-offs, duplicates and speeders for cleaning to remove",
    )
    sim.add_argument(
        "--wave1-only",
        action="store_true",
        help="ask the wave-1 questionnaire only, without the follow-up questions",
    )

    add = sub.add_parser(
        "add-wave", help="check an export against the codebook and append it to the waves sheet"
    )
    add.add_argument("file")
    add.add_argument("--wave", required=True)
    add.add_argument("--format", required=True, choices=FORMATS)
    add.add_argument("--fieldwork-start", help="YYYY-MM-DD (default: earliest response)")
    add.add_argument("--fieldwork-end", help="YYYY-MM-DD (default: latest response)")
    add.add_argument("--mapping", help="wave mapping file for wording or label changes")
    add.add_argument("--encoding")
    add.add_argument("--sheet")
    add.add_argument(
        "--date-order",
        choices=("month_first", "day_first"),
        help="order of day and month where every date of the export reads both ways",
    )
    add.add_argument("--note", default="")
    add.add_argument(
        "--origin",
        choices=("collected", "reconstructed", "synthetic"),
        help="where the wave came from (default: synthetic for a simulated file, else collected)",
    )
    add.add_argument("--config", default="config/config.yaml")
    add.add_argument("--check-only", action="store_true", help="report, do not append")

    run = sub.add_parser(
        "run",
        help="run the workflow as `make` does: one run at a time, and a failed or killed run "
        "leaves results/ as the last complete run left it",
    )
    run.add_argument(
        "snakemake_args", nargs=argparse.REMAINDER, help="passed on to snakemake (after --)"
    )

    audit = sub.add_parser("audit", help="check results against the manifest, or trace one")
    checks = audit.add_subparsers(dest="audit_command", required=True)
    verify = checks.add_parser(
        "verify",
        help="re-hash every file of the manifest; list edited, missing and unlisted files "
        "(exit 1 when there are any)",
    )
    verify.add_argument("--manifest", default="results/audit/manifest.tsv")
    trace = checks.add_parser(
        "trace",
        help="how a result was made: rule, script, parameters, inputs with their hashes, and "
        "the raw files behind it",
    )
    trace.add_argument("file", help="a result, e.g. results/tables/crosstabs.csv")
    trace.add_argument(
        "row",
        nargs="?",
        type=int,
        help="a row of the table, counted as a spreadsheet does (the header is row 1); only "
        "its waves are followed",
    )
    trace.add_argument("--manifest", default="results/audit/manifest.tsv")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "reconstruct":
            from invitesurvey import reconstruct

            return reconstruct.cli_main(args)
        if args.command == "simulate":
            from invitesurvey import simulate

            return simulate.cli_main(args)
        if args.command == "run":
            from invitesurvey import run

            extra = args.snakemake_args
            return run.cli_main(extra[1:] if extra[:1] == ["--"] else extra)
        if args.command == "audit":
            from invitesurvey import audit

            if args.audit_command == "verify":
                return audit.cli_verify(args.manifest)
            return audit.cli_trace(args.file, args.row, args.manifest)
        from invitesurvey import addwave

        return addwave.cli_main(args)
    except InputError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
