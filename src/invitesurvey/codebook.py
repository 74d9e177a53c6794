"""The questionnaire as data: variable names, wordings, answer codes, labels and aliases."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from invitesurvey.errors import InputError
from invitesurvey.io import read_yaml

Code = str | bool

TYPES = ("boolean", "categorical", "numeric", "multiple", "grid", "text")
# Clean-data columns of a multiple or grid question: ``{variable}__{option or row code}``.
PART = "__"
OTHER = "other"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalise(text: object) -> str:
    """Matching key for wordings and labels: case, spacing and typographic quotes ignored."""
    folded = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    return re.sub(r"\s+", " ", folded).strip().casefold()


def code_text(code: Code) -> str:
    """A code as it is written in tables: booleans as ``true``/``false``."""
    return str(code).lower() if isinstance(code, bool) else str(code)


@dataclass(frozen=True)
class Answer:
    code: Code
    label: str
    aliases: tuple[str, ...] = ()
    exclusive: bool = False


@dataclass(frozen=True)
class Numeric:
    """What a numeric answer may be: whole numbers only, and the allowed range."""

    integer: bool
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Variable:
    name: str
    title: str
    type: str
    question: str = ""
    question_aliases: tuple[str, ...] = ()
    codes: tuple[Answer, ...] = ()
    personal: bool = False
    source: str | None = None
    true_codes: tuple[Code, ...] = ()
    follow_up: bool = False
    rows: tuple[Answer, ...] = ()
    top_box: int = 0
    other: Answer | None = None
    other_text: str | None = None
    numeric: Numeric | None = None

    @property
    def code_values(self) -> list[Code]:
        return [a.code for a in self.codes]

    @property
    def options(self) -> tuple[Answer, ...]:
        """A multiple question's options, then its "other" option when it has one."""
        return (*self.codes, *((self.other,) if self.other else ()))

    @property
    def exclusive(self) -> Answer | None:
        """The option that excludes every other (``I never accept them``), if any."""
        return next((a for a in self.codes if a.exclusive), None)

    def part_column(self, code: Code) -> str:
        """The clean-data column of one option (multiple) or row (grid)."""
        return f"{self.name}{PART}{code_text(code)}"

    @property
    def columns(self) -> list[str]:
        """This variable's columns in clean data, in questionnaire order."""
        if self.type == "multiple":
            return [self.part_column(a.code) for a in self.options]
        if self.type == "grid":
            return [self.part_column(r.code) for r in self.rows]
        return [self.name]

    def label_of(self, code: Code) -> str:
        return next(a.label for a in self.codes if a.code == code)

    def label_lookup(self) -> dict[str, Code]:
        """Normalised label, alias or the code itself -> code."""
        lookup: dict[str, Code] = {}
        for answer in self.codes:
            for text in (code_text(answer.code), answer.label, *answer.aliases):
                lookup[normalise(text)] = answer.code
        return lookup

    def wordings(self) -> list[str]:
        return [self.question, *self.question_aliases]

    def row_lookup(self) -> dict[str, Code]:
        """Grid: normalised row label, alias or code -> row code."""
        return {
            normalise(text): row.code
            for row in self.rows
            for text in (code_text(row.code), row.label, *row.aliases)
        }

    def option_lookup(self) -> dict[str, Code]:
        """Multiple: normalised option label, alias or code (``other`` included) -> code."""
        return {
            normalise(text): answer.code
            for answer in self.options
            for text in (code_text(answer.code), answer.label, *answer.aliases)
        }

    def dtype(self) -> object:
        """The pandas dtype of each of this variable's clean-data columns."""
        if self.type in ("boolean", "multiple"):
            return "boolean"
        if self.type == "categorical":
            return pd.CategoricalDtype([str(c) for c in self.code_values], ordered=False)
        if self.type == "grid":
            return pd.CategoricalDtype([str(c) for c in self.code_values], ordered=True)
        if self.type == "numeric":
            return "Float64"
        return "string"


def code_labels(var: Variable) -> dict[str, str]:
    """Code as written in tables -> codebook label."""
    return {code_text(a.code): a.label for a in var.codes}


@dataclass(frozen=True)
class Codebook:
    variables: tuple[Variable, ...]
    derived: tuple[Variable, ...]

    def __getitem__(self, name: str) -> Variable:
        for var in (*self.variables, *self.derived):
            if var.name == name:
                return var
        raise KeyError(name)

    @property
    def items(self) -> list[Variable]:
        """Single-answer closed questions (yes/no, one choice), in questionnaire order."""
        return [
            v for v in self.variables if v.type in ("boolean", "categorical") and not v.personal
        ]

    @property
    def questions(self) -> list[Variable]:
        """Every question kept after ingest (items, numbers, select-alls, grids), in order."""
        return [v for v in self.variables if v.type != "text" and not v.personal]

    @property
    def analysed(self) -> list[Variable]:
        """The single-answer variables tables and models use: items, then derived."""
        return [*self.items, *self.derived]

    def of_type(self, kind: str) -> list[Variable]:
        """The kept questions of one type (``numeric``, ``multiple``, ``grid`` ...)."""
        return [v for v in self.questions if v.type == kind]

    @property
    def wave1(self) -> list[Variable]:
        """The questions (and text) the first wave asked: everything not ``follow_up``."""
        return [v for v in self.variables if not v.follow_up]

    @property
    def personal(self) -> list[Variable]:
        return [v for v in self.variables if v.personal or v.type == "text"]

    @property
    def clean_columns(self) -> list[str]:
        """Every answer column of clean data: items, derived, then the other questions' parts."""
        rest = [c for v in self.questions if v not in self.items for c in v.columns]
        return [*(v.name for v in self.analysed), *rest]


