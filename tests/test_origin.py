"""Where each wave came from: the sheet's required origin column, filled by add-wave."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from invitesurvey import addwave
from invitesurvey.cli import main
from invitesurvey.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def simulated(path: str, fmt: str) -> None:
    args = ["simulate", "--wave", "2016", "--n", "40", "--format", fmt, "--seed", "3"]
    assert main([*args, "--output", path]) == 0


@pytest.mark.parametrize(
    "fmt", ["qualtrics", "surveymonkey", "googleforms", "spss", "excel", "csv"]
)
def test_add_wave_marks_a_simulated_export_synthetic_by_itself(project, fmt):
    suffix = {"spss": ".sav", "excel": ".xlsx"}.get(fmt, ".csv")
    path = f"data/raw/wave-2016{suffix}"
    simulated(path, fmt)
    assert main(["add-wave", path, "--wave", "2016", "--format", fmt]) == 0
    sheet = pd.read_csv(project / "config" / "waves.tsv", sep="\t", dtype=str).set_index("wave")
    assert sheet.loc["2016", "origin"] == "synthetic"
    assert sheet.loc["2014", "origin"] == "reconstructed"


def test_a_simulated_export_is_never_collected():
    frame = pd.DataFrame({"email": ["a.b1@example.com", None, "c.d2@example.com"]})
    with pytest.raises(InputError, match="cannot be collected"):
        addwave.origin_of("collected", frame, "w.csv")
    assert addwave.origin_of(None, frame, "w.csv") == "synthetic"
    assert addwave.origin_of("reconstructed", frame, "w.csv") == "reconstructed"


def test_an_export_of_real_addresses_is_collected_unless_told_otherwise():
    frame = pd.DataFrame({"email": ["jo@firm.co.uk", "a.b1@example.com"]})
    assert addwave.origin_of(None, frame, "w.csv") == "collected"
    assert addwave.origin_of(None, pd.DataFrame({"q": [1]}), "w.csv") == "collected"
    with pytest.raises(InputError, match="not one of"):
        addwave.origin_of("made up", frame, "w.csv")


def test_the_sheet_requires_an_origin_from_the_three():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "waves.schema.yaml").read_text())
    assert "origin" in schema["required"]
    assert schema["properties"]["origin"]["enum"] == ["collected", "reconstructed", "synthetic"]
    for sheet in ("config/waves.tsv", "config/demo/waves.tsv"):
        rows = pd.read_csv(ROOT / sheet, sep="\t", dtype=str)
        assert set(rows["origin"]) <= {"collected", "reconstructed", "synthetic"}
    demo = pd.read_csv(ROOT / "config/demo/waves.tsv", sep="\t", dtype=str).set_index("wave")
    assert demo.loc["2015", "origin"] == "synthetic"


def test_the_cli_refuses_collected_for_a_simulated_file_and_leaves_the_sheet(project, capsys):
    simulated("data/raw/w.csv", "qualtrics")
    before = (project / "config" / "waves.tsv").read_bytes()
    args = ["add-wave", "data/raw/w.csv", "--wave", "2016", "--format", "qualtrics"]
    assert main([*args, "--origin", "collected"]) == 1
    assert "cannot be collected" in capsys.readouterr().err
    assert (project / "config" / "waves.tsv").read_bytes() == before
    assert main([*args, "--origin", "synthetic", "--check-only"]) == 0
