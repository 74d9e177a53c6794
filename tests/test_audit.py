"""`invitesurvey audit verify` and `trace`, and the per-input hashes of the manifest they read.

A small project is laid out in a scratch folder: two raw exports, their clean waves, a pooled
table from both and a per-wave table, with Snakemake-style records, and a manifest built by
invitesurvey.manifest as the manifest rule builds it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from invitesurvey import audit, cli, manifest
from invitesurvey.errors import InputError

CODE = "src/invitesurvey/crosstab.py"
INGEST_PARAMS = ["'surveymonkey'", "{'min_progress': 100}"]


def sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder as a run leaves it, the current directory for the test."""
    monkeypatch.chdir(tmp_path)
    write("data/raw/wave-2014.csv", "id,answer\n1,yes\n2,no\n")
    write("data/raw/wave-2015.csv", "id,answer\n7,no\n")
    write("config/codebook.yaml", "variables: []\n")
    write(CODE, "# the crosstab code\n")
    write("results/README.md", "documentation, not an output\n")
    records = {}
    for wave in ("2014", "2015"):
        write(f"results/waves/{wave}/clean.csv", f"wave,answer\n{wave},yes\n")
        write(f"results/waves/{wave}/exclusions.csv", "respondent_id,source_row,rule\n2,3,test\n")
        for name in ("clean.csv", "exclusions.csv"):
            records[f"results/waves/{wave}/{name}"] = {
                "rule": "ingest",
                "input": [f"data/raw/wave-{wave}.csv", "config/codebook.yaml"],
                "params": INGEST_PARAMS,
                "code": '        "../scripts/ingest.py"\n',
            }
        write(f"results/waves/{wave}/crosstabs.csv", f"wave,n\n{wave},1\n")
        records[f"results/waves/{wave}/crosstabs.csv"] = {
            "rule": "wave_tables",
            "input": [f"results/waves/{wave}/clean.csv", CODE],
            "params": ["0.95"],
            "code": '        "../scripts/tables.py"\n',
        }
    write("results/tables/crosstabs.csv", "wave,n\n2014,1\n2015,1\nall,2\n")
    records["results/tables/crosstabs.csv"] = {
        "rule": "tables",
        "input": ["results/waves/2014/clean.csv", "results/waves/2015/clean.csv", CODE],
        "params": ["0.95", "30"],
        "code": '        "../scripts/tables.py"\n',
    }
    manifest.write(manifest.build(sorted(records), records, "v1.2"), "results/audit/manifest.tsv")
    return tmp_path


def run_cli(*args: str, capsys) -> tuple[int, str]:
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


# --- The manifest ------------------------------------------------------------------------


def test_the_manifest_lists_one_hash_per_input_in_input_order(project):
    rows = audit.read_manifest()
    pooled = rows["results/tables/crosstabs.csv"]
    assert len(pooled.input_hashes) == len(pooled.inputs) == 3
    assert list(pooled.input_hashes) == [sha(p) for p in pooled.inputs]
    assert pooled.script == "workflow/scripts/tables.py"
    assert pooled.params == "0.95, 30"


# --- verify ------------------------------------------------------------------------------


def test_verify_passes_when_every_file_is_as_listed(project, capsys):
    status, said = run_cli("audit", "verify", capsys=capsys)
    assert status == 0, said
    assert "7 files listed" in said and "OK" in said


def test_verify_lists_edited_missing_and_unexpected_files(project, capsys):
    Path("results/tables/crosstabs.csv").write_text("wave,n\nall,3\n")
    Path("results/waves/2015/exclusions.csv").unlink()
    write("results/tables/notes.csv", "a note someone left\n")
    write("results/waves/2014/.clean.csv.x1y2.tmp", "half a file\n")
    status, said = run_cli("audit", "verify", capsys=capsys)
    assert status == 1
    found = audit.verify()
    assert [path for path, _, _ in found.edited] == ["results/tables/crosstabs.csv"]
    assert found.missing == ["results/waves/2015/exclusions.csv"]
    assert found.unexpected == [
        "results/tables/notes.csv",
        "results/waves/2014/.clean.csv.x1y2.tmp",
    ]
    for path in ("results/tables/crosstabs.csv", "results/waves/2015/exclusions.csv",
                 "results/tables/notes.csv"):  # fmt: skip
        assert path in said
    assert "results/README.md" not in said


