"""Simulate, write in every format, read back: the follow-up questions are laid out as each
tool lays them out (header rows exactly) and their cells read back to the simulated answers;
through ingest and cross-tabulation the wave-1 counts come back."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from project import follow_up_assumptions

from invitesurvey import crosstab, simulate
from invitesurvey.clean import QC
from invitesurvey.codebook import code_text
from invitesurvey.errors import InputError
from invitesurvey.formats import read_export, write_export
from invitesurvey.ingest import ingest_wave

FIELDWORK = (dt.date(2015, 3, 1), dt.date(2015, 3, 31))
SUFFIX = {"spss": ".sav", "excel": ".xlsx"}
OTHER = "Other (please specify)"
TYPED = "pending_invitations_as_typed"
OTHER_ONLY = "A friend of Sofia Rossi, met at a dinner"
# format, file suffix, writer options, header rows
LAYOUTS = [
    ("qualtrics", ".csv", {}, 3),
    ("qualtrics", ".csv", {"values": "numeric"}, 3),
    ("surveymonkey", ".csv", {}, 2),
    ("surveymonkey", ".xlsx", {}, 2),
    ("googleforms", ".csv", {}, 1),
    ("spss", ".sav", {}, 0),
    ("excel", ".xlsx", {}, 1),
    ("csv", ".csv", {}, 1),
    ("csv", ".csv", {"values": "labels"}, 1),
]
IDS = [f"{fmt}{suffix}{'-' + '-'.join(o.values()) if o else ''}" for fmt, suffix, o, _ in LAYOUTS]


def expected_counts(frame: pd.DataFrame, book) -> pd.DataFrame:
    """n and base per group, item and code, counted straight from the simulated frame."""
    genuine = frame[frame["role"] == "analysed"]
    rows = []
    for group, members in (
        ("recruiters", genuine[genuine["recruiter"] == True]),  # noqa: E712
        ("non_recruiters", genuine[genuine["recruiter"] == False]),  # noqa: E712
    ):
        for var in book.items:
            if var.name == "recruiter":
                continue
            answers = members[var.name].dropna().map(code_text)
            for code in var.code_values:
                rows.append(
                    (group, var.name, code_text(code), int((answers == code_text(code)).sum()),
                     len(answers))
                )  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "variable", "code", "n", "base"])


@pytest.mark.parametrize(
    "fmt", ["qualtrics", "surveymonkey", "googleforms", "spss", "excel", "csv"]
)
def test_ingested_crosstabs_equal_the_simulated_counts(tmp_path, root, book, fmt):
    counts = simulate.read_counts(root / "data" / "raw" / "wave-2014.counts.csv")
    frame = simulate.simulate(
        book,
        simulate.shares_from_counts(counts),
        300,
        11,
        wave="2015",
        fieldwork=FIELDWORK,
        artefacts=None if fmt == "googleforms" else simulate.Artefacts(),
        assumptions=follow_up_assumptions(book),
    )
    path = tmp_path / f"wave{SUFFIX.get(fmt, '.csv')}"
    write_export(frame, path, fmt, book)
    cleaned = ingest_wave(
        path, fmt, book, mapping=None, wave="2015", qc=QC(), fieldwork_start="2015-03-01"
    )
    assert len(cleaned.data) == 300
    table = crosstab.by_group(cleaned.data, book, level=0.95, min_base=30, pooled=False)
    got = table[table["group"] != "all"][["group", "variable", "code", "n", "base"]]
    got = got[got["variable"].isin([v.name for v in book.items])].reset_index(drop=True)
    want = expected_counts(frame, book)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


# ------------------------------------------------------- the follow-up questions, as laid out


@pytest.fixture(scope="module")
def wave(root, book) -> pd.DataFrame:
    """A simulated wave with the cases an exact reader must get right pinned in: a select-all
    answered with only an "other" text, an option nobody chose, a number typed with a
    thousands separator."""
    counts = simulate.read_counts(root / "data" / "raw" / "wave-2014.counts.csv")
    frame = simulate.simulate(
        book,
        simulate.shares_from_counts(counts),
        120,
        21,
        wave="2015",
        fieldwork=FIELDWORK,
        artefacts=simulate.Artefacts(),
        assumptions=follow_up_assumptions(book),
    )
    reasons = book["accept_reasons"]
    job_help = frame["accept_reasons__job_help"].fillna(False).to_numpy(dtype=bool)
    frame.loc[job_help, "accept_reasons__profile_useful"] = True  # nobody picks job_help
    frame.loc[frame["accept_reasons__job_help"].notna(), "accept_reasons__job_help"] = False
    first, second = np.flatnonzero(frame["role"].eq("analysed"))[:2]
    frame.loc[first, reasons.columns] = False
    frame.loc[first, ["accept_reasons__other", "accept_reasons_other"]] = [True, OTHER_ONLY]
    frame.loc[second, ["pending_invitations", TYPED]] = [1200.0, "1,200"]
    return frame


def written(tmp_path, frame, book, fmt, suffix, options):
    path = tmp_path / f"wave{suffix}"
    write_export(frame, path, fmt, book, **options)
    return path


def file_header(path, count: int) -> list[list[str]]:
    """The first ``count`` rows of a CSV or worksheet as text, blank cells as ``""``."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).worksheets[0]
        rows = sheet.iter_rows(max_row=count, values_only=True)
        return [["" if v is None else str(v) for v in row] for row in rows]
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for _, row in zip(range(count), csv.reader(handle), strict=False)]


