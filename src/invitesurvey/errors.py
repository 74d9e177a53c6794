"""One error type for bad input, so every failure names the file, row and column."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Input that the pipeline refuses, located as precisely as the reader knows.

    ``row`` is the 1-based line (CSV) or row (spreadsheet) number in the file as a person
    would count it in an editor, header rows included.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [p for p in (self.file, f"row {self.row}" if self.row else None) if p]
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        return f"{text}. {self.hint}" if self.hint else text
