"""The look of every figure, and saving figures so reruns give the same bytes.

Draw and save inside :func:`use`, which sets the theme for the block only::

    with theme.use("colorblind"):
        fig = figures.headline(crosstabs, published, book, "2014")
        theme.save(fig, "results/figures/headline", ["png", "svg"], dpi=150)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from invitesurvey.errors import InputError
from invitesurvey.io import atomic_path

GROUPS = ("recruiters", "non_recruiters", "all")
GROUP_LABELS = {"recruiters": "Recruiters", "non_recruiters": "Non-recruiters", "all": "All"}

# Any fixed text works; it seeds the ids of clip paths, which must not change between runs.
_HASHSALT = "invitesurvey"
# Matplotlib would write its version (SVG Creator, PNG Software) and the SVG a date: a library
# upgrade or a new day would then change the bytes of an unchanged figure.
METADATA = {
    "png": {"Software": "invitesurvey"},
    "svg": {"Creator": "invitesurvey", "Date": None},
}


def rc(palette: str = "colorblind") -> dict[str, object]:
    """The rcParams of the house theme: seaborn's white grid, a colour-blind-safe palette.

    DejaVu Sans ships with matplotlib, so text measures the same on every machine, and SVG
    text is written as paths so a viewer without the font still sees it.
    """
    # Imported here: seaborn takes over a second to import and only the theme needs it.
    import seaborn as sns

    colours = sns.color_palette(palette).as_hex()
    return {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("notebook"),
        "axes.prop_cycle": mpl.cycler(color=colours),
        "font.family": ["sans-serif"],
        "font.sans-serif": ["DejaVu Sans"],
        "svg.fonttype": "path",
        "svg.hashsalt": _HASHSALT,
        "savefig.bbox": "tight",
        "savefig.facecolor": "white",
        "figure.dpi": 100,
    }


@contextmanager
def use(palette: str = "colorblind") -> Iterator[None]:
    """Apply the house theme for the block and restore the previous settings afterwards."""
    with mpl.rc_context(rc(palette)):
        yield


def _cycle() -> list[str]:
    return mpl.rcParams["axes.prop_cycle"].by_key()["color"]


def group_colours() -> dict[str, str]:
    """Group -> colour: the first colours of the active palette, one per group in ``GROUPS``.

    A group therefore has the same colour in every figure drawn under the same theme.
    """
    colours = _cycle()
    return {group: colours[i % len(colours)] for i, group in enumerate(GROUPS)}


def category_colours(count: int) -> list[str]:
    """``count`` colours for answer codes, taken after the group colours so none is confused
    with a group."""
    colours = _cycle()
    return [colours[(len(GROUPS) + i) % len(colours)] for i in range(count)]


def figure(width: float, height: float) -> Figure:
    """A new figure on the Agg canvas, outside pyplot so no global figure list grows."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, stem: str | Path, formats: Sequence[str], dpi: int) -> list[Path]:
    """Write ``{stem}.{format}`` for each format, atomically; return the paths written.

    The same figure gives the same bytes on every rerun: no dates, fixed metadata and a fixed
    SVG hash salt.
    """
    unknown = sorted(set(formats) - set(METADATA))
    if unknown:
        raise InputError(
            f"cannot save figures as {', '.join(unknown)}",
            hint=f"Set figures.formats in config/config.yaml to any of {', '.join(METADATA)}.",
        )
    paths = []
    with mpl.rc_context({"svg.hashsalt": _HASHSALT, "savefig.bbox": "tight"}):
        for fmt in formats:
            path = Path(f"{stem}.{fmt}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=METADATA[fmt])
            paths.append(path)
    return paths
