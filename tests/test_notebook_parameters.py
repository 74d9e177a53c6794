"""The executed notebooks do not depend on whether black is installed.

papermill formats the injected parameters cell with black whenever black imports, and the
test tools bring black in (through snakefmt), so without care a run after `make test` would
give other bytes than a run before it.
"""

from __future__ import annotations

import sys

import nbformat
import pytest

from invitesurvey import report

# Long enough that black would wrap it, with quotes black would otherwise leave alone.
PARAMETERS = {
    "title": "What really happens when you send a LinkedIn invitation",
    "tables": {name: f"results/tables/{name}.csv" for name in ("crosstabs", "changes", "tests")},
    "flows": {"2014": "results/waves/2014/flow.csv", "2015": "results/waves/2015/flow.csv"},
    "level": 0.95,
}


def template(path):
    spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells = [
        nbformat.v4.new_code_cell("title = ''\ntables = {}\nflows = {}\nlevel = 0.9",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(title, len(tables), sorted(flows), level)"),
    ]  # fmt: skip
    nbformat.write(nb, path)
    return path


def executed_text(path, tmp_path) -> str:
    executed = report.execute(
        path, PARAMETERS, engine="inprocess", kernel="python3", timeout=60, cwd=tmp_path
    )
    return report.notebook_text(report.normalise(executed))


def injected_source(text: str) -> str:
    notebook = nbformat.reads(text, as_version=4)
    cells = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return cells[0].source


def test_the_notebook_is_the_same_bytes_with_black_importable_or_hidden(tmp_path, monkeypatch):
    pytest.importorskip("black")
    path = template(tmp_path / "t.ipynb")
    with_black = executed_text(path, tmp_path)
    # None in sys.modules makes `import black` raise ImportError, as when it is not installed.
    monkeypatch.setitem(sys.modules, "black", None)
    without_black = executed_text(path, tmp_path)
    assert with_black == without_black
    # One plain `name = value` line per parameter, as papermill writes them before formatting.
    lines = injected_source(with_black).splitlines()
    assert lines[0] == "# Parameters"
    assert [line.split(" = ")[0] for line in lines[1:]] == list(PARAMETERS)


def test_papermill_is_left_as_it_was_after_a_run(tmp_path):
    from papermill.translators import PythonTranslator, papermill_translators

    executed_text(template(tmp_path / "t.ipynb"), tmp_path)
    assert papermill_translators.find_translator("python3", "python") is PythonTranslator