def test_verify_notes_a_changed_raw_file_without_failing(project, capsys):
    write("data/raw/wave-2015.csv", "id,answer\n7,yes\n")
    status, said = run_cli("audit", "verify", capsys=capsys)
    assert status == 0
    assert "data/raw/wave-2015.csv: edited" in said


def test_verify_leaves_out_another_configurations_outputs(project, capsys):
    write("results/demo/audit/manifest.tsv", "path\tsha256\tinputs\n")
    write("results/demo/tables/crosstabs.csv", "wave,n\n")
    assert audit.verify().unexpected == []


def test_verify_without_a_manifest_says_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, said = run_cli("audit", "verify", capsys=capsys)
    assert status == 1
    assert "results/audit/manifest.tsv: no manifest here" in said and "make" in said


# --- trace -------------------------------------------------------------------------------


def test_trace_prints_rule_script_parameters_and_inputs_with_hashes(project, capsys):
    status, said = run_cli("audit", "trace", "results/tables/crosstabs.csv", capsys=capsys)
    assert status == 0
    assert "made by rule: tables" in said
    assert "script:       workflow/scripts/tables.py" in said
    assert "parameters:   0.95, 30" in said
    lines = said.splitlines()
    for path in ("results/waves/2014/clean.csv", "results/waves/2015/clean.csv", CODE):
        line = next(line for line in lines if line.strip().startswith(path))
        assert f"sha256 {sha(path)}" in line
    assert "(made by ingest)" in next(line for line in lines if "2015/clean.csv" in line)


def test_trace_walks_back_to_the_raw_files(project):
    found = audit.trace("results/tables/crosstabs.csv")
    assert [path for path, _, _ in found.raw] == [
        "data/raw/wave-2014.csv",
        "data/raw/wave-2015.csv",
    ]
    assert all(listed == now for _, listed, now in found.raw)
    assert {e.rule for e in found.upstream} == {"ingest"}
    assert [path for path, _, _ in found.sources] == ["config/codebook.yaml", CODE]


def test_trace_of_a_row_follows_only_its_wave(project, capsys):
    # Row 3 of the pooled table (the header is row 1) is wave 2015's.
    found = audit.trace("results/tables/crosstabs.csv", row=3)
    assert found.row == {"wave": "2015", "n": "1"}
    assert [path for path, _, _ in found.raw] == ["data/raw/wave-2015.csv"]
    # The pooled row is about both waves.
    assert len(audit.trace("results/tables/crosstabs.csv", row=4).raw) == 2
    status, said = run_cli("audit", "trace", "results/tables/crosstabs.csv", "3", capsys=capsys)
    assert status == 0 and "wave = 2015" in said and "wave-2014.csv" not in said


def test_trace_of_an_exclusion_names_its_raw_row(project, capsys):
    status, said = run_cli(
        "audit", "trace", "results/waves/2014/exclusions.csv", "2", capsys=capsys
    )
    assert status == 0
    assert "source_row 3 is the row of data/raw/wave-2014.csv" in said


def test_trace_says_when_a_raw_file_changed_since_the_run(project):
    write("data/raw/wave-2014.csv", "id,answer\n1,no\n")
    text = audit.trace_text(audit.trace("results/tables/crosstabs.csv"))
    assert "data/raw/wave-2014.csv  sha256 " in text and "EDITED since" in text


def test_trace_of_an_unlisted_file_suggests_the_closest(project):
    with pytest.raises(InputError, match=r"Did you mean results/tables/crosstabs\.csv"):
        audit.trace("results/tables/crosstab.csv")
    with pytest.raises(InputError, match="no row 9"):
        audit.trace("results/tables/crosstabs.csv", row=9)
