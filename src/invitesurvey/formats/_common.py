"""What every format shares: the cell grid of a file, located errors, paradata, writing.

A reader turns its file into a :class:`Grid` (every record as text, with the line it starts
on), takes its header rows off, names the columns and hands them to :func:`assemble`, which
standardises paradata names and types. Writers turn codes into answer text with
:func:`answer_text` and lay out header rows and body with :func:`write_csv` or
:func:`write_xlsx`.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from zipfile import ZIP_DEFLATED, BadZipFile, ZipFile, ZipInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from invitesurvey.codebook import Codebook, Variable, code_text, normalise
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

# Date-time layouts seen in exports, tried in order on the first value of a column. Dates with
# slashes and the month first follow the US locale the tools default to.
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
# Fractions of a second and a zone suffix ("GMT", "UTC+1", "Z") after a time are dropped: an
# export states one zone for all its rows. The match starts at the end of the time (kept by
# the replacement) so that the day of a date-only value ("2014-03-10") is not taken for an
# offset; Arrow's regular expressions have no look-behind.
_TIME_NOISE = r"(\d:\d\d|[AP]M)(\.\d+)?\s*(Z|GMT|UTC)?([+-]\d{1,2}(:?\d{2})?)?$"

_FIXED_TIME = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class Export:
    """A file as read: rows located, paradata standardised, questions under their header text."""

    path: Path
    frame: pd.DataFrame
    alternates: dict[str, list[str]] = field(default_factory=dict)


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


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or an InputError saying why it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(
            f"cannot read the file: {error.strerror or error}",
            file=path,
            hint="Check the path in config/waves.tsv and the file's permissions.",
        ) from error
    if _blank(raw):
        raise InputError("the file is empty", file=path, hint="Export the survey again.")
    return raw


def to_utf8(raw: bytes, path: Path, encoding: str | None) -> bytes:
    """UTF-8 without a byte-order mark, decoding from ``encoding`` when one is declared."""
    try:
        codec = codecs.lookup(encoding or "utf-8").name
    except LookupError as error:
        raise InputError(
            f"unknown encoding {encoding!r}",
            file=path,
            hint="Name a Python codec such as utf-8, latin-1 or cp1252.",
        ) from error
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
    """Parse a CSV file into a grid of text with pyarrow (multi-threaded, no type guessing)."""
    data = to_utf8(read_bytes(path), path, encoding)
    if _blank(data):
        raise InputError("the file is empty", file=path, hint="Export the survey again.")
    head = data[: 1 << 20].decode("utf-8", errors="ignore")
    names = [str(i) for i in range(len(next(csv.reader(io.StringIO(head)))))]
    ragged: list[pcsv.InvalidRow] = []

    def skip(row: pcsv.InvalidRow) -> str:
        ragged.append(row)
        return "skip"

    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(column_names=names),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as error:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as undecodable:
            raise _undecodable(data, undecodable, path, "utf-8") from error
        raise InputError(f"cannot parse the CSV: {error}", file=path) from error
    if ragged:
        first = ragged[0]
        line = first.number or data[: data.find(first.text.encode("utf-8"))].count(b"\n") + 1
        raise InputError(
            f"the row has {first.actual_columns} fields where the header has "
            f"{first.expected_columns}",
            file=path,
            row=line,
            hint="Look for an unquoted comma or a line cut short, or export the file again.",
        )
    cells = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    return Grid(path, cells.set_axis(range(len(names)), axis=1), _record_lines(data, table))


def _record_lines(data: bytes, table: pa.Table) -> np.ndarray:
    """The line each record starts on, counting line breaks inside quoted values.

    Only a file with blank lines (which the parser skips) needs the slow, exact count.
    """
    breaks = data.count(b"\n") + (not data.endswith(b"\n"))
    if breaks == table.num_rows:
        return np.arange(1, table.num_rows + 1)
    inside = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        counts = pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
        inside += np.nan_to_num(counts.astype(float)).astype(np.int64)
    starts = 1 + np.arange(table.num_rows) + np.cumsum(inside) - inside
    if breaks == table.num_rows + inside.sum():
        return starts
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
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


def read_sheet_grid(path: Path, sheet: str | None) -> Grid:
    """Read one worksheet of an .xlsx workbook (the first unless ``sheet`` names one)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    read_bytes(path)
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


def guess(grid: Grid) -> str | None:
    """The survey tool whose header layout the file's first rows show, if any.

    Qualtrics: ImportId JSON in row 3, or legacy ``V1`` / ``ResponseID`` headers; SurveyMonkey:
    ``Respondent ID`` in row 1 over ``Response`` sub-headers; Google Forms: ``Timestamp`` first.
    """
    top = [
        [normalise(v) for v in row if not pd.isna(v)]
        for row in grid.cells.iloc[:3].itertuples(index=False, name=None)
    ]
    first, second, third = [*top, [], [], []][:3]
    if any(c.startswith('{"importid"') for c in third) or "v1" in first or "responseid" in second:
        return "qualtrics"
    if "respondent id" in first and {"response", "open-ended response"} & set(second):
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


def one_header_row(path: Path, grid: Grid, fmt: str, expected: str) -> Export:
    """A file with one header row (excel, csv); a survey tool's layout is refused by name."""
    (header,) = header_rows(grid, 1)
    if guess(grid) is not None:
        raise mismatch(grid, fmt, expected)
    return Export(path, assemble(grid, header, 1))