def _answer(entry: dict, path: Path, name: str) -> Answer:
    if not isinstance(entry, dict) or "label" not in entry:
        raise InputError(f"variable {name!r} has an answer without a label", file=path)
    return Answer(
        entry.get("code", OTHER),
        str(entry["label"]),
        tuple(map(str, entry.get("aliases") or [])),
        bool(entry.get("exclusive", False)),
    )


def _answers(raw: list[dict], path: Path, name: str) -> tuple[Answer, ...]:
    for entry in raw or []:
        if not isinstance(entry, dict) or "code" not in entry:
            raise InputError(f"variable {name!r} has an answer without a code", file=path)
    return tuple(_answer(entry, path, name) for entry in raw or [])


def _numeric(raw: dict | None, path: Path, name: str) -> Numeric:
    raw = raw or {}
    try:
        rule = Numeric(bool(raw.get("integer", False)), float(raw["min"]), float(raw["max"]))
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"numeric variable {name!r} needs numeric: {{integer: ..., min: ..., max: ...}}",
            file=path,
        ) from error
    if rule.minimum > rule.maximum:
        raise InputError(f"numeric variable {name!r} has min above max", file=path)
    return rule


def _check(var: Variable, path: Path) -> None:
    """The fields each question type needs, so a codebook mistake fails before any data."""
    problem = None
    if var.type not in TYPES:
        problem = f"type {var.type!r} is not one of {', '.join(TYPES)}"
    elif var.type in ("categorical", "multiple", "grid") and not var.codes:
        problem = "has no codes"
    elif var.type == "grid" and not var.rows:
        problem = "is a grid without rows"
    elif var.type == "grid" and not 0 < var.top_box < len(var.codes):
        problem = f"needs top_box between 1 and {len(var.codes) - 1}"
    elif sum(a.exclusive for a in var.codes) > 1:
        problem = "has more than one exclusive option"
    elif var.other is not None and OTHER in map(code_text, var.code_values):
        problem = f"uses the code {OTHER!r}, which its 'other' option takes"
    if problem:
        raise InputError(f"variable {var.name!r} {problem}", file=path)


def _variable(raw: dict, path: Path) -> Variable:
    name = raw.get("name")
    if not name:
        raise InputError("a variable has no name", file=path)
    kind = raw.get("type", "categorical")
    other = raw.get("other")
    var = Variable(
        name=name,
        title=raw.get("title", name),
        type=kind,
        question=raw.get("question", ""),
        question_aliases=tuple(raw.get("question_aliases") or ()),
        codes=_answers(raw.get("codes"), path, name),
        personal=bool(raw.get("personal", False)),
        source=raw.get("source"),
        true_codes=tuple(raw.get("true_codes") or ()),
        follow_up=bool(raw.get("follow_up", False)),
        rows=_answers(raw.get("rows"), path, name),
        top_box=int(raw.get("top_box", 0)),
        other=_answer({**other, "code": OTHER}, path, name) if other else None,
        other_text=other.get("text") if other else None,
        numeric=_numeric(raw.get("numeric"), path, name) if kind == "numeric" else None,
    )
    _check(var, path)
    return var


def load(path: str | Path) -> Codebook:
    """Read ``config/codebook.yaml``."""
    path = Path(path)
    raw = read_yaml(path, "codebook")
    book = Codebook(
        variables=tuple(_variable(v, path) for v in raw.get("variables", [])),
        derived=tuple(_variable(v, path) for v in raw.get("derived", [])),
    )
    texts = {v.name for v in book.variables if v.type == "text"}
    for var in book.variables:
        if var.other_text and var.other_text not in texts:
            raise InputError(
                f"variable {var.name!r}: other text {var.other_text!r} is not a text variable",
                file=path,
            )
    return book


# A treatment-coded model term as patsy names it, with or without C(..., Treatment(...)).
_TERM = re.compile(r"^(?:C\((?P<wrapped>\w+).*\)|(?P<name>\w+))\[T\.(?P<level>[^\]]+)\]$")


def term_text(term: str, book: Codebook, references: dict[str, str] | None = None) -> str:
    """A model term in the codebook's words, against its reference level when known:
    ``purpose[T.hire]`` -> ``Main reason for using LinkedIn: Hiring or recruiting (vs Looking
    for a new role for myself)``; a term the codebook does not know keeps its name and level."""
    match = _TERM.match(term)
    if match is None:
        return term
    name, level = match["wrapped"] or match["name"], match["level"]
    reference = (references or {}).get(name)
    try:
        var = book[name]
    except KeyError:
        return f"{name}: {level}" + (f" (vs {reference})" if reference else "")
    labels = {code_text(a.code).lower(): a.label for a in var.codes}
    against = f" (vs {labels.get(str(reference).lower(), reference)})" if reference else ""
    return f"{var.title}: {labels.get(level.lower(), level)}{against}"


def derive(frame: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Add the derived variables; missing wherever their source item is missing."""
    out = frame.copy(deep=False)  # copy on write: only the derived columns are new
    for var in book.derived:
        source = out[var.source]
        if not isinstance(source.dtype, pd.CategoricalDtype):  # a categorical matches codes
            source = source.astype("string")
        truth = source.isin([code_text(c) for c in var.true_codes])
        out[var.name] = truth.astype("boolean").mask(source.isna())
    return out


def typed(frame: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Give every clean-data column its codebook dtype (codes in codebook order)."""
    out = frame.copy(deep=False)  # copy on write: only the retyped columns are new
    for var in [*book.analysed, *(v for v in book.questions if v not in book.items)]:
        for column in var.columns:
            if column in out:
                out[column] = out[column].astype(var.dtype())
    return out
