"""A configuration mistake reads as a short paragraph: key, value, what is allowed, and the
key meant when one is misspelt; never the JSON schema."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from project import copy_project

from invitesurvey import configcheck
from invitesurvey.io import read_yaml

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
SCHEMA = read_yaml(ROOT / "workflow" / "schemas" / "config.schema.json", "schema")


def problems_of(config: dict, change) -> list[str]:
    config = copy.deepcopy(config)
    change(config)
    return configcheck.problems(config, SCHEMA)


def test_the_project_config_has_no_problems(config):
    assert configcheck.problems(config, SCHEMA) == []


def test_a_misspelt_key_names_the_key_meant_once(config):
    def misspell(c):
        c["intervals"]["levl"] = c["intervals"].pop("level")

    found = problems_of(config, misspell)
    assert found == [
        "intervals.levl: there is no such key; did you mean 'level'? "
        "The keys of intervals are: level, min_base."
    ]


def test_a_key_at_the_wrong_level_names_where_it_belongs(config):
    found = problems_of(config, lambda c: c.update(min_base=25))
    assert len(found) == 1 and "did you mean 'intervals.min_base'?" in found[0]


def test_a_bad_value_says_what_is_allowed(config):
    found = problems_of(config, lambda c: c["intervals"].update(level=95))
    assert found == [
        "intervals.level is 95, but it must be a number greater than 0 and less than 1. "
        + " ".join(SCHEMA["properties"]["intervals"]["properties"]["level"]["description"].split())
    ]


def test_every_mistake_is_reported_at_once(config):
    def several(c):
        c["qc"]["min_progress"] = "all"
        c["figures"]["formats"] = ["svg"]
        c["models"][0]["name"] = "my model"
        del c["report"]["title"]

    found = "\n".join(problems_of(config, several))
    assert "qc.min_progress is 'all', but it must be a number from 0 to 100." in found
    assert "figures.formats is ['svg'], but it must be a list of png or svg, including png" in found
    assert "models[0].name is 'my model', but it must be text matching the pattern" in found
    assert "report.title is missing; it must be text." in found


def dry_run(workdir: Path) -> str:
    done = subprocess.run(
        [str(BIN / "snakemake"), "--dry-run"], cwd=workdir, capture_output=True, text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
             "PYTHONPATH": str(workdir / "src")},
    )  # fmt: skip
    assert done.returncode != 0
    return done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            ("  level: 0.95", "  levl: 0.95"),
            "  - intervals.levl: there is no such key; did you mean 'level'? "
            "The keys of intervals are: level, min_base.",
        ),
        (
            ("  level: 0.95", "  level: 95"),
            "  - intervals.level is 95, but it must be a number greater than 0 and less than 1.",
        ),
    ],
    ids=["misspelt-key", "bad-value"],
)
def test_snakemake_prints_the_mistake_in_a_few_lines(tmp_path, change, said):
    workdir = copy_project(tmp_path / "project")
    config = workdir / "config" / "config.yaml"
    text = config.read_text()
    assert change[0] in text
    config.write_text(text.replace(*change, 1))
    output = dry_run(workdir)
    assert "invalid configuration in config/config.yaml:\n" in output
    assert said in output
    assert "workflow/schemas/config.schema.json documents every key" in output
    assert "Failed validating" not in output and "On instance" not in output
    message = output[output.index("invalid configuration") :].splitlines()
    assert len(message) <= 5, message
    assert not (workdir / "results").exists()


def test_a_sheet_row_gets_the_schema_defaults_only_where_a_column_is_absent():
    schema = {"properties": {"wave": {"type": "string"}, "note": {"default": ""}, "weight": {}}}
    assert configcheck.with_defaults({"wave": "2015"}, schema) == {"wave": "2015", "note": ""}
    assert configcheck.with_defaults({"note": "kept"}, schema) == {"note": "kept"}
