"""A papermill engine that runs a notebook's cells in this process, with no Jupyter kernel.

papermill's own engine (nbclient) starts a kernel, a second Python that imports the stack
again, and talks to it over ZeroMQ: about 1.2 CPU-seconds of each page before its first cell.
This engine hands each cell to IPython's shell in the job's own process and records what the
kernel would have sent back (Jupyter messaging, "IOPub"): ``display_data`` for ``display()``,
``execute_result`` for a cell's last expression, ``stream`` for what is printed or warned,
``error`` for an exception, which stops the run as it does in a kernel. papermill still
injects the parameters and keeps the notebook's metadata; :func:`invitesurvey.report.execute`
chooses the engine (config ``report.engine``).

The shell is IPython's own (``InteractiveShell``, the class ipykernel's shell extends), so
display formatting is the kernel's. Each notebook starts from an empty namespace and
execution count 1; modules already imported stay imported, as they would not in a fresh
kernel: a notebook must not rely on import-time state.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from nbformat import from_dict
from papermill.engines import Engine

# What ipykernel reports as the notebook's language; nbclient copies it into the metadata.
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": sys.version.split()[0],
}


class CellTimeout(Exception):
    """A cell ran longer than the engine's ``execution_timeout``."""


class _Outputs:
    """The outputs of the cell being run, in the order they were made, consecutive text of one
    stream merged; each stream's text is also echoed to its file in ``echo`` (the rule log). A
    kernel sends stdout and stderr as it flushes them, so there the order of the two streams
    depends on timing; here it is the order they were written in."""

    def __init__(self, echo: dict[str, Any]) -> None:
        self.echo = echo
        self.cell: list[Any] = []

    def add(self, output_type: str, content: dict) -> None:
        # nbformat.v4.output_from_msg would validate every output against the schema: a tenth
        # of a page's time. These outputs are built to the schema's shape, field for field.
        self.cell.append(from_dict({"output_type": output_type, **content}))

    def stream(self, name: str, text: str) -> None:
        if self.cell and self.cell[-1].output_type == "stream" and self.cell[-1].name == name:
            self.cell[-1].text += text
        else:
            self.add("stream", {"name": name, "text": text})
        self.log(name, text)

    def log(self, name: str, text: str) -> None:
        """Echo text to the stream's file, if it has one."""
        if self.echo.get(name) is not None:
            self.echo[name].write(text)
            self.echo[name].flush()


class _Stream:
    """``sys.stdout`` or ``sys.stderr`` while a cell runs."""

    def __init__(self, outputs: _Outputs, name: str) -> None:
        self.outputs, self.name = outputs, name

    def write(self, text: str) -> int:
        if text:
            self.outputs.stream(self.name, text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _Publisher(DisplayPublisher):
    """``display()``: a ``display_data`` output, as ipykernel's publisher sends it."""

    def __init__(self, outputs: _Outputs, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outputs = outputs

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False):
        self.outputs.add("display_data", {"data": data, "metadata": metadata or {}})

    def clear_output(self, wait=False):
        self.outputs.cell.clear()


class _Result(DisplayHook):
    """A cell's last expression: an ``execute_result`` output, no ``Out[n]`` prompt."""

    def __init__(self, outputs: _Outputs, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outputs = outputs

    def start_displayhook(self):
        pass

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        content = {
            "data": format_dict,
            "metadata": md_dict or {},
            "execution_count": self.prompt_count,
        }
        self.outputs.add("execute_result", content)

    def finish_displayhook(self):
        pass


def _warn_to_stderr(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning on ``sys.stderr`` as Python does by default, whoever (a test runner) has
    replaced :func:`warnings.showwarning` in this process."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CellTimeout` in the block after ``seconds``; signals only reach the main
    thread, so elsewhere (and with no timeout) the block runs unbounded."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CellTimeout(f"the cell ran longer than {seconds:g} s (report.cell_timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _shell(outputs: _Outputs) -> InteractiveShell:
    """IPython's shell, emptied, its display routed to ``outputs`` and tracebacks uncoloured."""
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    shell.execution_count = 1
    shell.display_pub = _Publisher(outputs, shell=shell)
    shell.displayhook = _Result(outputs, shell=shell, cache_size=0)
    shell.display_trap.hook = shell.displayhook
    shell.InteractiveTB.set_theme_name("nocolor")

    def error(etype, evalue, stb):
        # One error output, as a kernel sends it; the traceback is also in the rule log.
        outputs.add("error", {"ename": etype.__name__, "evalue": str(evalue), "traceback": stb})
        outputs.log("stderr", shell.InteractiveTB.stb2text(stb) + "\n")

    shell._showtraceback = error
    return shell


class InProcessEngine(Engine):
    """papermill's engine interface over IPython's shell in this process."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        execution_timeout=None,
        **kwargs,
    ):
        """Run every code cell in order, recording its outputs; stop at the first error."""
        outputs = _Outputs({"stdout": stdout_file, "stderr": stderr_file})
        shell = _shell(outputs)
        nb_man.nb.metadata["language_info"] = dict(LANGUAGE_INFO)
        stdout, stderr = _Stream(outputs, "stdout"), _Stream(outputs, "stderr")
        for index, cell in enumerate(nb_man.nb.cells):
            if cell.cell_type != "code":
                continue
            nb_man.cell_start(cell, index)
            outputs.cell = cell.outputs = []
            failed = False
            # nbclient sends no empty cell to the kernel: it keeps no execution count.
            if cell.source.strip():
                cell.execution_count = shell.execution_count
                with (
                    contextlib.redirect_stdout(stdout),
                    contextlib.redirect_stderr(stderr),
                    warnings.catch_warnings(),
                    _deadline(execution_timeout),
                ):
                    warnings.showwarning = _warn_to_stderr
                    failed = not shell.run_cell(cell.source, store_history=True).success
            if failed:
                nb_man.cell_exception(cell, index)
            nb_man.cell_complete(cell, index)
            if failed:
                break
        return nb_man.nb
