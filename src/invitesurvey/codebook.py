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

    @property
    def code_values(self) -> list[Code]:
        return [a.code for a in self.codes]

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

    def dtype(self) -> object:
        """The pandas dtype of this variable in clean data."""
        if self.type == "boolean":
            return "boolean"
        if self.type == "categorical":
            return pd.CategoricalDtype([str(c) for c in self.code_values], ordered=False)
        return "string"


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
        """Closed questions that are kept after ingest, in questionnaire order."""
        return [v for v in self.variables if v.type != "text" and not v.personal]

    @property
    def analysed(self) -> list[Variable]:
        """Every variable of clean data that tables and models use: items, then derived."""
        return [*self.items, *self.derived]

    @property
    def personal(self) -> list[Variable]:
        return [v for v in self.variables if v.personal or v.type == "text"]


def _answers(raw: list[dict], path: Path, name: str) -> tuple[Answer, ...]:
    answers = []
    for entry in raw or []:
        if "code" not in entry or "label" not in entry:
            raise InputError(f"variable {name!r} has a code without code or label", file=path)
        answers.append(
            Answer(entry["code"], str(entry["label"]), tuple(map(str, entry.get("aliases", []))))
        )
    return tuple(answers)


def _variable(raw: dict, path: Path) -> Variable:
    name = raw.get("name")
    if not name:
        raise InputError("a variable has no name", file=path)
    return Variable(
        name=name,
        title=raw.get("title", name),
        type=raw.get("type", "categorical"),
        question=raw.get("question", ""),
        question_aliases=tuple(raw.get("question_aliases") or ()),
        codes=_answers(raw.get("codes"), path, name),
        personal=bool(raw.get("personal", False)),
        source=raw.get("source"),
        true_codes=tuple(raw.get("true_codes") or ()),
    )


def load(path: str | Path) -> Codebook:
    """Read ``config/codebook.yaml``."""
    path = Path(path)
    raw = read_yaml(path, "codebook")
    return Codebook(
        variables=tuple(_variable(v, path) for v in raw.get("variables", [])),
        derived=tuple(_variable(v, path) for v in raw.get("derived", [])),
    )


def derive(frame: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Add the derived variables; missing wherever their source item is missing."""
    out = frame.copy()
    for var in book.derived:
        source = out[var.source]
        truth = source.astype("string").isin([code_text(c) for c in var.true_codes])
        out[var.name] = truth.astype("boolean").mask(source.isna())
    return out


def typed(frame: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Give every analysed variable its codebook dtype (codes in codebook order)."""
    out = frame.copy()
    for var in book.analysed:
        if var.name in out:
            out[var.name] = out[var.name].astype(var.dtype())
    return out
