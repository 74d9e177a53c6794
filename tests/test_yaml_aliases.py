"""YAML aliases are refused in the project's YAML files: a "billion laughs" document ends in
one error within a second instead of growing without bound.

Nine lines of nested aliases describe 10^9 values. Loading them is cheap (an alias is a
reference), but anything that walks the result expands them all; Snakemake does, when it
writes the configuration out before the first job.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from project import copy_project

from invitesurvey import claims, codebook, io, yamlfile
from invitesurvey.errors import InputError

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def laughs(indent: str = "") -> str:
    lines = [f'{indent}lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"{indent}lol{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def refused_quickly(load) -> InputError:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError) as error:
            load()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - started < 1
    assert peak < 20 * 2**20
    return error.value


@pytest.mark.parametrize(
    "reader",
    [
        lambda p: io.read_yaml(p, "wave mapping"),
        lambda p: codebook.load(p),
        lambda p: claims.load(p),
        lambda p: yamlfile.load(p, "configuration"),
    ],
    ids=["mapping", "codebook", "claims", "config"],
)
def test_a_billion_laughs_is_one_clear_error_within_a_second(tmp_path, reader):
    path = tmp_path / "laughs.yaml"
    path.write_text("variables:\n" + laughs("  "))
    error = refused_quickly(lambda: reader(path))
    assert f"{path}, row 3: YAML alias '*l0' refused" in str(error)
    assert "Write the repeated values out in full" in str(error)


def test_a_merge_key_is_an_alias_too(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("base: &base {level: 0.95}\nintervals:\n  <<: *base\n")
    with pytest.raises(InputError, match=r"row 3: YAML alias '\*base' refused"):
        io.read_yaml(path, "configuration")


def test_deep_nesting_and_huge_files_are_refused(tmp_path, monkeypatch):
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(InputError, match="nested deeper than 100 levels"):
        io.read_yaml(deep, "configuration")
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="more than the 10 a YAML file here may have"):
        io.read_yaml(ROOT / "config" / "config.yaml", "configuration")


def test_the_project_yaml_files_read_as_before(config):
    for name in ("config.yaml", "codebook.yaml", "published_claims.yaml", "demo/config.yaml"):
        path = ROOT / "config" / name
        assert io.read_yaml(path, name) == (yaml.safe_load(path.read_text()) or {})
    assert io.read_yaml(ROOT / "config" / "config.yaml", "configuration") == config


def _limit_memory() -> None:
    # Today's Snakemake would take minutes and gigabytes; keep a regression bounded.
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


@pytest.mark.slow
def test_snakemake_refuses_a_config_file_with_aliases_before_expanding_them(tmp_path):
    workdir = copy_project(tmp_path / "project")
    config = workdir / "config" / "config.yaml"
    # Under a key whose value the schema leaves free, so validation alone would not stop it.
    text = config.read_text()
    assert "  assumed_shares:\n" in text
    config.write_text(
        text.replace("  assumed_shares:\n", "  assumed_shares:\n" + laughs("    "), 1)
    )
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "snakemake"), "--dry-run"], cwd=workdir, capture_output=True, text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
             "PYTHONPATH": str(workdir / "src")},
        preexec_fn=_limit_memory, timeout=120,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert time.perf_counter() - started < 30
    assert "config/config.yaml, row " in said and "YAML alias '*l0' refused" in said
    assert "Traceback" not in said
