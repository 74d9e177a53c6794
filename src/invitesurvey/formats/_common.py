"""What every format shares: the cell grid of a file, located errors, paradata, writing.

A reader turns its file into a :class:`Grid` (every record as text, with the line it starts
on), takes its header rows off, describes each column as a :class:`Column` (header text, tag,
ImportId, the part of a question it is) and hands them to :func:`assemble`, which names the
unheaded and repeated ones, standardises paradata names and types (times by
:func:`parse_times`, one layout per column) and returns the :class:`Export`. Writers turn
codes into answer text with :func:`answer_text` and lay out header rows and body with
:func:`write_csv` or :func:`write_xlsx`.

CSV files are written as UTF-8 without a byte-order mark, ``\\n`` line ends and every non-blank
field quoted, so a rerun gives the same bytes; readers accept a BOM, CRLF line ends and any
declared encoding, as the tools' own exports vary in all three.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn
from zipfile import ZIP_DEFLATED, BadZipFile, ZipFile, ZipInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from invitesurvey.codebook import Code, Codebook, Variable, code_text, normalise
from invitesurvey.errors import InputError
from invitesurvey.io import atomic_path

PARADATA = (
    "respondent_id",
    "collector_id",
    "start_time",
    "end_time",
    "duration_s",
    "finished",
    "progress",
    "status",
    "email",
    "first_name",
    "last_name",
    "ip_address",
)

# Header spellings of the standard paradata across tools, matched after codebook.normalise.
_VARIANTS = {
    "respondent_id": (
        "Respondent ID",
        "RespondentID",
        "ResponseId",
        "ResponseID",
        "Response ID",
        "response_id",
    ),
    "collector_id": ("Collector ID", "CollectorID"),
    "start_time": ("Start Date", "StartDate", "start_date", "Start Time", "StartTime"),
    "end_time": ("End Date", "EndDate", "end_date", "End Time", "EndTime", "Timestamp"),
    "duration_s": (
        "Duration (in seconds)",
        "Duration__in_seconds_",
        "Duration in seconds",
        "duration_in_seconds",
        "Duration",
    ),
    "finished": ("Finished",),
    "progress": ("Progress",),
    "status": ("Status", "Response Type"),
    "email": (
        "Email Address",
        "EmailAddress",
        "email_address",
        "E-mail",
        "E-mail Address",
        "RecipientEmail",
        "Recipient Email",
    ),
    "first_name": ("First Name", "FirstName", "RecipientFirstName", "Recipient First Name"),
    "last_name": ("Last Name", "LastName", "RecipientLastName", "Recipient Last Name"),
    "ip_address": ("IP Address", "IPAddress", "ip"),
}
PARADATA_NAMES: dict[str, str] = {
    normalise(variant): name
    for name, variants in _VARIANTS.items()
    for variant in (name, *variants)
}

# Response status as the tools write it (Qualtrics text and numeric codes) -> standard status.
STATUS: dict[str, str] = {
    normalise(text): status
    for status, texts in {
        "response": ("response", "IP Address", "0"),
        "preview": ("preview", "Survey Preview", "1"),
        "test": ("test", "Survey Test", "2"),
        "imported": ("imported", "Imported", "4"),
        "spam": ("spam", "Spam", "8"),
    }.items()
    for text in texts
}
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

# Date-time layouts the tools write (the writers' choices; tests write every one). Readers take
# any layout: see ``parse_times``.
ISO_LAYOUT = "%Y-%m-%d %H:%M:%S"
TIME_FORMATS = (
    ISO_LAYOUT,
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d",
)
# How a date with the year last is read when month and day could be either (waves sheet).
MONTH_FIRST, DAY_FIRST = "month_first", "day_first"
DATE_ORDERS = (MONTH_FIRST, DAY_FIRST)

# Columns a tool adds that are neither paradata nor answers, under the name every reader gives
# them whatever the file type: Qualtrics' export tag, which is also its .sav variable name
# (legacy CSVs' ``ExternalDataReference`` is read as ``ExternalReference``), SurveyMonkey's
# custom data and Qualtrics' own ``Q_...`` fraud and quality scores (``Q_RecaptchaScore``,
# ``Q_RelevantIDDuplicate`` ...). They never get position alternates; harmonise drops them.
TOOL_METADATA = (
    "RecordedDate",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "LocationAccuracy",
    "DistributionChannel",
    "UserLanguage",
    "ResponseSet",
    "CustomData",
)
_TOOL_PATTERNS = (re.compile(r"Q_[A-Z][A-Za-z]*"), re.compile(r"custom ?data ?\d*", re.I))
_TOOL_NAMES = {normalise(name) for name in TOOL_METADATA}

_FIXED_TIME = dt.datetime(2000, 1, 1)


def is_tool_column(name: str) -> bool:
    """Whether ``name`` (an export tag or variable name) is a tool's metadata column."""
    name = name.strip()
    return normalise(name) in _TOOL_NAMES or any(p.fullmatch(name) for p in _TOOL_PATTERNS)


@dataclass(frozen=True)
class Export:
    """A file as read: rows located, paradata standardised, questions under their header text.

    ``frame`` holds ``source_row``, the typed paradata and each other column as a categorical
    of the file's text (``<NA>`` where blank).

    ``alternates``: other identifiers of a column (export tag, ImportId, variable name,
    ``column 7`` and ``column G``); ``parts``: ``(stem, sub)`` of a column the layout marks as
    one part of a question; ``told_apart``: how a column whose header repeats was named (see
    docs/architecture.md).
    """

    path: Path
    frame: pd.DataFrame
    alternates: dict[str, list[str]] = field(default_factory=dict)
    parts: dict[str, tuple[str, str]] = field(default_factory=dict)
    told_apart: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """One column of a file as a reader names it, before :func:`assemble` finishes the naming.

    ``index`` is its 0-based position; ``name`` its header text (blank when the file has none);
    ``tag`` and ``import_id`` the identifiers that tell it apart when ``name`` repeats (a
    Qualtrics export tag, an SPSS variable name: ``tag_kind`` says which). ``key`` is the text
    that may name a paradata column (``None``: the name; ``""``: never paradata). ``tool``
    marks a tool metadata column (:data:`TOOL_METADATA`).
    """

    index: int
    name: str
    tag: str = ""
    import_id: str = ""
    key: str | None = None
    part: tuple[str, str] | None = None
    tool: bool = False
    tag_kind: str = "export tag"


@dataclass(frozen=True)
class Grid:
    """Every non-empty record of a file as text (``<NA>`` when blank), header rows included."""

    path: Path
    cells: pd.DataFrame
    lines: np.ndarray


def position(index: int) -> str:
    """A 0-based column index as a person finds it: ``3 (C)``."""
    letters, rest = "", index + 1
    while rest:
        rest, digit = divmod(rest - 1, 26)
        letters = chr(ord("A") + digit) + letters
    return f"{index + 1} ({letters})"


def _blank(data: bytes) -> bool:
    """Nothing but white space (a cheap look at the start first: files can be large)."""
    return not data[:4096].strip() and not data.strip()


