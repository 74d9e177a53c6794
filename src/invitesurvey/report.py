"""Running a write-up notebook: papermill executes the template (in this process or in a fresh
kernel, :data:`ENGINES`), what would change between runs is stripped, and the outputs and
markdown become one self-contained HTML page without code, with a table of contents.

What the notebook itself calls lives elsewhere, one job per module: :mod:`invitesurvey.results`
reads, :mod:`invitesurvey.present` formats, :mod:`invitesurvey.htmlcheck` checks the page. The
words of the write-up are in the notebook's markdown cells (notebooks/writeup.ipynb).

papermill and mistune are imported inside the functions that need them: a kernel must not pay
for them.
"""

from __future__ import annotations

import contextlib
import copy
import html
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from invitesurvey import io
from invitesurvey.errors import InputError

# What the kernel must see so that two runs give the same bytes: a fixed name for cell code
# in tracebacks and warnings (else a temporary path with the kernel's pid), a fixed epoch for
# any library that stamps dates, and a fixed hash seed for anything ordered by hashing.
KERNEL_ENVIRONMENT = {
    "IPYKERNEL_CELL_NAME": "<IPY-INPUT>",
    "SOURCE_DATE_EPOCH": "0",
    "PYTHONHASHSEED": "0",
}
# Notebook metadata papermill writes that does not change between runs.
KEPT_PAPERMILL = ("default_parameters", "parameters", "version")


