"""The in-process engine: what a cell makes is recorded as a Jupyter kernel sends it."""

from __future__ import annotations

import nbformat
import pytest

from invitesurvey import report

CELLS = [
    "rows = 2",
    "import warnings\n\nimport pandas as pd\nfrom IPython.display import HTML, Markdown, display",
    "display(Markdown(f'**{rows} rows**'))\nprint('one')\nprint('two')\ndisplay(HTML('<b>x</b>'))",
    "",
    "pd.DataFrame({'a': range(rows)})",
    "print('before')\nwarnings.warn('a warning')\nprint('after')",
    "x = 1\nx + 1",
    "x = 3;",
]


def notebook(path, cells: list[str]):
    spec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells = [nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells[1:]]
    nbformat.write(nb, path)
    return path


def executed(path, engine: str, tmp_path, **parameters):
    return report.execute(
        path, parameters, engine=engine, kernel="python3", timeout=60, cwd=tmp_path
    )


def outputs(nb) -> list:
    return [(c.execution_count, c.outputs) for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engines")
    path = notebook(folder / "n.ipynb", CELLS)
    return {engine: executed(path, engine, folder, rows=3) for engine in report.ENGINES}


def test_every_output_and_execution_count_is_the_kernels(both):
    """stderr aside: a kernel sends it when flushed, so its place among the outputs is timing
    (normalise drops it from every page's notebook)."""
    assert outputs(report.normalise(both["inprocess"])) == outputs(report.normalise(both["kernel"]))


def test_the_notebook_metadata_is_the_kernels(both):
    assert both["inprocess"].metadata.language_info == both["kernel"].metadata.language_info


def test_outputs_come_in_the_order_made_with_streams_merged(both):
    cell = both["inprocess"].cells[3]
    assert [o.output_type for o in cell.outputs] == ["display_data", "stream", "display_data"]
    assert cell.outputs[0].data["text/markdown"] == "**3 rows**"
    assert cell.outputs[1].text == "one\ntwo\n"


def test_a_last_expression_is_a_result_and_a_semicolon_silences_it(both):
    cells = both["inprocess"].cells
    assert cells[7].outputs[0].output_type == "execute_result"
    assert cells[7].outputs[0].data["text/plain"] == "2"
    assert cells[5].outputs[0].data["text/html"].startswith("<div>")
    assert cells[8].outputs == []


def test_an_empty_cell_is_not_run(both):
    cell = both["inprocess"].cells[4]
    assert cell.execution_count is None and cell.outputs == []


def test_a_warning_is_stderr_between_the_prints_and_normalise_keeps_the_prints(both):
    cell = both["inprocess"].cells[6]
    names = [o.name for o in cell.outputs]
    assert names == ["stdout", "stderr", "stdout"] and "a warning" in cell.outputs[1].text
    clean = report.normalise(both["inprocess"]).cells[6]
    assert [(o.name, o.text) for o in clean.outputs] == [("stdout", "before\nafter\n")]


def test_each_notebook_starts_from_an_empty_namespace(tmp_path):
    executed(notebook(tmp_path / "a.ipynb", ["leftover = 1", "leftover"]), "inprocess", tmp_path)
    with pytest.raises(report.NotebookError, match="NameError: name 'leftover' is not defined"):
        executed(notebook(tmp_path / "b.ipynb", ["", "leftover"]), "inprocess", tmp_path)


def test_an_error_stops_the_run_and_is_recorded_as_the_kernel_records_it(tmp_path):
    path = notebook(tmp_path / "e.ipynb", ["n = 1", "print('ran')\n1 / 0", "print('never')"])
    with pytest.raises(report.NotebookError, match=r"cell 2 .* ZeroDivisionError") as failure:
        executed(path, "inprocess", tmp_path)
    error = failure.value.__cause__
    assert error.ename == "ZeroDivisionError" and "1 / 0" in "".join(error.traceback)


def test_a_cell_over_the_timeout_fails_naming_the_setting(tmp_path):
    path = notebook(tmp_path / "t.ipynb", ["n = 1", "import time\ntime.sleep(30)"])
    with pytest.raises(report.NotebookError, match=r"CellTimeout.*report.cell_timeout"):
        report.execute(path, {}, engine="inprocess", kernel="python3", timeout=1, cwd=tmp_path)


def test_an_unknown_engine_names_the_setting(tmp_path):
    with pytest.raises(report.InputError, match="no report engine named 'jupyter'") as error:
        executed(notebook(tmp_path / "u.ipynb", ["n = 1"]), "jupyter", tmp_path)
    assert error.value.column == "report.engine"


def test_a_failing_cell_keeps_what_it_printed_and_one_error_output_as_a_kernel_does(tmp_path):
    import papermill
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    from invitesurvey.engine import InProcessEngine

    papermill_engines.register("inprocess", InProcessEngine)
    path = notebook(tmp_path / "e.ipynb", ["n = 1", "print('ran')\nraise KeyError('gone')"])
    failed = {}
    for engine in ("inprocess", None):
        written = tmp_path / f"{engine}.ipynb"
        with pytest.raises(PapermillExecutionError):
            papermill.execute_notebook(
                str(path), str(written), engine_name=engine, kernel_name="python3",
                progress_bar=False, cwd=str(tmp_path),
            )  # fmt: skip
        cell = nbformat.read(written, as_version=4).cells[-1]  # after papermill's error banner
        failed[engine] = [
            (o.output_type, o.get("text"), o.get("ename"), o.get("evalue")) for o in cell.outputs
        ]
    assert failed["inprocess"] == failed[None]
    assert failed["inprocess"] == [
        ("stream", "ran\n", None, None),
        ("error", None, "KeyError", "'gone'"),
    ]