# Limits on what a reader takes in (README, "When input is wrong"): checked before parsing, so
# an oversized or compressed-bomb file is refused in seconds with one message naming it. A CSV
# is parsed from disk, dictionary-encoded, into a frame of about half its size (a 3.4 GB export
# of ten million respondents: 1.4 GiB; its ingest job peaks at 5.1 GiB); workbooks and .sav
# files have their own limits.
MAX_FILE_BYTES = 8 << 30  # any export on disk: 8 GiB
MAX_XLSX_UNCOMPRESSED = 4 << 30  # an .xlsx workbook's members unpacked, together: 4 GiB
MAX_XLSX_RATIO = 200  # a member over 1 MiB may unpack to at most 200 times its packed size
MAX_SAV_CELLS = 500_000_000  # a .sav file's rows x variables
# pyarrow's first block size for a CSV; a field longer than a block is read with one block
# as large as the file (a 16 MB answer is read; the file limit bounds the block).
CSV_BLOCK = 1 << 22
# A CSV column with more distinct values than half its cells (ids, e-mail addresses, times)
# is kept as text; any other as a categorical, which stores each distinct text once.
_MOSTLY_DISTINCT = 0.5
_CHUNK = 1 << 24  # bytes read at a time where a CSV is scanned from disk


def _size_mib(size: float) -> str:
    return f"{size / (1 << 20):,.0f} MiB"


def _unreadable(path: Path, error: OSError) -> InputError:
    return InputError(
        f"cannot read the file: {error.strerror or error}",
        file=path,
        hint="Check the path in config/waves.tsv and the file's permissions.",
    )


def check_size(path: Path) -> int:
    """The file's size, or an InputError if it cannot be read, is over the limit or empty."""
    try:
        size = path.stat().st_size
        start = _head(path, 4096)
    except OSError as error:
        raise _unreadable(path, error) from error
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"the file is {_size_mib(size)}, over the limit of {_size_mib(MAX_FILE_BYTES)}",
            file=path,
            hint="Export only the survey's responses, or split the file by date.",
        )
    blank = not start.removeprefix(codecs.BOM_UTF8).strip()
    if blank and not any(chunk.removeprefix(codecs.BOM_UTF8).strip() for chunk in _chunks(path)):
        raise InputError("the file is empty", file=path, hint="Export the survey again.")
    return size


