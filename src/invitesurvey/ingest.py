"""One wave from its raw export to clean data: read, harmonise, clean."""

from __future__ import annotations

from pathlib import Path

from invitesurvey.clean import QC, Cleaned, clean
from invitesurvey.codebook import Codebook
from invitesurvey.formats import read_export
from invitesurvey.harmonise import harmonise, load_mapping


def ingest_wave(
    raw: str | Path,
    fmt: str,
    book: Codebook,
    *,
    mapping: str | Path | None,
    wave: str,
    qc: QC,
    fieldwork_start: str,
    encoding: str | None = None,
    sheet: str | None = None,
    date_order: str | None = None,
) -> Cleaned:
    """Read ``raw`` as ``fmt``, map it through the codebook and apply quality control."""
    # The export is not kept past harmonise: its columns live on in the harmonised frame only.
    harmonised = harmonise(
        read_export(raw, fmt, encoding=encoding, sheet=sheet, date_order=date_order),
        book,
        load_mapping(mapping, book),
        file=raw,
    )
    return clean(
        harmonised.frame,
        book,
        qc,
        wave=wave,
        fieldwork_start=fieldwork_start,
        recodes=harmonised.recodes,
    )


def summary(cleaned: Cleaned) -> str:
    """The flow table as log lines: counts only, never personal data."""
    lines = [
        f"{row.rule:>16}: {row.rows_in} in, {row.excluded} excluded, {row.rows_out} out"
        for row in cleaned.flow.itertuples()
    ]
    recodes = cleaned.recodes if cleaned.recodes is not None else None
    if recodes is not None and len(recodes):
        counts = recodes.groupby(["variable", "rule"]).size()
        lines.append("answers recoded (recodes.csv):")
        lines += [f"{v:>24} {r}: {n}" for (v, r), n in counts.items()]
    return "cleaning flow\n" + "\n".join(lines)