def assemble(
    grid: Grid, names: Sequence[str], count: int, names_row: int | None = None
) -> pd.DataFrame:
    """The rows after ``count`` header rows, under ``names``, paradata standardised and typed.

    ``names_row`` is the header row (1-based) the names come from, the last one by default.
    Columns with no name and no data (the trailing commas of some exports) are dropped.
    """
    names_row = names_row or count
    body = grid.cells.iloc[count:]
    lines = grid.lines[count:]
    filled = body.notna().any().to_numpy()
    for index, name in enumerate(names):
        if not name and filled[index]:
            first = int(np.argmax(body[index].notna().to_numpy()))
            raise InputError(
                f"column {position(index)} holds answers but has no header",
                file=grid.path,
                row=int(lines[first]),
                hint="Give the column its question wording, or delete it.",
            )
    keep = [i for i, name in enumerate(names) if name]
    original = [names[i] for i in keep]
    standard = [PARADATA_NAMES.get(normalise(n), n) for n in original]
    _check_unique(
        original, standard, keep, grid, int(grid.lines[names_row - 1]) if names_row else None
    )
    frame = body[keep].set_axis(standard, axis=1).reset_index(drop=True)
    frame.insert(0, "source_row", lines.astype("int64"))
    return typed_paradata(frame, grid.path, dict(zip(standard, original, strict=True)))


def _check_unique(
    original: list[str], standard: list[str], index: list[int], grid: Grid, row: int | None
) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(standard):
        if name in seen:
            j = seen[name]
            what = (
                f"the header {original[i]!r} appears twice"
                if original[i] == original[j]
                else f"the headers {original[j]!r} and {original[i]!r} both mean {name!r}"
            )
            raise InputError(
                f"{what}, in columns {position(index[j])} and {position(index[i])}",
                file=grid.path,
                row=row,
                column=original[i],
                hint="Remove or rename one of the two columns.",
            )
        seen[name] = i


def _fail(
    frame: pd.DataFrame, bad: pd.Series, name: str, path: Path, what: str, hint: str
) -> NoReturn:
    """Raise an InputError at the first row flagged in ``bad``."""
    first = int(np.argmax(bad.to_numpy(dtype=bool)))
    raise InputError(
        f"{frame[name].iloc[first]!r} is not {what}",
        file=path,
        row=int(frame["source_row"].iloc[first]),
        column=name,
        hint=hint,
    )


def _fits(text: pa.Array, layout: str) -> bool:
    """Whether the first value of ``text`` reads as a date-time in ``layout``."""
    return pc.strptime(text[:1], format=layout, unit="s", error_is_null=True)[0].is_valid


def parse_times(values: pd.Series) -> tuple[pd.Series, str | None]:
    """Text -> naive datetime64[s] in one layout of TIME_FORMATS, chosen by the first value.

    Returns the parsed values (``NaT`` where the text did not fit) and the layout used.
    """
    text = pc.replace_substring_regex(
        pc.utf8_trim_whitespace(pa.array(values, type=pa.string())), _TIME_NOISE, r"\1"
    )
    sample = text.filter(pc.is_valid(text))[:1]
    layout = next((f for f in TIME_FORMATS if len(sample) and _fits(sample, f)), None)
    if layout is None:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]"), None
    parsed = pc.strptime(text, format=layout, unit="s", error_is_null=True)
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index), layout


def parse_numbers(values: pd.Series) -> pd.Series:
    """Text -> Float64, ``<NA>`` where blank or not a number (cast in pyarrow when all fit)."""
    try:
        numbers = pc.cast(pa.array(values, type=pa.string()), pa.float64())
    except pa.ArrowInvalid:
        return pd.to_numeric(values, errors="coerce").astype("Float64")
    return pd.Series(
        numbers.to_pandas(types_mapper={pa.float64(): pd.Float64Dtype()}.get), index=values.index
    )


def recode(values: pd.Series, table: dict[str, object]) -> pd.Series:
    """Each distinct value, normalised, looked up once in ``table``; unknown or blank -> NA."""
    codes, uniques = pd.factorize(values)
    found = np.asarray([table.get(normalise(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(found[codes], index=values.index)


def typed_paradata(frame: pd.DataFrame, path: Path, headers: dict[str, str]) -> pd.DataFrame:
    """Give the standard paradata columns their types; bad values raise located errors."""
    out = frame.copy()
    for name in ("start_time", "end_time"):
        if name in out:
            out[name], layout = parse_times(out[name])
            bad = out[name].isna() & frame[name].notna()
            if bad.any():
                shown = layout.replace("%", "") if layout else "2014-03-10 09:15:02"
                _fail(
                    frame.rename(columns=headers),
                    bad,
                    headers[name],
                    path,
                    "a date and time",
                    f"Every value of the column must look like {shown}.",
                )
    for name, low, high in (("duration_s", 0, np.inf), ("progress", 0, 100)):
        if name in out:
            out[name] = parse_numbers(frame[name])
            bad = (out[name].isna() | (out[name] < low) | (out[name] > high)) & frame[name].notna()
            if bad.any():
                _fail(
                    frame.rename(columns=headers),
                    bad.fillna(False),
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
                    frame.rename(columns=headers),
                    bad,
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


def answers(
    frame: pd.DataFrame, book: Codebook, *, values_as: str = "labels"
) -> list[tuple[Variable, pd.Series]]:
    """Every codebook variable the frame holds, in questionnaire order, with its answer text."""
    return [
        (var, answer_text(frame[var.name], var, values_as=values_as))
        for var in book.variables
        if var.name in frame
    ]


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