def _chunks(path: Path):
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or an InputError saying why it cannot be read (or is too large)."""
    check_size(path)
    try:
        return path.read_bytes()
    except OSError as error:
        raise _unreadable(path, error) from error


def _codec(path: Path, encoding: str | None) -> str:
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError as error:
        raise InputError(
            f"unknown encoding {encoding!r}",
            file=path,
            hint="Name a Python codec such as utf-8, latin-1 or cp1252.",
        ) from error


def to_utf8(raw: bytes, path: Path, encoding: str | None) -> bytes:
    """UTF-8 without a byte-order mark, decoding from ``encoding`` when one is declared."""
    codec = _codec(path, encoding)
    if codec == "utf-8":
        return raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode(codec).removeprefix("\ufeff").encode("utf-8")
    except UnicodeDecodeError as error:
        raise _undecodable(raw, error, path, codec) from error


def _undecodable(raw: bytes, error: UnicodeDecodeError, path: Path, codec: str) -> InputError:
    line = raw[: error.start].count(b"\n") + 1
    before = raw[raw.rfind(b"\n", 0, error.start) + 1 : error.start].decode(codec, "replace")
    fields = next(csv.reader([before]), [""])
    return InputError(
        f"byte {raw[error.start : error.start + 1]!r} is not valid {codec}",
        file=path,
        row=line,
        column=position(len(fields) - 1),
        hint="Pass the file's encoding (e.g. --encoding cp1252 for Excel on Windows, latin-1).",
    )


def read_csv_grid(path: Path, encoding: str | None) -> Grid:
    """Parse a CSV file into a grid of text with pyarrow (multi-threaded, no type guessing).

    A UTF-8 file is parsed from disk, never held whole; a file in another declared encoding is
    decoded in memory first. Every column is dictionary-encoded as it is parsed (see
    :func:`_cells`). Only a file that fails to parse is read whole, to say where it fails.
    """
    size = check_size(path)
    if _codec(path, encoding) == "utf-8":
        source: Path | bytes = path
        head = _head(path)
    else:
        source = to_utf8(read_bytes(path), path, encoding)
        if _blank(source):
            raise InputError("the file is empty", file=path, hint="Export the survey again.")
        head = source[: 1 << 20]
    text = head.decode("utf-8", errors="ignore").removeprefix("\ufeff")
    names = [str(i) for i in range(len(next(csv.reader(io.StringIO(text)))))]
    ragged: list[pcsv.InvalidRow] = []

    def skip(row: pcsv.InvalidRow) -> str:
        ragged.append(row)
        return "skip"

    def parse(block: int) -> pa.Table:
        ragged.clear()
        return pcsv.read_csv(
            str(source) if isinstance(source, Path) else pa.py_buffer(source),
            read_options=pcsv.ReadOptions(column_names=names, block_size=block),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string())),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )

    try:
        try:
            table = parse(CSV_BLOCK)
        except pa.ArrowInvalid as error:
            # A field longer than a block ("straddling object"): one block for the file.
            if "straddling" not in str(error) or size < CSV_BLOCK:
                raise
            table = parse(min(size + 1, (1 << 31) - 1))
    except pa.ArrowInvalid as error:
        data = source if isinstance(source, bytes) else read_bytes(path)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as undecodable:
            raise _undecodable(data, undecodable, path, "utf-8") from error
        raise InputError(f"cannot parse the CSV: {error}", file=path) from error
    if ragged:
        first = ragged[0]
        if not first.number:
            data = source if isinstance(source, bytes) else read_bytes(path)
            first_line = data[: data.find(first.text.encode("utf-8"))].count(b"\n") + 1
        raise InputError(
            f"the row has {first.actual_columns} fields where the header has "
            f"{first.expected_columns}",
            file=path,
            row=first.number or first_line,
            hint="Look for an unquoted comma or a line cut short, or export the file again.",
        )
    lines = _record_lines(source, table)
    columns = table.columns
    del table  # each column's memory goes as soon as _cells has converted it
    return Grid(path, _cells(columns), lines)


def _head(path: Path, size: int = 1 << 20) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _cells(columns: list[pa.ChunkedArray]) -> pd.DataFrame:
    """Parsed columns as pandas, taken off ``columns`` one at a time so that the arrow table
    shrinks as the frame grows: mostly distinct columns as text, the others (answers: a few
    codes each) as categoricals."""
    converted = {}
    for index in range(len(columns)):
        column = columns.pop(0)
        encoded = pa.types.is_dictionary(column.type)  # not so when the file has no rows
        distinct = sum(len(chunk.dictionary) for chunk in column.chunks) if encoded else 0
        if not encoded or distinct > _MOSTLY_DISTINCT * len(column):
            converted[index] = pd.Series(pd.arrays.ArrowStringArray(column.cast(pa.string())))
        else:
            converted[index] = column.unify_dictionaries().to_pandas()
    return pd.DataFrame(converted)


def _line_breaks(source: Path | bytes) -> tuple[int, bool]:
    """How many ``\\n`` the file holds, and whether it ends with one."""
    if isinstance(source, bytes):
        return source.count(b"\n"), source.endswith(b"\n")
    count, last = 0, b""
    for chunk in _chunks(source):
        count, last = count + chunk.count(b"\n"), chunk
    return count, last.endswith(b"\n")


def _record_lines(source: Path | bytes, table: pa.Table) -> np.ndarray:
    """The line each record starts on, counting line breaks inside quoted values.

    Only a file with blank lines (which the parser skips) needs the slow, exact count.
    """
    count, ends = _line_breaks(source)
    breaks = count + (not ends)
    if breaks == table.num_rows:
        return np.arange(1, table.num_rows + 1)
    inside = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        counts = pc.count_substring(column.cast(pa.string()), "\n")
        inside += np.nan_to_num(counts.to_numpy().astype(float)).astype(np.int64)
    starts = 1 + np.arange(table.num_rows) + np.cumsum(inside) - inside
    if breaks == table.num_rows + inside.sum():
        return starts
    if isinstance(source, bytes):
        text = io.StringIO(source.decode("utf-8"), newline="")
    else:
        text = source.open(encoding="utf-8-sig", newline="")
    with text:
        reader = csv.reader(text)
        found, previous = [], 0
        for record in reader:
            if record:
                found.append(previous + 1)
            previous = reader.line_num
    return np.asarray(found[: table.num_rows])


def _cell_text(value: object) -> str | None:
    """A workbook cell as the text a CSV export would hold."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _check_unpacked(path: Path) -> None:
    """Refuse a workbook that would unpack to more than the limits, before openpyxl opens it."""
    try:
        with ZipFile(path) as archive:
            members = archive.infolist()
    except (BadZipFile, OSError):
        return  # not a zip archive at all: load_workbook says so
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(
            f"the workbook unpacks to {_size_mib(total)}, over the limit of "
            f"{_size_mib(MAX_XLSX_UNCOMPRESSED)}",
            file=path,
            hint="Export the survey as CSV instead.",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1 << 20 and ratio > MAX_XLSX_RATIO:
            raise InputError(
                f"the workbook's part {_shortened(member.filename)!r} unpacks to "
                f"{ratio:,.0f} times its size (limit {MAX_XLSX_RATIO}): not a survey export",
                file=path,
                hint="Export the survey again, or as CSV.",
            )


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_sheet_grid(path: Path, sheet: str | None) -> Grid:
    """Read one worksheet of an .xlsx workbook (the first unless ``sheet`` names one)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    read_bytes(path)
    _check_unpacked(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise InputError(
            f"not an .xlsx workbook ({error})",
            file=path,
            hint="Save the file as Excel Workbook (.xlsx), or read it with its CSV format.",
        ) from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputError(
                f"there is no sheet {sheet!r}",
                file=path,
                hint=f"Sheets in this workbook: {', '.join(map(repr, workbook.sheetnames))}.",
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    lines = np.asarray([i + 1 for i, row in enumerate(rows) if any(v is not None for v in row)])
    if not len(lines):
        raise InputError("the sheet is empty", file=path, hint="Export the survey again.")
    cells = pd.DataFrame([rows[i - 1] for i in lines], dtype="string")
    return Grid(path, cells.set_axis(range(cells.shape[1]), axis=1), lines)


def read_grid(path: Path, encoding: str | None, sheet: str | None) -> Grid:
    """A workbook grid for ``.xlsx`` files, a CSV grid for anything else."""
    if path.suffix.lower() == ".xlsx":
        return read_sheet_grid(path, sheet)
    return read_csv_grid(path, encoding)


def header_rows(grid: Grid, count: int) -> list[list[str]]:
    """The first ``count`` records as header text (blank cells as ``""``)."""
    if len(grid.cells) < count:
        raise InputError(
            f"expected {count} header row(s), found {len(grid.cells)} row(s)",
            file=grid.path,
            hint="Export the survey again with its header rows.",
        )
    return [
        [("" if pd.isna(v) else str(v).strip()) for v in row]
        for row in grid.cells.iloc[:count].itertuples(index=False, name=None)
    ]


SURVEYMONKEY_IDS = frozenset({normalise("Respondent ID"), normalise("RespondentID")})
# SurveyMonkey's second header row under a question answered in one column, and under the
# "other" text box of a choice question.
SURVEYMONKEY_SUBS = frozenset(
    normalise(s) for s in ("Response", "Open-Ended Response", "Other (please specify)")
)


def guess(grid: Grid) -> str | None:
    """The survey tool whose header layout the file's first rows show, if any.

    Qualtrics: ImportIds in row 3 (JSON or Python-dict quotes), or legacy ``V1`` /
    ``ResponseID`` headers; SurveyMonkey: ``Respondent ID`` (or ``RespondentID``) in row 1 over
    ``Response`` sub-headers; Google Forms: ``Timestamp`` first.
    """
    top = [
        [normalise(v) for v in row if not pd.isna(v)]
        for row in grid.cells.iloc[:3].itertuples(index=False, name=None)
    ]
    first, second, third = [*top, [], [], []][:3]
    if (
        any(c.startswith(('{"importid"', "{'importid'")) for c in third)
        or "v1" in first
        or "responseid" in second
    ):
        return "qualtrics"
    if SURVEYMONKEY_IDS & set(first) and SURVEYMONKEY_SUBS & set(second):
        return "surveymonkey"
    if first[:1] == ["timestamp"]:
        return "googleforms"
    return None


def mismatch(grid: Grid, fmt: str, expected: str, row: int = 0) -> InputError:
    """A layout that is not format ``fmt``: say what was expected and what was found."""
    found = [str(v) for v in grid.cells.iloc[row].dropna().head(4)]
    likely = guess(grid)
    return InputError(
        f"expected {expected}, found a row {int(grid.lines[row])} starting "
        f"{', '.join(map(repr, found)) or 'blank'}",
        file=grid.path,
        row=int(grid.lines[row]),
        hint=(
            f"It looks like a {likely} export: read it with --format {likely}."
            if likely not in (None, fmt)
            else "Check the format declared for this wave in config/waves.tsv."
        ),
    )


def one_header_row(
    path: Path, grid: Grid, fmt: str, expected: str, date_order: str | None = None
) -> Export:
    """A file with one header row (excel, csv); a survey tool's layout is refused by name."""
    (header,) = header_rows(grid, 1)
    if guess(grid) is not None:
        raise mismatch(grid, fmt, expected)
    return assemble(grid, [Column(i, h) for i, h in enumerate(header)], 1, date_order=date_order)


def letters(index: int) -> str:
    """A 0-based column index as spreadsheet letters: ``G``."""
    return position(index).split("(")[1].rstrip(")")


def assemble(
    grid: Grid,
    columns: Sequence[Column],
    count: int,
    *,
    names_row: int | None = None,
    date_order: str | None = None,
    positions: bool = True,
) -> Export:
    """The rows after ``count`` header rows as an :class:`Export`, paradata standardised and
    typed, every other column under its (reader-given) name.

    ``names_row`` is the header row (1-based) the names come from, the last one by default.
    Columns with no name and no data (the trailing commas of some exports) are dropped; a column
    of answers without a header is named ``(no header) column 7 (G)``. Headers that repeat are
    told apart (tag, else ImportId, else position); ``positions`` adds ``column 7`` and
    ``column G`` to the alternates of every column that is neither paradata nor a tool's.
    """
    names_row = names_row or count
    body = grid.cells.iloc[count:]
    lines = grid.lines[count:]
    filled = body.notna().any().to_numpy()
    kept = []
    for column in columns:
        if column.name:
            kept.append(column)
        elif filled[column.index]:
            unnamed = f"(no header) column {position(column.index)}"
            kept.append(replace(column, name=unnamed, key="", part=None))
    standard = [_paradata_name(c) for c in kept]
    _check_unique(kept, standard, grid, int(grid.lines[names_row - 1]) if names_row else None)
    names, told_apart = _tell_apart(kept, standard)
    alternates: dict[str, list[str]] = {}
    parts: dict[str, tuple[str, str]] = {}
    for name, paradata, column in zip(names, standard, kept, strict=True):
        if paradata or column.tool:
            continue
        ids = [column.tag, column.import_id]
        if positions:
            ids += [f"column {column.index + 1}", f"column {letters(column.index)}"]
        ids = list(dict.fromkeys(i for i in ids if i and i != name))
        if ids:
            alternates[name] = ids
        if column.part:
            parts[name] = column.part
    frame = body[[c.index for c in kept]].set_axis(names, axis=1).reset_index(drop=True)
    frame = _answers_as_categoricals(frame, {n for n, p in zip(names, standard, strict=True) if p})
    frame.insert(0, "source_row", lines.astype("int64"))
    headers = {p: c.name for p, c in zip(standard, kept, strict=True) if p}
    frame = typed_paradata(frame, grid.path, headers, date_order)
    return Export(grid.path, frame, alternates, parts, told_apart)


def _answers_as_categoricals(frame: pd.DataFrame, paradata: set[str]) -> pd.DataFrame:
    """Every column but the paradata as a categorical of its text, whatever the file type, so
    that harmonise reads each distinct text once. Paradata stay as read (text, or categorical
    where few values repeat often) for :func:`typed_paradata`, which reads each distinct value
    once too."""
    return pd.DataFrame(
        {
            name: values if name in paradata else _categorical(values)
            for name, values in frame.items()
        }
    )


def _categorical(values: pd.Series) -> pd.Series:
    """A categorical of only the texts it holds (a CSV's header rows were parsed with its
    body, so their texts are categories of every column)."""
    values = values.astype("category")
    codes = values.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)) > 0
    if used.all():
        return values
    renumbered = np.where(codes >= 0, (np.cumsum(used) - 1)[codes], -1)
    categories = values.cat.categories[used]
    return pd.Series(pd.Categorical.from_codes(renumbered, categories), index=values.index)


