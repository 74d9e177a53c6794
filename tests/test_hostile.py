"""Hostile and odd input ("Nothing lost, nothing leaked, nothing injected"): each case ends in
one located line, never a traceback, never a respondent's personal data in the message, and
never a lost or half-written file.

Files are generated here from the project's SurveyMonkey wave (data/raw/wave-2014.csv) or in
code; the large ones (a 17 MB answer, a compressed bomb) are made in the test's tmp folder.
"""

from __future__ import annotations

import csv
import errno
import math
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from project import ROOT, copy_project
from test_clean import ITEMS

from invitesurvey import io
from invitesurvey.clean import MAX_DURATION_S, QC, clean
from invitesurvey.errors import InputError
from invitesurvey.formats import _common, read_export, spss
from invitesurvey.ingest import ingest_wave

BIN = Path(sys.executable).parent
WAVE = ROOT / "data" / "raw" / "wave-2014.csv"
MAPPING = ROOT / "config" / "mappings" / "wave-2014.yaml"
SENIORITY = "Which best describes your current level?"
COMMENTS = "Is there anything else you would like to tell us?"


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    with open(WAVE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


def ingest(path: Path, book, **kwargs):
    return ingest_wave(
        path,
        "surveymonkey",
        book,
        mapping=MAPPING,
        wave="2014",
        qc=QC(),
        fieldwork_start="2014-03-01",
        **kwargs,
    )


def personal(rows: list[list[str]]) -> set[str]:
    """Every e-mail, IP address, first and last name and time in the file's data rows."""
    header = rows[0]
    columns = ["Email Address", "IP Address", "First Name", "Last Name", "Start Date", "End Date"]
    return {row[header.index(c)] for row in rows[2:] for c in columns if row[header.index(c)]}


def one_line(error: InputError) -> str:
    text = f"ERROR: {error}"
    assert "Traceback" not in text
    return text


# ------------------------------------------------------------------ 1. no personal data


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [
        ("Start Date", "Anna Martin", "a date and time"),
        ("End Date", "anna.martin@example.com", "a date and time"),
    ],
)
def test_a_bad_paradata_value_is_described_not_quoted(tmp_path, rows, book, column, value, what):
    bad = [list(r) for r in rows]
    bad[4][bad[0].index(column)] = value
    path = write_rows(tmp_path / "wave.csv", bad)
    with pytest.raises(InputError) as error:
        ingest(path, book)
    text = one_line(error.value)
    assert f"a value that is not {what}" in text
    assert (error.value.file, error.value.row, error.value.column) == (str(path), 5, column)
    assert value not in text and "Anna" not in text and "@" not in text


@pytest.mark.parametrize(
    ("header", "value", "what"),
    [
        ("progress", "Anna Martin", "a number from 0 to 100"),
        ("duration_s", "192.0.2.65", "a number from 0 to inf"),
        ("status", "sarah.baker@example.com", "a status"),
        ("finished", "Baker", "a finished flag"),
    ],
)
def test_no_paradata_column_quotes_its_cells(tmp_path, header, value, what):
    path = tmp_path / "plain.csv"
    path.write_text(f"respondent_id,{header}\n1,{'1' if header != 'status' else 'response'}\n"
                    f'2,"{value}"\n')  # fmt: skip
    with pytest.raises(InputError) as error:
        read_export(path, "csv")
    text = one_line(error.value)
    assert f"a value that is not {what}" in text and value not in text
    assert (error.value.row, error.value.column) == (3, header)