def follow_up_header(book, fmt: str) -> list[tuple[str, ...]]:
    """Header cells of each column from the number to the last question, as the tool writes
    them (Qualtrics: tag, wording, ImportId; SurveyMonkey: rows 1 and 2; others: one row)."""
    number, reasons, grid = (book[n] for n in ("pending_invitations", "accept_reasons",
                                               "accept_likelihood"))  # fmt: skip
    comments = book["comments"]
    options = [a.label for a in reasons.codes]
    rows = [r.label for r in grid.rows]
    if fmt == "qualtrics":
        return [
            ("Q8", number.question, {"ImportId": "QID8_TEXT"}),
            *[
                (
                    f"Q9_{k}",
                    f"{reasons.question} - {label}",
                    {"ImportId": "QID9", "choiceId": str(k)},
                )
                for k, label in enumerate([*options, OTHER], start=1)
            ],
            ("Q9_7_TEXT", f"{reasons.question} - {OTHER} - Text", {"ImportId": "QID9_7_TEXT"}),
            *[
                (f"Q10_{k}", f"{grid.question} - {label}", {"ImportId": f"QID10_{k}"})
                for k, label in enumerate(rows, start=1)
            ],
            ("Q11", comments.question, {"ImportId": "QID11_TEXT"}),
        ]
    if fmt == "surveymonkey":
        return [
            (number.question, "Open-Ended Response"),
            (reasons.question, options[0]),
            *[("", label) for label in [*options[1:], OTHER]],
            (grid.question, rows[0]),
            *[("", label) for label in rows[1:]],
            (comments.question, "Open-Ended Response"),
        ]
    if fmt == "googleforms":
        return [
            (number.question,),
            (reasons.question,),
            *[(f"{grid.question} [{label}]",) for label in rows],
            (comments.question,),
        ]
    if fmt == "excel":
        return [
            (number.question,),
            *[(f"{reasons.question} - {label}",) for label in [*options, OTHER]],
            (f"{reasons.question} - {OTHER} - Text",),
            *[(f"{grid.question} - {label}",) for label in rows],
            (comments.question,),
        ]
    names = ["pending_invitations", *reasons.columns, "accept_reasons_other", *grid.columns]
    return [(name,) for name in [*names, "comments"]]


@pytest.mark.parametrize(("fmt", "suffix", "options", "count"), LAYOUTS, ids=IDS)
def test_follow_up_header_rows_are_the_tools_own(tmp_path, book, wave, fmt, suffix, options, count):
    path = written(tmp_path, wave, book, fmt, suffix, options)
    expected = follow_up_header(book, fmt)
    if fmt == "spss":
        import pyreadstat

        _, meta = pyreadstat.read_sav(path, metadataonly=True)
        start = meta.column_names.index("pending_invitations")
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert meta.column_names[start:] == [name for (name,) in follow_up_header(book, "csv")]
        assert [labels[n] for n in meta.column_names[start:]] == [
            text for (text,) in follow_up_header(book, "excel")
        ]
        values = meta.variable_value_labels
        assert values["accept_reasons__mutual"] == {
            0: "Not selected",
            1: "We have connections in common",
        }
        assert values["accept_reasons__other"] == {0: "Not selected", 1: OTHER}
        assert values["accept_likelihood__former_colleague"] == {
            1: "Always", 2: "Usually", 3: "Sometimes", 4: "Never"
        }  # fmt: skip
        types = meta.readstat_variable_types
        assert types["pending_invitations"] == "double" and "pending_invitations" not in values
        assert types["accept_reasons_other"] == "string"
        return
    header = file_header(path, count)
    first = {"qualtrics": "Q8", "csv": "pending_invitations"}.get(
        fmt, book["pending_invitations"].question
    )
    start = header[0].index(first)
    if fmt == "qualtrics":
        header[2] = [json.loads(i) for i in header[2]]
    assert list(zip(*(row[start:] for row in header), strict=True)) == expected