def require_kernel(name: str) -> None:
    """Fail before executing anything when no Jupyter kernel has this name."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        known = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise InputError(
            f"no Jupyter kernel named {name!r} (installed kernels: {known})",
            file="config/config.yaml",
            column="report.kernel",
            hint=f"Install it from the project's environment with `python -m ipykernel "
            f"install --user --name {name}`, or run Snakemake from the project's venv, or set "
            "report.kernel to an installed kernel.",
        ) from None


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (a kernel started inside inherits them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _plain_parameters(kernel: str) -> Iterator[None]:
    """Inject the parameters as papermill writes them before formatting, black or no black.

    papermill's Python translator runs the injected cell through black whenever black can be
    imported, so the executed notebook (and every byte after it) would depend on whether the
    test tools happen to be installed. For the block, the kernel's name maps to a translator
    that stops before that step; papermill looks a translator up by kernel name first.
    """
    from papermill.translators import PythonTranslator, papermill_translators

    class PlainPython(PythonTranslator):
        @classmethod
        def codify(cls, parameters: dict, comment: str = "Parameters") -> str:
            # The base translator's codify: one `name = value` line per parameter.
            return super(PythonTranslator, cls).codify(parameters, comment)

    registry = papermill_translators._translators
    saved = registry.get(kernel)
    registry[kernel] = PlainPython
    try:
        yield
    finally:
        if saved is None:
            registry.pop(kernel, None)
        else:
            registry[kernel] = saved


class NotebookError(RuntimeError):
    """A cell of a report notebook raised; the message names the notebook, cell and error."""


@contextlib.contextmanager
def _process_stderr(stream: Any) -> Iterator[None]:
    """Point file descriptor 2 at ``stream`` for the block: a kernel started inside then
    writes its own start-up and shutdown messages to the rule log, not to the terminal."""
    if stream is None:
        yield
        return
    stream.flush()
    saved = os.dup(2)
    os.dup2(stream.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# The engines :func:`execute` offers (config ``report.engine``): the notebook's cells run in
# this process through IPython (:mod:`invitesurvey.engine`), or in a fresh Jupyter kernel.
ENGINES = ("inprocess", "kernel")


def execute(
    template: str | Path,
    parameters: Mapping[str, Any],
    *,
    engine: str,
    kernel: str,
    timeout: int,
    cwd: str | Path | None = None,
    log: Any = None,
) -> Any:
    """Run a notebook template with papermill; return the executed notebook.

    ``engine`` "inprocess" runs the cells in this process (no kernel start-up); "kernel" in a
    fresh Jupyter kernel named ``kernel``. Cell output streams (and a kernel's own messages)
    go to ``log`` (a file) as they happen. A cell that raises stops the run with a
    :class:`NotebookError` naming the cell and its error, the cell's traceback chained to it;
    nothing is written, so a failed run leaves no page behind. The injected parameters cell
    is the same text whether or not black is installed (:func:`_plain_parameters`).
    """
    import papermill
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    if engine not in ENGINES:
        raise InputError(
            f"no report engine named {engine!r} (known: {', '.join(ENGINES)})",
            file="config/config.yaml",
            column="report.engine",
        )
    if engine == "inprocess":
        from invitesurvey.engine import InProcessEngine

        papermill_engines.register("inprocess", InProcessEngine)
    else:
        require_kernel(kernel)
    with _environment(KERNEL_ENVIRONMENT), _process_stderr(log), _plain_parameters(kernel):
        try:
            return papermill.execute_notebook(
                str(template),
                None,
                parameters=dict(parameters),
                engine_name="inprocess" if engine == "inprocess" else None,
                kernel_name=kernel,
                execution_timeout=timeout,
                progress_bar=False,
                stdout_file=log,
                stderr_file=log,
                cwd=None if cwd is None else str(cwd),
            )
        except PapermillExecutionError as error:
            first_line = error.source.strip().splitlines()[0] if error.source.strip() else ""
            raise NotebookError(
                f"{template}: cell {error.exec_count} ({first_line!r}) raised {error.ename}: "
                f"{error.evalue}"
            ) from error


def normalise(notebook: Any) -> Any:
    """The executed notebook without anything that changes between identical runs.

    Papermill's timings and paths and the kernel's execution timestamps are dropped, the
    injected parameters cell gets a fixed id, and stderr streams are removed: they are in the
    rule log already, and warnings about caches or the platform would make two runs differ.
    What stdout text is left next to each other becomes one output.
    """
    notebook = copy.deepcopy(notebook)
    kept = {k: v for k, v in notebook.metadata.get("papermill", {}).items() if k in KEPT_PAPERMILL}
    notebook.metadata["papermill"] = kept
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        if cell.cell_type == "code":
            cell.outputs = _merged_streams(
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            )
    return notebook


def _merged_streams(outputs: Iterable[Any]) -> list[Any]:
    """Outputs with consecutive stdout text as one output, as a kernel sends what it flushed
    together: two prints around a warning are one output once the warning is dropped."""
    merged: list[Any] = []
    for output in outputs:
        if output.output_type == "stream" and merged and merged[-1].output_type == "stream":
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


# Markdown cells a page keeps only when it is the pooled write-up ("pooled") or a page about
# the article's wave, pooled or the claims wave's own ("claims"); untagged cells are on every page.
PAGE_TAGS = ("pooled", "claims")


def page_tags(parameters: Mapping[str, Any]) -> set[str]:
    """The tags of the cells a page keeps, from its notebook parameters."""
    wave = parameters.get("wave") or ""
    if not wave:
        return {"pooled", "claims"}
    return {"claims"} if wave == parameters.get("claims_wave") else set()


def keep_cells(notebook: Any, tags: set[str]) -> Any:
    """The notebook without the cells tagged for other pages (:data:`PAGE_TAGS`)."""
    notebook = copy.deepcopy(notebook)
    notebook.cells = [
        cell
        for cell in notebook.cells
        if not (set(cell.metadata.get("tags", [])) & set(PAGE_TAGS)) - tags
    ]
    return notebook


def notebook_text(notebook: Any) -> str:
    """The notebook as JSON: sorted keys, so equal notebooks are equal bytes."""
    import nbformat

    return nbformat.writes(notebook) + "\n"


STYLE = """
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 58rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem;
  overflow-wrap: break-word; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.4rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.12rem; margin-top: 1.8rem; }
.anchor-link { display: none; }
.notice { background: #fff4d6; border: 2px solid #c98a00; border-radius: 6px;
  padding: 0.4rem 1rem; margin: 1rem 0; }
figure { margin: 1rem 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #444; margin-top: 0.3rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; display: block;
  max-width: 100%; overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left;
  vertical-align: top; white-space: nowrap; }
