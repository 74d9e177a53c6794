"""`invitesurvey add-wave`: a clean export is checked and appended; a misfit changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from invitesurvey.cli import main

ROOT = Path(__file__).resolve().parents[1]


def simulate(path: str, fmt: str, n: int = 60) -> None:
    args = ["simulate", "--wave", "2015", "--n", str(n), "--format", fmt, "--seed", "5"]
    assert main([*args, "--artefacts", "--output", path]) == 0


@pytest.mark.parametrize("fmt", ["qualtrics", "surveymonkey", "googleforms", "spss", "excel"])
def test_a_clean_export_is_appended_to_the_sheet(project, capsys, fmt):
    suffix = {"spss": ".sav", "excel": ".xlsx"}.get(fmt, ".csv")
    path = f"data/raw/wave-2015{suffix}"
    simulate(path, fmt)
    before = (project / "config" / "waves.tsv").read_text()
    code = main(["add-wave", path, "--wave", "2015", "--format", fmt, "--note", "synthetic"])
    out = capsys.readouterr().out
    assert code == 0
    assert "-> stranger_response: single choice" in out and "quality control preview" in out
    assert "-> accept_reasons: select-all, 6 options + other text" in out
    assert "-> accept_likelihood: grid, 4 rows x 4-point scale" in out
    assert "-> pending_invitations: number (whole, 0 to 100,000)" in out
    added = (project / "config" / "waves.tsv").read_text()[len(before) :]
    assert added.startswith(f"2015\t{path}\t{fmt}\t")
    assert added.rstrip("\n").endswith("synthetic")


def test_check_only_leaves_the_sheet_alone(project):
    simulate("data/raw/w.csv", "csv")
    before = (project / "config" / "waves.tsv").read_bytes()
    assert main(["add-wave", "data/raw/w.csv", "--wave", "2015", "--format", "csv",
                 "--fieldwork-start", "2015-03-01", "--fieldwork-end", "2015-03-31",
                 "--check-only"]) == 0  # fmt: skip
    assert (project / "config" / "waves.tsv").read_bytes() == before


def test_a_misfit_names_the_column_and_closest_entry_and_changes_nothing(project, capsys):
    simulate("data/raw/w.csv", "surveymonkey")
    raw = Path("data/raw/w.csv")
    raw.write_text(raw.read_text().replace("Ignore them", "Ignore it", 1))
    before = (project / "config" / "waves.tsv").read_bytes()
    assert main(["add-wave", str(raw), "--wave", "2015", "--format", "surveymonkey"]) == 1
    err = capsys.readouterr().err
    assert "data/raw/w.csv" in err and "'Ignore it'" in err and "closest 'Ignore them'" in err
    assert "column 'What do you usually do with invitations you do not accept?': 'Ignore it'" in err
    assert (project / "config" / "waves.tsv").read_bytes() == before


def test_an_existing_wave_id_is_refused(project, capsys):
    simulate("data/raw/w.csv", "surveymonkey")
    assert main(["add-wave", "data/raw/w.csv", "--wave", "2014", "--format", "surveymonkey"]) == 1
    assert "wave '2014' is already in the sheet" in capsys.readouterr().err


def test_the_wrong_format_is_named(project, capsys):
    simulate("data/raw/w.csv", "qualtrics")
    assert main(["add-wave", "data/raw/w.csv", "--wave", "2015", "--format", "surveymonkey"]) == 1
    assert "data/raw/w.csv" in capsys.readouterr().err


def test_the_committed_demo_wave_regenerates_byte_for_byte(tmp_path):
    out = tmp_path / "demo.csv"
    command = [
        str(Path(sys.executable).parent / "invitesurvey"), "simulate", "--wave", "2015",
        "--n", "400", "--format", "qualtrics", "--seed", "2015", "--artefacts",
        "--shift", "purpose:find_role=0.06", "--shift", "invites_strangers:true=0.08",
        "--output", str(out),
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert out.read_bytes() == (ROOT / "data/raw/demo/wave-2015-synthetic.csv").read_bytes()