def cells(values: pd.Series, chosen: str | None, not_chosen: str | None = None) -> pd.Series:
    """Flags as a layout writes them: ``chosen`` where true, ``not_chosen`` where false."""
    flags = values.astype("boolean")
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out = out.mask(flags.eq(True).fillna(False), chosen)
    return out.mask(flags.eq(False).fillna(False), not_chosen) if not_chosen else out


def expected_cells(frame: pd.DataFrame, book, fmt: str, values: str) -> dict[str, pd.Series]:
    """What each follow-up column of the export, under its name as read, must hold."""
    number, reasons, grid = (book[n] for n in ("pending_invitations", "accept_reasons",
                                               "accept_likelihood"))  # fmt: skip
    codes = values == "codes"
    numeric = values == "numeric"
    whole = frame["pending_invitations"].astype("Float64").round().astype("Int64").astype("string")
    typed = frame[TYPED].astype("string").where(frame["pending_invitations"].notna())
    out = {
        "pending_invitations" if fmt == "csv" else number.question: (
            whole if fmt == "spss" or codes else typed.fillna(whole)
        )
    }
    scale = {code_text(a.code): a.label for a in grid.codes}
    if codes:
        scale = {k: k for k in scale}
    elif numeric:
        scale = {k: str(i) for i, k in enumerate(scale, start=1)}
    for row in grid.rows:
        column = grid.part_column(row.code)
        name = {"csv": column, "googleforms": f"{grid.question} [{row.label}]"}.get(
            fmt, f"{grid.question} - {row.label}"
        )
        out[name] = frame[column].map(scale, na_action="ignore").astype("string")
    text = frame["accept_reasons_other"].astype("string")
    if fmt == "googleforms":
        pieces = [cells(frame[reasons.part_column(a.code)], a.label) for a in reasons.codes]
        pieces.append(text.fillna(cells(frame["accept_reasons__other"], OTHER)))
        joined = pd.Series(
            [
                ", ".join(p for p in row if not pd.isna(p)) or pd.NA
                for row in zip(*pieces, strict=True)
            ],
            index=frame.index,
            dtype="string",
        )
        out[reasons.question] = joined
        return out
    for answer in [*reasons.codes, reasons.other]:
        column = reasons.part_column(answer.code)
        name = column if fmt == "csv" else f"{reasons.question} - {answer.label}"
        if codes:
            out[name] = cells(frame[column], "true", "false")
        elif fmt == "spss":
            out[name] = cells(frame[column], answer.label, "Not selected")
        else:
            out[name] = cells(frame[column], "1" if numeric else answer.label)
    if fmt == "surveymonkey":
        out[f"{reasons.question} - {OTHER}"] = text.fillna(out[f"{reasons.question} - {OTHER}"])
    else:
        name = "accept_reasons_other" if fmt == "csv" else f"{reasons.question} - {OTHER} - Text"
        out[name] = text
    return out


@pytest.mark.parametrize(("fmt", "suffix", "options", "count"), LAYOUTS, ids=IDS)
def test_follow_up_cells_read_back_to_the_simulated_answers(
    tmp_path, book, wave, fmt, suffix, options, count
):
    path = written(tmp_path, wave, book, fmt, suffix, options)
    export = read_export(path, fmt)
    source = wave[wave["finished"]] if fmt == "googleforms" else wave
    source = source.reset_index(drop=True)
    values = options.get("values", "codes" if fmt == "csv" else "labels")
    for column, want in expected_cells(source, book, fmt, values).items():
        got = export.frame[column]
        assert isinstance(got.dtype, pd.CategoricalDtype), column
        pd.testing.assert_series_equal(
            got.astype("string").reset_index(drop=True),
            want.reset_index(drop=True),
            check_names=False,
            obj=column,
        )
    if fmt == "surveymonkey":  # wording over the first column only, carried right
        reasons = book["accept_reasons"]
        assert export.parts[f"{reasons.question} - {OTHER}"] == (reasons.question, OTHER)
        grid = book["accept_likelihood"]
        row = grid.rows[-1].label
        assert export.parts[f"{grid.question} - {row}"] == (grid.question, row)
    if fmt == "googleforms":
        grid = book["accept_likelihood"]
        row = grid.rows[0].label
        assert export.parts[f"{grid.question} [{row}]"] == (grid.question, row)
    pinned = source.index[source["accept_reasons_other"].eq(OTHER_ONLY).fillna(False)]
    assert len(pinned) == 1  # the "other"-only answer made it into the file


def test_a_partly_given_select_all_is_refused(tmp_path, book, wave):
    with pytest.raises(InputError, match="accept_reasons__never"):
        write_export(wave.drop(columns="accept_reasons__never"), tmp_path / "x.csv", "csv", book)