def test_ambiguous_dates_are_shown_as_readings_not_as_cells(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Timestamp,Q\n03/05/2025 14:11:48,Yes\n05/04/2025 10:00:00,No\n")
    with pytest.raises(InputError) as error:
        read_export(path, "googleforms")
    text = one_line(error.value)
    assert "row 2 reads as 2025-03-05 or 2025-05-03" in text
    assert "14:11:48" not in text and "03/05/2025" not in text


def swapped(rows: list[list[str]], a: str, b: str) -> list[list[str]]:
    """The file with the headers ``a`` and ``b`` swapped (values stay where they were)."""
    out = [list(r) for r in rows]
    i, j = out[0].index(a), out[0].index(b)
    out[0][i], out[0][j] = out[0][j], out[0][i]
    out[1][i], out[1][j] = out[1][j], out[1][i]
    return out


@pytest.mark.parametrize("other", ["Email Address", "IP Address"])
def test_swapped_headers_do_not_leak_e_mails_or_ip_addresses(tmp_path, rows, book, other):
    path = write_rows(tmp_path / "wave.csv", swapped(rows, other, SENIORITY))
    with pytest.raises(InputError) as error:
        ingest(path, book)
    text = one_line(error.value)
    assert f"column {SENIORITY!r}" in text and "are not labels of 'seniority'" in text
    assert not [v for v in personal(rows) if v in text]


def test_a_last_name_header_swapped_with_the_comments_keeps_both_out(tmp_path, rows, book):
    """The comments land in last_name, which is dropped; the names in the comments, which
    never leave the ingest job either."""
    path = write_rows(tmp_path / "wave.csv", swapped(rows, "Last Name", COMMENTS))
    cleaned = ingest(path, book)
    names = {r[rows[0].index("Last Name")] for r in rows[2:]}
    assert "last_name" not in cleaned.data and "comments" not in cleaned.data
    assert not names & set(cleaned.data.astype("string").stack().dropna())


def test_a_first_name_header_swapped_with_a_question_does_not_show_names(tmp_path, rows, book):
    path = write_rows(tmp_path / "wave.csv", swapped(rows, "First Name", SENIORITY))
    with pytest.raises(InputError) as error:
        ingest(path, book)
    assert not [v for v in personal(rows) if v in one_line(error.value)]


# ------------------------------------------------------------------ 2. bounded resources


def test_a_field_of_17_mb_is_read(tmp_path):
    answer = ("Ask me again next year. " * 800_000)[: 17 << 20]
    path = tmp_path / "big.csv"
    path.write_text(f'respondent_id,comments\n1,"{answer}"\n2,short\n', encoding="utf-8")
    frame = read_export(path, "csv").frame
    assert len(frame) == 2 and frame["comments"].iloc[0] == answer
    assert frame["source_row"].tolist() == [2, 3]


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, rows, monkeypatch):
    path = write_rows(tmp_path / "wave.csv", rows)
    monkeypatch.setattr(_common, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputError, match="over the limit of") as error:
        read_export(path, "surveymonkey")
    assert error.value.file == str(path) and "\n" not in one_line(error.value)


def small_workbook(path: Path) -> Path:
    workbook = Workbook()
    workbook.active.append(["respondent_id", "comments"])
    workbook.active.append(["1", "fine"])
    workbook.save(path)
    return path


def test_a_compressed_bomb_workbook_is_refused_in_seconds(tmp_path):
    path = small_workbook(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(64 << 20))
    begun = time.monotonic()
    with pytest.raises(InputError, match=r"unpacks to .* times its size") as error:
        read_export(path, "excel")
    assert time.monotonic() - begun < 5
    assert error.value.file == str(path) and "\n" not in one_line(error.value)


def test_a_workbook_unpacking_over_the_limit_is_refused(tmp_path, monkeypatch):
    path = small_workbook(tmp_path / "wide.xlsx")
    assert len(read_export(path, "excel").frame) == 1
    monkeypatch.setattr(_common, "MAX_XLSX_UNCOMPRESSED", 1000)
    with pytest.raises(InputError, match=r"the workbook unpacks to .* over the limit") as error:
        read_export(path, "excel")
    assert error.value.file == str(path)


def test_a_sav_file_over_the_cell_limit_is_refused(monkeypatch):
    path = ROOT / "tests" / "data" / "qualtrics_multi_column.sav"
    monkeypatch.setattr(spss, "MAX_SAV_CELLS", 10)
    with pytest.raises(InputError, match="over the limit of 10 values") as error:
        read_export(path, "spss")
    assert error.value.file == str(path) and "\n" not in one_line(error.value)


# ---------------------------------------------------------- 3. messages, not tracebacks


def test_header_rows_only_is_refused_as_no_responses(tmp_path, rows, book):
    path = write_rows(tmp_path / "wave.csv", rows[:2])
    with pytest.raises(InputError, match="no responses: the file holds header rows only") as e:
        ingest(path, book)
    assert e.value.file == str(path) and "\n" not in one_line(e.value)


def test_header_rows_only_workbook_is_refused_as_no_responses(tmp_path):
    workbook = Workbook()
    workbook.active.append(["respondent_id", "comments"])
    workbook.save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError, match="no responses"):
        read_export(tmp_path / "empty.xlsx", "excel")


def test_an_unknown_encoding_is_a_message(tmp_path, rows, book):
    path = write_rows(tmp_path / "wave.csv", rows)
    with pytest.raises(InputError, match="unknown encoding 'klingon'") as error:
        ingest(path, book, encoding="klingon")
    assert error.value.file == str(path)


