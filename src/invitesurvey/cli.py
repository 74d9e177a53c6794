"""``invitesurvey``: reconstruct wave 2014, simulate a wave, check and add a wave."""

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
    add.add_argument("--config", default="config/config.yaml")
    add.add_argument("--check-only", action="store_true", help="report, do not append")
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
        from invitesurvey import addwave

        return addwave.cli_main(args)
    except InputError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