td:first-child { white-space: normal; min-width: 8rem; }
th { white-space: normal; }
th { background: #f3f3f3; }
pre { white-space: pre-wrap; font-size: 0.85rem; }
nav.toc { background: #f7f7f7; border-left: 3px solid #bbb; padding: 0.3rem 1rem;
  margin: 1rem 0; font-size: 0.92rem; }
nav.toc ol { margin: 0.3rem 0; padding-left: 1.4rem; }
nav.toc ol ol { list-style: none; padding-left: 1rem; }
.source { font-size: 0.82rem; color: #555; margin-top: -0.4rem; }
"""

_HEADING = re.compile(r'<h(?P<level>[23]) id="(?P<id>[^"]+)">(?P<text>.*?)</h(?P=level)>', re.S)
_TAG = re.compile(r"<[^>]+>")


def contents(body: str) -> str:
    """A table of contents of the page's second- and third-level headings, linking to their
    ids; empty when the page has none."""
    entries: list[tuple[int, str, str]] = []
    for found in _HEADING.finditer(body):
        text = html.unescape(_TAG.sub("", found["text"])).replace("¶", "").strip()
        entries.append((int(found["level"]), found["id"], text))
    if not entries:
        return ""
    out, open_sub = ["<ol>"], False
    for level, anchor, text in entries:
        if level == 3 and not open_sub and len(out) > 1:
            out[-1] = out[-1].removesuffix("</li>")
            out.append("<ol>")
            open_sub = True
        elif level == 2 and open_sub:
            out.append("</ol></li>")
            open_sub = False
        out.append(f'<li><a href="#{html.escape(anchor)}">{html.escape(text)}</a></li>')
    if open_sub:
        out.append("</ol></li>")
    out.append("</ol>")
    return f'<nav class="toc" aria-label="Contents"><strong>Contents</strong>{"".join(out)}</nav>'


def page(body: str, title: str) -> str:
    """A complete HTML page around ``body`` with its own stylesheet and nothing fetched; the
    table of contents goes after the notice box if the page has one, else after the title."""
    toc = contents(body)
    if toc:
        mark = "</aside>" if "</aside>" in body else "</h1>"
        end = body.find(mark)
        at = end + len(mark) if end >= 0 else 0
        body = body[:at] + toc + body[at:]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body.strip()}\n</main>\n</body>\n</html>\n"
    )


# The mimetypes a page shows, most preferred first (nbconvert's order, for the types a cell of
# the write-up can make); an output with none of them shows nothing.
SHOWN_TYPES = (
    "text/html", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/plain",
)  # fmt: skip
# Markdown as Jupyter renders it (nbconvert's plugins), math aside: the write-up writes none.
MARKDOWN_PLUGINS = ("strikethrough", "table", "url", "task_lists", "def_list")


def heading_id(text_html: str) -> str:
    """A heading's id as Jupyter makes it: its text, spaces as hyphens, URL-quoted."""
    from urllib.parse import quote

    text = html.unescape(_TAG.sub("", text_html))
    return quote(text.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _markdown() -> Any:
    """Markdown to HTML: raw HTML passes through, each heading gets an id and an anchor link."""
    import mistune

    class Renderer(mistune.HTMLRenderer):
        def heading(self, text: str, level: int, **attrs: Any) -> str:
            anchor = html.escape(heading_id(text))
            link = f'<a class="anchor-link" href="#{anchor}">¶</a>'
            return f'<h{level} id="{anchor}">{text}{link}</h{level}>\n'

    return mistune.create_markdown(renderer=Renderer(escape=False), plugins=list(MARKDOWN_PLUGINS))


def _output_html(output: Any, markdown: Any) -> str:
    """One cell output as HTML: its most preferred shown type, or a stream's text."""
    if output.output_type == "stream":
        return f"<pre>{html.escape(output.text, quote=False)}</pre>"
    data = output.get("data", {})
    kind = next((k for k in SHOWN_TYPES if k in data), None)
    if kind is None:
        return ""
    value = data[kind]
    if kind in ("text/html", "image/svg+xml"):
        return value
    if kind == "text/markdown":
        return markdown(value)
    if kind == "text/plain":
        return f"<pre>{html.escape(value, quote=False)}</pre>"
    return f'<img src="data:{kind};base64,{value.strip()}" alt="">'


def render_html(notebook: Any, title: str) -> str:
    """The executed notebook as one self-contained page: outputs and markdown, no code.

    Each markdown cell and each output is a block of the page, in notebook order, rendered as
    Jupyter renders it (markdown by mistune, the parser nbconvert uses; headings with ids and
    anchor links); :func:`page` wraps them with an inline stylesheet and the table of contents.
    """
    markdown = _markdown()
    blocks = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            blocks.append(markdown(cell.source))
        elif cell.cell_type == "code":
            blocks.extend(_output_html(output, markdown) for output in cell.outputs)
    body = "\n".join(f'<div class="block">\n{b.strip()}\n</div>' for b in blocks if b.strip())
    return page(body, title)


def write_text(text: str, path: str | Path) -> None:
    """Write a notebook or page atomically, UTF-8 with ``\\n`` line ends."""
    with io.atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