def _paradata_name(column: Column) -> str | None:
    key = column.name if column.key is None else column.key
    return PARADATA_NAMES.get(normalise(key)) if key and not column.tool else None


def _check_unique(
    columns: list[Column], standard: list[str | None], grid: Grid, row: int | None
) -> None:
    """Two columns that both mean one standard paradata column are refused."""
    seen: dict[str, Column] = {}
    for column, name in zip(columns, standard, strict=True):
        if name is None:
            continue
        if name in seen:
            other = seen[name]
            what = (
                f"the header {column.name!r} appears twice"
                if column.name == other.name
                else f"the headers {other.name!r} and {column.name!r} both mean {name!r}"
            )
            raise InputError(
                f"{what}, in columns {position(other.index)} and {position(column.index)}",
                file=grid.path,
                row=row,
                column=column.name,
                hint="Remove or rename one of the two columns.",
            )
        seen[name] = column


def _tell_apart(
    columns: list[Column], standard: list[str | None]
) -> tuple[list[str], dict[str, str]]:
    """Final names: a header that repeats gets its tag, ImportId or position appended."""
    names = [p or c.name for p, c in zip(standard, columns, strict=True)]
    groups: dict[str, list[int]] = {}
    for i, (paradata, column) in enumerate(zip(standard, columns, strict=True)):
        if paradata is None:
            groups.setdefault(normalise(column.name), []).append(i)
    told: dict[str, str] = {}

    def by_position(i: int) -> None:
        where = position(columns[i].index)
        names[i] = f"{columns[i].name} (column {where})"
        told[names[i]] = f"position {where}"

    for members in groups.values():
        if len(members) < 2:
            continue
        for kind in ("tag", "import_id"):
            ids = [getattr(columns[i], kind) for i in members]
            if all(ids) and len({normalise(x) for x in ids}) == len(ids):
                for i, ident in zip(members, ids, strict=True):
                    names[i] = f"{columns[i].name} ({ident})"
                    how = columns[i].tag_kind if kind == "tag" else "ImportId"
                    told[names[i]] = f"{how} {ident}"
                break
        else:
            for i in members:
                by_position(i)
    # A name made from a tag may be another column's header (or the reader's own
    # ``source_row``): fall back to positions there.
    keys = [normalise(n) for n in names]
    for i, key in enumerate(keys):
        if standard[i] is None and (keys.count(key) > 1 or key == "source_row"):
            told.pop(names[i], None)
            by_position(i)
    return names, told


def _fail(
    frame: pd.DataFrame,
    bad: np.ndarray | pd.Series,
    name: str,
    header: str,
    path: Path,
    what: str,
    hint: str,
) -> NoReturn:
    """Raise an InputError at the first row flagged in ``bad``, naming the file's header.

    Every caller checks a paradata column (times, duration, progress, finished, status), which
    may identify a respondent: the value itself is never quoted, only described and counted.
    """
    flags = np.asarray(bad, dtype=bool)
    first = int(np.argmax(flags))
    others = int(flags.sum()) - 1
    more = f" ({others} more row{'s' if others != 1 else ''} like it)" if others else ""
    raise InputError(
        f"a value that is not {what}{more}",
        file=path,
        row=int(frame["source_row"].iloc[first]),
        column=header,
        hint=hint,
    )


# ------------------------------------------------------------------------------ date-times
#
# A value is cut at its first space (or the "T" of ISO 8601) and the first colon after it
# into date, hour, minute and the rest (seconds, am/pm, zone). Rows sharing those two
# positions are cut with one slice each, and the date and the rest are matched only once per
# distinct value (a fieldwork has few dates; seconds, am/pm and zones give few rests), so a
# column of a million values parses in a fraction of a second.

_DATE_PATTERN = r"^(?P<a>\d{1,4})(?P<s1>[/.-])(?P<b>\d{1,2})(?P<s2>[/.-])(?P<c>\d{1,4})$"
_REST_PATTERN = (
    r"^(?::(?P<s>\d\d)(?:[.,]\d+)?)?\s*(?P<p>[AaPp]\.?\s?[Mm]\.?)?"
    r"\s*(?P<z>Z|GMT|UTC)?\s*(?:(?P<sign>[+-])(?P<zh>\d{1,2})(?::?(?P<zm>\d\d))?)?\s*$"
)
_SEPARATORS = "/-."
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_BLANK, _NOT_A_TIME = -1, -2


def _distinct(array: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each value's index into the distinct values (one past the last for nulls), and those."""
    encoded = pc.dictionary_encode(array)
    uniques = encoded.dictionary
    codes = pc.fill_null(encoded.indices, len(uniques)).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), uniques