def test_a_full_disk_is_a_message_and_the_earlier_file_stays(tmp_path, monkeypatch):
    target = tmp_path / "flow.csv"
    io.write_table(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    def full(self, path, *args, **kwargs):
        Path(path).write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(InputError, match="cannot write the file: No space left on device") as e:
        io.write_table(pd.DataFrame({"a": [2]}), target)
    assert e.value.file == str(target) and "\n" not in one_line(e.value)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.csv"]


def test_other_write_errors_keep_their_type(tmp_path, monkeypatch):
    def denied(self, path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(pd.DataFrame, "to_csv", denied)
    with pytest.raises(PermissionError):
        io.write_table(pd.DataFrame({"a": [2]}), tmp_path / "x.csv")


def durations_frame(seconds: list[float]) -> pd.DataFrame:
    start = pd.Timestamp("2014-03-10 09:00")
    frame = pd.DataFrame(
        [
            {
                "source_row": i + 3,
                "respondent_id": f"r{i}",
                "start_time": start + pd.Timedelta(hours=i),
                "email": f"p{i}@example.com",
                **ITEMS,
            }
            for i in range(len(seconds))
        ]
    )
    frame["duration_s"] = pd.array(seconds, dtype="Float64")
    for name in ("recruiter", "invites_strangers"):
        frame[name] = frame[name].astype("boolean")
    return frame.astype({c: "string" for c in ("respondent_id", "email", "purpose")})


def test_infinite_and_absurd_durations_are_unknown_and_counted(book):
    seconds = [300.0, 320.0, math.inf, 1e12, 280.0, 60.0]
    cleaned = clean(durations_frame(seconds), book, QC(), wave="2014", fieldwork_start="2014-03-01")
    # The median is of the four real durations (290 s): 60 s is the one speeder.
    flow = cleaned.flow.set_index("rule")
    assert flow.loc["speeder", "excluded"] == 1 and flow.loc["analysed", "rows_out"] == 5
    assert "median 290 s" in cleaned.exclusions["detail"].iloc[0]
    kept = cleaned.data.set_index("respondent_id")["duration_s"]
    assert kept[["r2", "r3"]].isna().all() and kept["r0"] == 300
    unknown = cleaned.recodes[cleaned.recodes["rule"] == "duration_unknown"]
    assert unknown["respondent_id"].tolist() == ["r2", "r3"]
    assert (unknown["variable"] == "duration_s").all()
    assert np.isfinite(kept.dropna().to_numpy(dtype=float)).all()
    assert kept.dropna().max() <= MAX_DURATION_S


def test_a_file_of_infinite_durations_is_read_and_cleaned(tmp_path, book):
    path = tmp_path / "plain.csv"
    path.write_text("respondent_id,duration_s,recruiter\n1,inf,true\n2,1e12,false\n3,200,true\n")
    frame = read_export(path, "csv").frame
    assert frame["duration_s"].iloc[0] == math.inf


# --------------------------------------------------- through the workflow: DAG and ingest


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "snakemake"), *args], cwd=workdir, capture_output=True, text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
             "PYTHONPATH": str(workdir / "src")},
    )  # fmt: skip


