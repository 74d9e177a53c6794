"""YAML configuration read safely: no aliases, a bounded size and nesting depth.

An alias (``*name``) repeats an anchored node (``&name``) by reference, so nine lines of
nested aliases describe a billion values: harmless while the document is only loaded, but
anything that walks it (schema validation, ``json.dumps``, printing it in an error) expands
them all. Snakemake writes its configuration out with ``json.dumps`` before the first job, so
such a config file would run for minutes and exhaust memory. The configuration, codebook,
published claims and wave mappings are short hand-written files that never need aliases: they
are refused, at the line of the first one, before anything walks the document.

Only PyYAML and the error type are imported, so the workflow can call this while it builds
its DAG without importing pandas.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from invitesurvey.errors import InputError

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100


class _Refused(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None
        self.hint = hint


# libyaml's parser where PyYAML was built with it: the workflow reads these files each time
# Snakemake starts, and the pure-Python parser took 0.2 s of a 1.7 s rerun with nothing to do.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_events(text: str) -> None:
    """Refuse the first alias, or nesting deeper than ``MAX_DEPTH``, from the parser's events
    alone: nothing is composed, so an alias is refused before anything can expand it."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"YAML alias '*{event.anchor}' refused",
                event.start_mark,
                "Anchors and aliases (&name, *name, and '<<: *name' merge keys) are not "
                "accepted in the project's YAML files: nested aliases can expand a few lines "
                "into billions of values. Write the repeated values out in full.",
            )
        if isinstance(event, _OPENING):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(
                    f"YAML nested deeper than {MAX_DEPTH} levels",
                    event.start_mark,
                    "Flatten the structure; no configuration file needs this depth.",
                )
        elif isinstance(event, _CLOSING):
            depth -= 1


def loads(text: str, *, file: str | Path | None = None, what: str = "YAML file") -> object:
    """Parse YAML text as :func:`yaml.safe_load` would, refusing aliases and deep nesting."""
    try:
        _check_events(text)
        return yaml.load(text, Loader=_SafeLoader)
    except _Refused as refused:
        raise InputError(
            f"{refused.message} in the {what}", file=file, row=refused.line, hint=refused.hint
        ) from None
    except yaml.YAMLError as error:
        raise InputError(f"cannot read the {what}: {error}", file=file) from error


def load(path: str | Path, what: str) -> object:
    """A YAML file's content, checked like :func:`loads`; ``what`` names the file in errors."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"the {what} is {size:,} bytes, more than the {MAX_BYTES:,} a YAML file here "
                "may have",
                file=path,
                hint="Check that the right file is named; configuration files are small.",
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the {what}: {error}", file=path) from error
    return loads(text, file=path, what=what)