def _groups(
    uniques: pa.Array, pattern: str, names: Sequence[str]
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Whether each distinct value matches, and its named groups (``""`` after the last)."""
    found = pc.extract_regex(uniques, pattern)
    matched = np.append(pc.is_valid(found).to_numpy(zero_copy_only=False), False)
    groups = {
        name: pa.concat_arrays(
            [pc.fill_null(pc.struct_field(found, name), ""), pa.array([""], pa.string())]
        )
        for name in names
    }
    return matched, groups


def _ints(text: pa.Array) -> np.ndarray:
    """Digit strings, blank as 0, as int64."""
    digits = pc.if_else(pc.equal(text, ""), "0", text)
    return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)


def _np(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False)


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each (year, month, day) is a date, and its days since 1970-01-01."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    m = np.clip(month, 1, 12)
    longest = _DAYS_IN_MONTH[m - 1] + (leap & (m == 2))
    ok = (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= day <= longest
    # Days from the civil calendar (Howard Hinnant's algorithm).
    y = year - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + np.clip(day, 1, 31) - 1
    return ok, era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _decoded(uniques: pa.Array) -> pa.Array:
    """Distinct byte strings as text (a cut through a multi-byte character is replaced)."""
    try:
        return uniques.cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array([u.decode("utf-8", "replace") for u in uniques.to_pylist()], pa.string())


def _cut(text: pa.Array) -> tuple[list[np.ndarray], list[pa.Array], np.ndarray, np.ndarray]:
    """Cut every value into date, ``hour:minute`` and the rest; return, per piece, each row's
    index into the piece's distinct values (one past the last where the row has none) and
    those values; and per row whether the cut failed (a time without a date, or a date with
    something not a time after it) and whether the date ends in ISO's ``T``."""
    data = text.view(pa.binary()) if len(text) else pa.array([], pa.binary())
    space = _np(pc.fill_null(pc.find_substring(text, " "), -1)).astype(np.int64)
    tee = _np(pc.fill_null(pc.find_substring(text, "T"), -1)).astype(np.int64)
    iso = (tee == 10) & ((space < 0) | (space > 10))
    cut = np.where(iso, 10, space)
    colon = _np(pc.fill_null(pc.find_substring(text, ":"), -1)).astype(np.int64)
    base = int(colon.max(initial=0)) + 2
    group, keys = pd.factorize(cut * base + colon + 1)
    order = np.argsort(group, kind="stable") if len(keys) > 1 else np.arange(len(text))
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(keys)))])
    pieces: list[list[pa.Array]] = [[], [], []]
    broken = np.zeros(len(text), dtype=bool)
    for g, key in enumerate(keys):
        rows = order[bounds[g] : bounds[g + 1]]
        sub = data if len(keys) == 1 else data.take(pa.array(rows))
        s, q = divmod(int(key), base)
        q -= 1
        none = pa.nulls(len(sub), pa.binary())
        if s < 0:  # a date alone, or no date-time at all
            cut_up = [sub, none, none]
            broken[rows] = q >= 0
        elif q < s:  # something after the date that is not a time
            cut_up = [pc.binary_slice(sub, 0, s), none, none]
            broken[rows] = True
        else:
            cut_up = [
                pc.binary_slice(sub, 0, s),
                pc.binary_slice(sub, s + 1, q + 3),
                pc.binary_slice(sub, q + 3, 1 << 30),
            ]
        for piece, array in zip(pieces, cut_up, strict=True):
            piece.append(array)
    codes, uniques = [], []
    for piece in pieces:
        joined = pa.concat_arrays(piece) if piece else pa.array([], pa.binary())
        encoded = pc.dictionary_encode(joined)
        found = _decoded(encoded.dictionary)
        local = pc.fill_null(encoded.indices, len(found)).to_numpy(zero_copy_only=False)
        unsorted = np.empty(len(text), dtype=np.int64)
        unsorted[order] = local
        codes.append(unsorted)
        uniques.append(found)
    return codes, uniques, broken, iso


