"""Pages are stamped with the version of the code, not of the config or the data."""

from __future__ import annotations

from pathlib import Path

from project import copy_project

from invitesurvey.codeversion import code_files, code_version


def test_the_version_covers_library_workflow_and_notebooks_only(tmp_path):
    root = copy_project(tmp_path / "p")
    files = {p.as_posix() for p in code_files(root)}
    assert "notebooks/writeup.ipynb" in files and "src/invitesurvey/present.py" in files
    assert "workflow/rules/report.smk" in files and "Snakefile" in files
    assert not any(f.startswith(("config/", "data/", "results/")) for f in files)


def test_adding_a_wave_or_changing_data_leaves_the_version_alone(tmp_path):
    root = copy_project(tmp_path / "p")
    before = code_version(root)
    sheet = root / "config" / "waves.tsv"
    sheet.write_text(
        sheet.read_text() + "2015\tdata/raw/x.csv\tcsv\t2015-01-01\t2015-01-31\t\tsynthetic\t\n"
    )
    (root / "data" / "raw" / "x.csv").write_text("a\n1\n")
    (root / "results").mkdir()
    (root / "results" / "anything.csv").write_text("x\n")
    assert code_version(root) == before


def test_editing_a_notebook_or_the_library_changes_the_version(tmp_path):
    root = copy_project(tmp_path / "p")
    before = code_version(root)
    notebook = root / "notebooks" / "writeup.ipynb"
    notebook.write_text(notebook.read_text().replace("## Limitations", "## Limits"))
    edited = code_version(root)
    assert edited != before
    module = root / "src" / "invitesurvey" / "present.py"
    module.write_text(module.read_text() + "\n")
    assert code_version(root) != edited


def test_two_copies_of_the_same_code_have_the_same_version(tmp_path):
    assert code_version(copy_project(tmp_path / "a")) == code_version(copy_project(tmp_path / "b"))
    assert code_version(Path(tmp_path / "a")).startswith("invitesurvey ")