def edit_waves(workdir: Path, **changes: str) -> None:
    sheet = workdir / "config" / "waves.tsv"
    with open(sheet, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    for row in table:
        row.update(changes)
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(table)


@pytest.mark.slow
def test_an_impossible_fieldwork_start_is_refused_at_dag_build(tmp_path):
    workdir = copy_project(tmp_path / "project")
    edit_waves(workdir, fieldwork_start="2014-02-30")
    done = snakemake(workdir, "--dry-run")
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert (
        "config/waves.tsv, row 2, column 'fieldwork_start': '2014-02-30' is not a day of the "
        "calendar (YYYY-MM-DD)" in said
    )
    assert "Traceback" not in said


@pytest.mark.slow
def test_an_unknown_encoding_stops_the_ingest_job_with_one_line(tmp_path):
    workdir = copy_project(tmp_path / "project")
    edit_waves(workdir, encoding="klingon")
    target = "results/waves/2014/clean.parquet"
    done = snakemake(workdir, "-c1", target)
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "ERROR: data/raw/wave-2014.csv: unknown encoding 'klingon'" in said
    assert "Traceback" not in said
    assert not (workdir / target).exists()
    assert not list((workdir / "results").rglob("*.tmp"))


# ------------------------------------------------------------ 4. tiny and lopsided waves


@pytest.fixture(scope="module")
def wave_data(book) -> pd.DataFrame:
    return ingest(WAVE, book).data


TINY = {
    "one respondent": lambda d: d.head(1),
    "only recruiters": lambda d: d[d["recruiter"].fillna(False).astype(bool)],
    "nobody left after QC": lambda d: d.head(0),
}


@pytest.mark.parametrize("case", list(TINY))
def test_the_tables_of_a_tiny_or_lopsided_wave_are_computed(wave_data, book, config, case):
    from invitesurvey import crosstab, itemtables

    data = TINY[case](wave_data).reset_index(drop=True)
    shares = {"level": 0.95, "min_base": 30}
    table = crosstab.by_group(data, book, **shares, pooled=False)
    diffs = crosstab.differences(crosstab.by_group(data, book, **shares), level=0.95, book=book)
    tests = crosstab.association_tests(data, book, pooled=False, resamples=200)
    items = itemtables.item_tables(data, book, **shares, pooled=False)
    if data.empty:  # no wave id left to tabulate: empty tables with their columns
        assert table.empty and {"wave", "group", "prop"} <= set(table)
        assert tests.empty and diffs["diff"].isna().all()
        return
    # Every code keeps its row; a group with nobody in it has base 0 and no share (not 0 %).
    assert table.loc[table["base"] < 30, "low_base"].all()
    assert table.loc[table["base"] == 0, "prop"].isna().all()
    if case != "one respondent":
        assert (table.loc[table["group"] == "non_recruiters", "base"] == 0).all()
    if case != "one respondent" or not data["recruiter"].any():
        # No one on one side: the differences and tests exist, and are empty (NaN), not 0.
        assert diffs["diff"].isna().all()
        assert tests["p_value"].isna().all()
    assert set(items) >= {"multiple", "grid", "numeric"}


@pytest.mark.parametrize("case", list(TINY))
def test_a_model_on_a_tiny_or_lopsided_wave_is_refused_with_one_line(wave_data, config, case):
    from invitesurvey import model

    data = TINY[case](wave_data).reset_index(drop=True)
    with pytest.raises(InputError) as error:
        model.fit(data, config["models"][0], waves=["2014"], level=0.95)
    text = one_line(error.value)
    assert "model 'accepts_strangers'" in text and "\n" not in text


def test_the_composition_figure_of_a_one_group_wave_is_drawn(wave_data, book):
    from invitesurvey import crosstab, figures

    data = TINY["only recruiters"](wave_data).reset_index(drop=True)
    table = crosstab.by_group(data, book, level=0.95, min_base=30)
    ax = figures.composition(table, book, "2014").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Recruiters", "All"]


@pytest.fixture(scope="module")
def follow_up_wave(book) -> pd.DataFrame:
    """A simulated follow-up wave as clean data (every question type present)."""
    import datetime as dt

    from project import follow_up_assumptions

    from invitesurvey import codebook, simulate

    counts = simulate.read_counts(ROOT / "data" / "raw" / "wave-2014.counts.csv")
    frame = simulate.simulate(
        book,
        simulate.shares_from_counts(counts),
        60,
        3,
        wave="2016",
        fieldwork=(dt.date(2016, 3, 1), dt.date(2016, 3, 31)),
        assumptions=follow_up_assumptions(book),
    )
    data = frame[["respondent_id", "start_time", "duration_s"]].assign(wave="2016")
    for column in [c for v in book.questions for c in v.columns]:
        data[column] = frame[column]
    return codebook.typed(codebook.derive(data, book), book)


@pytest.mark.parametrize("case", list(TINY))
def test_every_figure_of_a_tiny_or_lopsided_wave_is_drawn(follow_up_wave, book, case):
    from invitesurvey import crosstab, figures, itemtables

    data = TINY[case](follow_up_wave).reset_index(drop=True)
    table = crosstab.by_group(data, book, level=0.95, min_base=30)
    items = itemtables.item_tables(data, book, level=0.95, min_base=30)
    drawn = [figures.composition(table, book, "2016")]
    for name in figures.item_names(book):
        drawn.append(figures.item(items, book, name.removeprefix(figures.ITEM_PREFIX)))
    assert all(fig.axes for fig in drawn)


def test_a_tiny_or_one_sided_wave_is_said_to_be_so_on_its_page(follow_up_wave, book):
    from invitesurvey import crosstab, present

    flows = {}
    tables = []
    for wave, data in (("2016", follow_up_wave.head(1)), ("2017", follow_up_wave.head(0))):
        flows[wave] = pd.DataFrame({"rows_out": [len(data)]})
        tables.append(crosstab.by_group(data.assign(wave=wave), book, level=0.95, min_base=30))
    said = present.small_wave_sentences(flows, pd.concat(tables).astype({"wave": str}), 30)
    assert "Wave 2017 has no respondent left after the checks" in said
    assert "Wave 2016 has only 1 respondent analysed, too few for the minimum base of 30" in said
    assert "Wave 2016 has no " in said and "there is no one to compare" in said
    assert present.small_wave_sentences({}, pd.DataFrame({"wave": []}), 30) == ""