class _TimeText:
    """A text column of date-times taken apart into numbers, for every layout it may be in.

    A layout is the date's shape (year first, or year last with month or day first; its
    separator) and the clock (none, 24-hour, 12-hour with am/pm in any case); a space or ISO's
    ``T`` before the time, seconds, fractions (dropped) and zones (converted to UTC) may vary.
    The column's layout is the one most values fit (the first value's on a tie).

    Each distinct text is taken apart once (ten million start times over a month hold under
    three million): every array here is per distinct text, in order of first appearance, and
    ``rows`` gives each row's text (-1 where blank); the methods answer per row.
    """

    def __init__(self, values: pd.Series) -> None:
        rows, distinct = pd.factorize(values)
        self.rows = rows
        self.weight = np.bincount(rows[rows >= 0], minlength=len(distinct))
        text = pa.array(pd.Series(distinct, dtype=pd.StringDtype("pyarrow")))
        if isinstance(text, pa.ChunkedArray):  # a large column arrives in chunks
            text = text.combine_chunks()
        text = text.cast(pa.string())
        text = pc.utf8_trim_whitespace(text)
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        (date_codes, hm_codes, rest_codes), (dates, hms, rests), broken, iso = _cut(text)

        # Dates: year first (year, month, day), or year last (month or day first).
        matched, parts = _groups(dates, _DATE_PATTERN, ("a", "s1", "b", "s2", "c"))
        a, b, c = (_ints(parts[k]) for k in "abc")
        wide_a, wide_c = (_np(pc.utf8_length(parts[k])) for k in "ac")
        one_sep = _np(pc.equal(parts["s1"], parts["s2"]))
        first = matched & one_sep & (wide_a == 4) & (wide_c <= 2)
        last = matched & one_sep & (wide_a <= 2) & ((wide_c == 4) | (wide_c == 2))
        year = np.where(wide_c == 2, np.where(c < 69, 2000 + c, 1900 + c), c)
        sep = np.zeros(len(a), dtype=np.int64)
        for i, char in enumerate(_SEPARATORS):
            sep[_np(pc.equal(parts["s1"], char))] = i
        shape = np.where(first, sep, np.where(last, 3 + sep, _NOT_A_TIME))
        self.readings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for reading, (ok, days), mask in (
            ("ymd", _days(a, b, c), first),
            (MONTH_FIRST, _days(year, a, b), last),
            (DAY_FIRST, _days(year, b, a), last),
        ):
            self.readings[reading] = ((ok & mask)[date_codes], days[date_codes])
        self.same_both_ways = (a == b)[date_codes]
        self.two_digit_year = (wide_c == 2)[date_codes]

        # Times of day: hour and minute, then seconds, am/pm and a zone.
        hm_ok, parts = _groups(hms, r"^\s*(?P<h>\d{1,2}):(?P<m>\d\d)$", ("h", "m"))
        hours, minutes = _ints(parts["h"]), _ints(parts["m"])
        hm_ok &= minutes <= 59
        rest_ok, parts = _groups(rests, _REST_PATTERN, ("s", "p", "z", "sign", "zh", "zm"))
        s, zh, zm = (_ints(parts[k]) for k in ("s", "zh", "zm"))
        twelve = _np(pc.not_equal(parts["p"], ""))
        noon = _np(pc.starts_with(parts["p"], "p", ignore_case=True))
        zone = np.where(_np(pc.equal(parts["sign"], "-")), -1, 1) * (zh * 3600 + zm * 60)
        rest_ok &= (s <= 59) & (zh <= 14) & (zm <= 59)
        self.has_seconds = _np(pc.not_equal(parts["s"], ""))[rest_codes]
        twelve, noon = twelve[rest_codes], noon[rest_codes]
        hours, minutes = hours[hm_codes], minutes[hm_codes]
        fine = hm_ok[hm_codes] & rest_ok[rest_codes]
        fine &= np.where(twelve, hours <= 12, hours <= 23)
        has_clock = hm_codes < len(hms)
        clock = np.where(has_clock, np.where(fine, 1 + twelve, _NOT_A_TIME), 0)
        clock[broken] = _NOT_A_TIME
        hours = np.where(twelve, hours % 12 + 12 * noon, hours)
        self.seconds = hours * 3600 + minutes * 60 + s[rest_codes] - zone[rest_codes]

        self.blank = _np(pc.is_null(text))
        date_shape = shape[date_codes]
        self.iso = iso
        key = date_shape * 3 + clock
        key[(date_shape < 0) | (clock < 0)] = _NOT_A_TIME
        key[self.blank] = _BLANK
        self.key = key
        filled = key >= 0
        self.layout_key: int | None = None
        if filled.any():
            counts = np.bincount(key[filled], weights=self.weight[filled])
            first_key = int(key[np.argmax(filled)])
            top = counts.max()
            self.layout_key = first_key if counts[first_key] == top else int(np.argmax(counts))
        self.fits = key == self.layout_key

    @property
    def year_last(self) -> bool:
        return self.layout_key is not None and self.layout_key // 3 >= 3

    def _per_row(self, per_text: np.ndarray, blank: object) -> np.ndarray:
        return np.append(per_text, blank)[self.rows]

    def misfits(self) -> np.ndarray:
        """Rows whose value is not blank and not a date-time in the column's layout."""
        return self._per_row(~self.blank & ~self.fits, False)

    def first_fitting(self) -> int | None:
        """The first row whose value fits the column's layout, if any."""
        fitting = np.flatnonzero(self.fits)
        return int(np.argmax(self.rows == fitting[0])) if len(fitting) else None

    def orders(self) -> set[str]:
        """The date orders under which every value in the column's layout is a date."""
        if not self.year_last:
            return set(DATE_ORDERS)
        return {o for o in DATE_ORDERS if self.readings[o][0][self.fits].all()}

    def showing(self) -> list[int]:
        """Up to two rows whose month-first and day-first readings differ, preferring two whose
        order the readings reverse; none when both readings give the same dates."""
        differs = np.flatnonzero(self.fits & ~self.same_both_ways)
        if not len(differs):
            return []
        one = differs[0]
        month, day = self.readings[MONTH_FIRST][1], self.readings[DAY_FIRST][1]
        others = differs[differs != one]
        flips = others[np.sign(month[others] - month[one]) != np.sign(day[others] - day[one])]
        two = flips[:1] if len(flips) else others[:1]
        return [int(np.argmax(self.rows == text)) for text in (one, *two)]

    def reading(self, row: int) -> str:
        """Row ``row``'s date read month first, then day first."""
        text = self.rows[row]
        return " or ".join(
            str(np.datetime64(int(self.readings[o][1][text]), "D")) for o in DATE_ORDERS
        )

    def parse(self, order: str | None) -> tuple[np.ndarray, np.ndarray, str | None]:
        """Datetimes (NaT where blank or not fitting), the rows that do not fit, the layout.

        ``order`` decides a year-last layout; ``None`` takes the order more values fit.
        """
        if self.layout_key is None:
            none = np.full(len(self.rows), np.datetime64("NaT", "s"))
            return none, self._per_row(~self.blank, False), None
        if self.year_last:
            if order is None:
                fit = {
                    o: int(self.weight[self.fits & self.readings[o][0]].sum()) for o in DATE_ORDERS
                }
                order = max(DATE_ORDERS, key=fit.__getitem__)
            ok, days = self.readings[order]
        else:
            ok, days = self.readings["ymd"]
        good = self.fits & ok
        stamps = np.where(good, days * 86400 + self.seconds, 0).astype("datetime64[s]")
        stamps[~good] = np.datetime64("NaT")
        bad = self._per_row(~good & ~self.blank, False)
        return self._per_row(stamps, np.datetime64("NaT")), bad, self.layout(order)

    def layout(self, order: str | None) -> str:
        """The column's layout as a ``strptime`` format (month first where undecided)."""
        assert self.layout_key is not None
        shape, clock = divmod(self.layout_key, 3)
        iso = self.iso[self.fits].all()
        sep = _SEPARATORS[shape % 3]
        year = "%y" if self.two_digit_year[self.fits].all() else "%Y"
        if shape < 3:
            date = sep.join(("%Y", "%m", "%d"))
        elif order == DAY_FIRST:
            date = sep.join(("%d", "%m", year))
        else:
            date = sep.join(("%m", "%d", year))
        if clock == 0:
            return date
        seconds = ":%S" if self.has_seconds[self.fits].any() else ""
        time = f"%I:%M{seconds} %p" if clock == 2 else f"%H:%M{seconds}"
        return date + ("T" if iso else " ") + time


def parse_times(values: pd.Series, date_order: str | None = None) -> tuple[pd.Series, str | None]:
    """Text -> naive datetime64[s] in the one layout the whole column fits.

    A value with a zone (``GMT+8``, ``UTC``, ``Z``, ``+01:00``) is converted to UTC; one without
    is kept as written. ``date_order`` (``month_first`` or ``day_first``) decides dates with
    the year last; without it the order every value fits is taken, month first when both fit
    (:func:`typed_paradata` refuses that case instead). Returns the parsed values (``NaT`` where
    blank or not fitting) and the layout as a ``strptime`` format.
    """
    text = _TimeText(values)
    orders = text.orders()
    order = date_order or (MONTH_FIRST if MONTH_FIRST in orders else None)
    stamps, _, layout = text.parse(order)
    return pd.Series(stamps, index=values.index), layout


def _date_order(
    times: dict[str, _TimeText], frame: pd.DataFrame, path: Path, headers: dict[str, str]
) -> str | None:
    """The order the start and end times' year-last dates share; refuse if both fit.

    ``None`` where no column has the year last, or none fits every value (the values that
    do not are then reported).
    """
    last = {name: text for name, text in times.items() if text.year_last}
    if not last:
        return None
    common = set.intersection(*(text.orders() for text in last.values()))
    if len(common) == 1:
        return common.pop()
    if not common:
        return None
    for name, text in last.items():
        rows = text.showing()
        if rows:
            shown = ", ".join(
                f"row {frame['source_row'].iloc[r]} reads as {text.reading(r)}" for r in rows
            )
            raise InputError(
                f"every date reads both month first and day first (no day is above 12): {shown}",
                file=path,
                row=int(frame["source_row"].iloc[rows[0]]),
                column=headers[name],
                hint="Declare date_order in the waves sheet (month_first or day_first).",
            )
    return MONTH_FIRST  # every date is the same either way (day and month equal)


def parse_numbers(values: pd.Series) -> pd.Series:
    """Text -> Float64, ``<NA>`` where blank or not a number; each distinct text is read once
    (cast in pyarrow when all fit)."""
    codes, distinct = pd.factorize(values)
    text = pd.Series(distinct, dtype=pd.StringDtype("pyarrow"))
    try:
        numbers = pc.cast(pa.array(text).cast(pa.string()), pa.float64())
        read = numbers.to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        read = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    result = np.append(np.asarray(read, dtype=float), np.nan)[codes]
    return pd.Series(result, index=values.index, dtype="Float64")


