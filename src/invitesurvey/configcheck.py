"""Configuration mistakes in a few plain lines: key, value, what is allowed, the closest key.

The workflow validates its configuration against ``workflow/schemas/config.schema.json``
before any job (``workflow/rules/common.smk``). A JSON Schema error prints the failing part
of the schema and of the configuration, tens of lines for one wrong value; :func:`explain`
turns every error into one short paragraph instead, and :func:`refuse_aliases` stops a
configuration file with YAML aliases before anything expands them.

Only jsonschema, PyYAML and the standard library are imported: this runs while Snakemake
builds its DAG.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from invitesurvey import yamlfile

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlevel = 2
_REPR.maxdict = _REPR.maxlist = 4

_TYPES = {
    "number": "a number",
    "integer": "a whole number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
    "null": "null",
}


def refuse_aliases(files: Iterable[str | Path]) -> None:
    """Raise :class:`~invitesurvey.errors.InputError` at the first YAML alias of any file.

    Snakemake has already loaded them (PyYAML keeps an alias as a reference, so loading is
    cheap), but writes the configuration out with ``json.dumps`` before the first job, which
    expands every alias: nine lines of nested aliases take minutes and gigabytes.
    """
    for file in files:
        yamlfile.load(file, "configuration")


def key_path(path: Iterable[Any]) -> str:
    """``intervals.level``, ``models[0].formula``; ``(top level)`` for the root."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def allowed(schema: Mapping[str, Any]) -> str:
    """What a schema accepts, in words: ``a number greater than 0 and less than 1``."""
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "const" in schema:
        return f"exactly {schema['const']!r}"
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    words = " or ".join(_TYPES.get(t, t) for t in types) or "a value"
    low = next((k for k in ("minimum", "exclusiveMinimum") if k in schema), None)
    high = next((k for k in ("maximum", "exclusiveMaximum") if k in schema), None)
    if low == "minimum" and high == "maximum":
        words += f" from {schema[low]:g} to {schema[high]:g}"
    else:
        bounds = []
        if low:
            bounds.append(f"{'at least' if low == 'minimum' else 'greater than'} {schema[low]:g}")
        if high:
            bounds.append(f"{'at most' if high == 'maximum' else 'less than'} {schema[high]:g}")
        words += "".join(f" {b}" if i == 0 else f" and {b}" for i, b in enumerate(bounds))
    if "pattern" in schema:
        words += f" matching the pattern {schema['pattern']}"
    extras = []
    items = schema.get("items")
    if isinstance(items, Mapping) and "enum" in items:
        extras.append("of " + " or ".join(map(str, items["enum"])))
    if "contains" in schema and "const" in schema["contains"]:
        extras.append(f"including {schema['contains']['const']}")
    if "minItems" in schema and schema.get("maxItems") == schema["minItems"]:
        extras.append(f"of exactly {schema['minItems']} items")
    elif "minItems" in schema:
        extras.append(f"of at least {schema['minItems']} item(s)")
    if schema.get("uniqueItems"):
        extras.append("without repeats")
    if extras:
        words += " " + ", ".join(extras)
    return words


def _all_keys(schema: Mapping[str, Any], path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every (parent path, key) the schema defines, for a key given at the wrong level."""
    for name, sub in (schema.get("properties") or {}).items():
        yield path, name
        yield from _all_keys(sub, (*path, name))
    if isinstance(schema.get("items"), Mapping):
        yield from _all_keys(schema["items"], (*path, 0))


def did_you_mean(key: str, here: Iterable[str], schema: Mapping[str, Any]) -> str | None:
    """The key meant by a misspelt or misplaced ``key``: the closest key at this level, or
    the same key elsewhere in the schema."""
    close = difflib.get_close_matches(key, list(here), n=1, cutoff=0.6)
    if close:
        return close[0]
    elsewhere = [key_path((*parent, name)) for parent, name in _all_keys(schema) if name == key]
    return elsewhere[0] if elsewhere else None


def _value(instance: Any) -> str:
    return _REPR.repr(instance)


def _described(schema: Mapping[str, Any]) -> str:
    """The key's description from the schema, as a sentence after the error."""
    text = " ".join(str(schema.get("description", "")).split())
    return f" {text.rstrip('.')}." if text else ""


def _paragraph(error: Any, schema: Mapping[str, Any], meant: dict) -> str | None:
    """One error as a sentence or two; None for an error another one already explains."""
    where = key_path(error.absolute_path)
    sub = error.schema
    if error.validator == "additionalProperties":
        known = list(sub.get("properties") or {})
        lines = []
        for key in sorted(set(error.instance) - set(known)):
            guess = did_you_mean(key, known, schema)
            full = key_path((*error.absolute_path, key))
            text = f"{full}: there is no such key"
            if guess:
                meant.setdefault(tuple(error.absolute_path), set()).add(guess)
                text += f"; did you mean {guess!r}?"
            level = f"of {where}" if error.absolute_path else "at the top level"
            lines.append(f"{text} The keys {level} are: {', '.join(known)}.")
        return "\n".join(lines)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        if missing in meant.get(tuple(error.absolute_path), set()):
            return None
        prop = (sub.get("properties") or {}).get(missing, {})
        full = key_path((*error.absolute_path, missing))
        return f"{full} is missing; it must be {allowed(prop)}.{_described(prop)}"
    if error.validator in ("type", "enum", "const", "pattern", "minimum", "maximum",
                           "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
                           "uniqueItems", "contains"):  # fmt: skip
        # For a list item, say what the list accepts.
        parent = error.parent.schema if error.parent is not None else None
        shown = sub if "description" in sub or parent is None else parent
        return (
            f"{where} is {_value(error.instance)}, but it must be {allowed(sub)}."
            f"{_described(shown)}"
        )
    return f"{where} is {_value(error.instance)}: {error.message}.{_described(sub)}"


def problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every way ``config`` misfits ``schema``, one paragraph each, in key order."""
    from jsonschema import Draft202012Validator

    errors = sorted(
        Draft202012Validator(schema).iter_errors(config),
        # Unknown keys first, so that a required key they stand for is not reported twice.
        key=lambda e: (e.validator != "additionalProperties", [str(p) for p in e.absolute_path]),
    )
    meant: dict = {}
    paragraphs = [_paragraph(error, schema, meant) for error in errors]
    return sorted(p for p in paragraphs if p)


def with_defaults(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``instance`` with the schema's top-level defaults where a key is absent (a flat record,
    such as a row of the waves sheet)."""
    properties = schema.get("properties") or {}
    defaults = {key: prop["default"] for key, prop in properties.items() if "default" in prop}
    return {**defaults, **instance}


def explain(config: Mapping[str, Any], schema_file: str | Path, files: Iterable[str]) -> str:
    """The message for a configuration that fails its schema: which files, then every
    problem with its key, value and what is allowed."""
    schema = yamlfile.load(schema_file, "configuration schema")
    files = ", ".join(map(str, files)) or "the configuration"
    found = problems(config, schema) or ["the configuration does not match its schema"]
    return (
        f"invalid configuration in {files}:\n"
        + "\n".join("  - " + p.replace("\n", "\n  - ") for p in found)
        + f"\nFix the key(s) above in {files}; {schema_file} documents every key and its "
        "default."
    )