def recode(values: pd.Series, table: dict[str, object]) -> pd.Series:
    """Each distinct value, normalised, looked up once in ``table``; unknown or blank -> NA."""
    codes, uniques = pd.factorize(values)
    found = np.asarray([table.get(normalise(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(found[codes], index=values.index)


def check_date_order(date_order: str | None) -> str | None:
    """A declared date order (blank as none), or an InputError naming the allowed ones."""
    if not date_order:
        return None
    if date_order not in DATE_ORDERS:
        raise InputError(
            f"unknown date_order {date_order!r}",
            column="date_order",
            hint=f"Use {' or '.join(DATE_ORDERS)}, or leave it blank.",
        )
    return date_order


def typed_paradata(
    frame: pd.DataFrame, path: Path, headers: dict[str, str], date_order: str | None = None
) -> pd.DataFrame:
    """Give the standard paradata columns their types; bad values raise located errors.

    ``headers`` gives each paradata column's header in the file, for the messages. Start and
    end times share one date order (``date_order``, else the one their values decide). A file
    with header rows and no data row is refused: an empty wave would only fail later, or
    worse, be reported as a wave of nobody.
    """
    if frame.empty:
        raise InputError(
            "no responses: the file holds header rows only",
            file=path,
            hint="Export the survey again once it has responses, or leave the wave out of "
            "config/waves.tsv.",
        )
    out = frame.copy(deep=False)  # copy on write: only the columns typed here are new
    times = {n: _TimeText(frame[n]) for n in ("start_time", "end_time") if n in out}
    for name, text in times.items():
        misfits = text.misfits()
        if misfits.any():
            example = text.first_fitting()
            like = (
                f", as in row {frame['source_row'].iloc[example]}"
                if example is not None
                else " such as 2014-03-10 09:15:02"
            )
            _fail(
                frame,
                misfits,
                name,
                headers[name],
                path,
                "a date and time",
                f"Write every value of the column in one date-time layout{like}.",
            )
    order = check_date_order(date_order) or _date_order(times, frame, path, headers)
    for name, text in times.items():
        stamps, bad, layout = text.parse(order)
        if bad.any():
            shown = (layout or "").replace("%", "")
            declared = f" (date_order {date_order})" if date_order else ""
            _fail(
                frame,
                bad,
                name,
                headers[name],
                path,
                "a date and time",
                f"The column reads as {shown}{declared}; every value must be a date in it.",
            )
        out[name] = pd.Series(stamps, index=frame.index)
    for name, low, high in (("duration_s", 0, np.inf), ("progress", 0, 100)):
        if name in out:
            out[name] = parse_numbers(frame[name])
            bad = (out[name].isna() | (out[name] < low) | (out[name] > high)) & frame[name].notna()
            if bad.any():
                _fail(
                    frame,
                    bad.fillna(False),
                    name,
                    headers[name],
                    path,
                    f"a number from {low} to {high}",
                    "Export the survey again unedited.",
                )
    for name, table, what in (
        ("finished", FLAGS, "a finished flag"),
        ("status", STATUS, "a status"),
    ):
        if name in out:
            out[name] = recode(frame[name], table)
            bad = out[name].isna() & frame[name].notna()
            if bad.any():
                _fail(
                    frame,
                    bad,
                    name,
                    headers[name],
                    path,
                    what,
                    f"Allowed: {', '.join(sorted(table))}.",
                )
            out[name] = out[name].astype("boolean" if name == "finished" else "string")
    return out


def answer_text(values: pd.Series, var: Variable, *, values_as: str = "labels") -> pd.Series:
    """Codes -> answer text, blanks kept blank.

    ``values_as`` is ``labels`` (codebook labels), ``numeric`` (1..k in codebook order, as
    survey tools number choices) or ``codes`` (the codes as tables write them).
    """
    if var.type == "text":
        return values.astype("string")
    codes = [code_text(c) for c in var.code_values]
    if var.type == "boolean":
        flags = values.astype("boolean")
        chosen = np.where(
            flags.fillna(False).to_numpy(dtype=bool), codes.index("true"), codes.index("false")
        )
        index = pa.array(chosen, mask=flags.isna().to_numpy())
    else:
        keys = pa.array(values.astype("string"), type=pa.string())
        index = pc.index_in(keys, value_set=pa.array(codes))
        unknown = pc.and_(pc.is_valid(keys), pc.is_null(index))
        if pc.any(unknown).as_py():
            raise InputError(
                f"{keys.filter(unknown)[0].as_py()!r} is not a code of {var.name!r}",
                column=var.name,
                hint=f"Codes: {', '.join(codes)}.",
            )
    texts = {
        "labels": [a.label for a in var.codes],
        "numeric": [str(i + 1) for i in range(len(var.codes))],
        "codes": codes,
    }[values_as]
    chosen_text = pa.array(texts, type=pa.string()).take(index)
    return pd.Series(pd.arrays.ArrowStringArray(chosen_text), index=values.index)


def typed_column(name: str) -> str:
    """The optional canonical-raw column holding a numeric answer as the respondent typed it.

    Where it is filled (``1,200``, ``about 800``), the formats that keep what was typed
    (every one but SPSS, whose variable is numeric, and plain CSV codes) write it instead of
    the number.
    """
    return f"{name}_as_typed"


@dataclass(frozen=True)
class Part:
    """One export column of a question and the canonical-raw column it is written from.

    ``kind``: ``whole`` (the question in one column), ``option`` (one select-all option),
    ``other`` (the select-all's "Other (please specify)" option), ``other_text`` (what was
    written in that box: the text variable named by ``Variable.other_text``) or ``row`` (one
    grid row). ``code`` and ``label`` are the option's or row's.
    """

    var: Variable
    kind: str
    column: str
    code: Code | None = None
    label: str = ""


def question_parts(var: Variable) -> list[Part]:
    """The columns a question takes, in questionnaire order."""
    if var.type == "multiple":
        out = [Part(var, "option", var.part_column(a.code), a.code, a.label) for a in var.codes]
        if var.other is not None:
            other = var.other
            out.append(Part(var, "other", var.part_column(other.code), other.code, other.label))
            if var.other_text:
                out.append(Part(var, "other_text", var.other_text, other.code, other.label))
        return out
    if var.type == "grid":
        return [Part(var, "row", var.part_column(r.code), r.code, r.label) for r in var.rows]
    return [Part(var, "whole", var.name)]


def written_questions(frame: pd.DataFrame, book: Codebook) -> list[tuple[Variable, list[Part]]]:
    """Every codebook variable the frame holds, in questionnaire order, with its columns.

    A select-all's "other" text goes with its question (blank when the frame lacks it), not
    on its own. A select-all or grid is written whole or not at all: a frame holding only some
    of its columns is refused, so that no option or row silently reads as never chosen.
    """
    out: list[tuple[Variable, list[Part]]] = []
    folded: set[str] = set()
    for var in book.variables:
        own = question_parts(var)
        held = [p.column in frame for p in own if p.kind != "other_text"]
        if var.name in folded or not any(held):
            continue
        if not all(held):
            missing = [p.column for p in own if p.kind != "other_text" and p.column not in frame]
            raise InputError(
                f"the frame holds only some columns of {var.name!r}: {', '.join(missing)} missing",
                column=var.name,
                hint="Give every option or row its column (missing = not answered), or none.",
            )
        folded |= {p.column for p in own if p.kind == "other_text"}
        out.append((var, own))
    return out


def option_text(values: pd.Series, chosen: str, not_chosen: str | None = None) -> pd.Series:
    """A select-all option's flags as cells: ``chosen`` where true, ``not_chosen`` (blank when
    ``None``) where false, blank where the question was not answered."""
    flags = values.astype("boolean")
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out = out.mask(flags.eq(True).fillna(False), chosen)
    if not_chosen is not None:
        out = out.mask(flags.eq(False).fillna(False), not_chosen)
    return out


def number_text(frame: pd.DataFrame, var: Variable, *, typed: bool = True) -> pd.Series:
    """Numbers as text (whole numbers without ``.0``); with ``typed``, what the respondent
    typed where the frame's :func:`typed_column` holds it."""
    numbers = frame[var.name].astype("Float64")
    whole = numbers == numbers.round()
    text = numbers.round().astype("Int64").astype("string")
    text = text.where(whole.fillna(True), numbers.astype("string"))
    column = typed_column(var.name)
    if typed and column in frame:
        written = frame[column].astype("string")
        text = text.mask((written.notna() & numbers.notna()).to_numpy(dtype=bool), written)
    return text


def part_text(frame: pd.DataFrame, part: Part, *, values_as: str = "labels") -> pd.Series:
    """One column's cells. ``values_as`` as for :func:`answer_text`; a chosen option is its
    label (``labels``), ``1`` (``numeric``) or ``true``/``false`` (``codes``); numbers are
    written as typed except as ``codes``."""
    var = part.var
    if part.column not in frame:  # an "other" text the frame does not hold
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[part.column]
    if part.kind in ("option", "other"):
        chosen = {"labels": part.label, "numeric": "1", "codes": "true"}[values_as]
        return option_text(values, chosen, "false" if values_as == "codes" else None)
    if part.kind == "other_text":
        return values.astype("string")
    if var.type == "numeric":
        return number_text(frame, var, typed=values_as != "codes")
    return answer_text(values, var, values_as=values_as)


def other_answer(frame: pd.DataFrame, parts: Sequence[Part]) -> pd.Series:
    """A select-all's "other" in one cell, as SurveyMonkey and Google Forms keep it: the text
    written, or the option's label where it was ticked with nothing written."""
    other = next(p for p in parts if p.kind == "other")
    text = next((p for p in parts if p.kind == "other_text"), None)
    ticked = part_text(frame, other)
    return ticked if text is None else part_text(frame, text).fillna(ticked)


def join_text(pieces: Sequence[pd.Series], separator: str = ", ") -> pd.Series:
    """Row by row, the filled cells of ``pieces`` joined by ``separator``; blank if none is."""
    out = pieces[0].astype("string")
    for piece in pieces[1:]:
        piece = piece.astype("string")
        out = (out + separator + piece).fillna(out).fillna(piece)
    return out


def part_wording(part: Part) -> str:
    """A column's header as Qualtrics words it (and Excel and SPSS labels here): the question,
    ``Question - Option``, ``Question - Row`` or ``Question - Other (please specify) - Text``."""
    question = part.var.question
    if part.kind == "whole":
        return question
    if part.kind == "other_text":
        return f"{question} - {part.label} - Text"
    return f"{question} - {part.label}"


def paradata_text(
    frame: pd.DataFrame, name: str | None, time_layout: str = ISO_LAYOUT
) -> pd.Series:
    """A paradata column as text (whole numbers for numbers); blank if the frame lacks it."""
    if name is None or name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[name]
    if name in ("start_time", "end_time"):
        return time_text(values, time_layout)
    if name in ("duration_s", "progress"):
        return values.astype("Float64").round().astype("Int64").astype("string")
    return values.astype("string")


_ISO_PARTS = {
    "%Y": (0, 4),
    "%m": (5, 7),
    "%d": (8, 10),
    "%H": (11, 13),
    "%M": (14, 16),
    "%S": (17, 19),
}


def time_text(values: pd.Series, layout: str) -> pd.Series:
    """Datetimes as text in ``layout`` (``%Y %m %d %H %I %M %S %p`` and literal text), blank
    where missing; composed from ISO text in pyarrow, many times faster than strftime."""
    stamps = pa.array(pd.to_datetime(values).to_numpy(dtype="datetime64[s]"))
    iso = pc.cast(stamps, pa.string())
    if layout == ISO_LAYOUT:
        return pd.Series(pd.arrays.ArrowStringArray(iso), index=values.index)
    hour = pc.cast(pc.utf8_slice_codeunits(iso, 11, 13), pa.int64())
    pieces = []
    for token in re.split(r"(%.)", layout):
        if token in _ISO_PARTS:
            pieces.append(pc.utf8_slice_codeunits(iso, *_ISO_PARTS[token]))
        elif token == "%I":
            twelve = pc.if_else(
                pc.equal(hour, 0), 12, pc.if_else(pc.greater(hour, 12), pc.subtract(hour, 12), hour)
            )
            pieces.append(pc.utf8_lpad(pc.cast(twelve, pa.string()), 2, "0"))
        elif token == "%p":
            pieces.append(pc.if_else(pc.less(hour, 12), "AM", "PM"))
        elif token.startswith("%"):
            raise ValueError(f"time layout {layout!r}: {token} is not supported")
        elif token:
            pieces.append(pa.scalar(token))
    text = pc.binary_join_element_wise(*pieces, "")
    return pd.Series(pd.arrays.ArrowStringArray(text), index=values.index)


def _csv_line(cells: Sequence[str]) -> str:
    return ",".join('"' + c.replace('"', '""') + '"' if c else "" for c in cells) + "\n"


def write_csv(path: Path, headers: Sequence[Sequence[str]], body: pd.DataFrame) -> None:
    """Header rows then the body, every non-blank field quoted, ``\\n`` line ends, atomically."""
    columns = {str(i): pa.array(body.iloc[:, i], type=pa.string()) for i in range(body.shape[1])}
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write("".join(_csv_line(row) for row in headers).encode("utf-8"))
        if len(body):
            pcsv.write_csv(
                pa.table(columns), handle, write_options=pcsv.WriteOptions(include_header=False)
            )


class _FixedTimeZip(ZipFile):
    """A zip archive whose entries all carry the same date, so a rewrite gives the same bytes."""

    def writestr(self, name, data, *args, **kwargs):  # type: ignore[override]
        if isinstance(name, str):
            name = ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            name.compress_type = ZIP_DEFLATED
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[override]
        # openpyxl streams worksheets through temporary files, whose dates would leak in.
        self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())


def write_xlsx(
    path: Path, headers: Sequence[Sequence[str]], body: pd.DataFrame, *, title: str
) -> None:
    """One worksheet of text cells; fixed document dates so a rerun gives the same bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in headers:
        sheet.append([c or None for c in row])
    for row in body.astype(object).where(body.notna(), None).itertuples(index=False, name=None):
        sheet.append(row)
    workbook.properties.created = workbook.properties.modified = _FIXED_TIME
    with atomic_path(path) as tmp:
        ExcelWriter(workbook, _FixedTimeZip(tmp, "w", ZIP_DEFLATED)).save()
