"""The look of every figure, and saving figures so reruns give the same bytes.

Draw and save inside :func:`use`, which sets the theme for the block only::

    with theme.use("colorblind"):
        fig = figures.headline(crosstabs, published, book, "2014")
        theme.save(fig, "results/figures/waves/2014/headline", ["png", "svg"], dpi=150)
"""

from __future__ import annotations

import json
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


# Seaborn's white-grid style, notebook context and named palettes, as seaborn gives them
# (seaborn_theme below). Read from this file, a figure job does not import seaborn, whose
# import (scipy.stats with it) cost 1.0 CPU-s of each figure job; a test compares the file
# with seaborn, and `python -m invitesurvey.theme` writes it again after a seaborn upgrade.
THEME_FILE = Path(__file__).with_name("seaborn_theme.json")


def seaborn_theme() -> dict[str, object]:
    """Seaborn's white-grid style, notebook context and every named seaborn palette."""
    import seaborn as sns
    from seaborn.palettes import SEABORN_PALETTES

    # Less image.cmap ("rocket"): only an imported seaborn registers that colormap, and no
    # figure here draws an image.
    style = {k: v for k, v in sns.axes_style("whitegrid").items() if k != "image.cmap"}
    return {
        "style": style,
        "context": dict(sns.plotting_context("notebook")),
        "palettes": {name: sns.color_palette(name).as_hex() for name in sorted(SEABORN_PALETTES)},
    }


def _palette(theme: dict, palette: str) -> list[str]:
    """A named seaborn palette from the theme file; any other (a matplotlib colormap) from
    seaborn itself."""
    if palette in theme["palettes"]:
        return theme["palettes"][palette]
    import seaborn as sns

    return sns.color_palette(palette).as_hex()


def rc(palette: str = "colorblind") -> dict[str, object]:
    """The rcParams of the house theme: seaborn's white grid, a colour-blind-safe palette.

    DejaVu Sans ships with matplotlib, so text measures the same on every machine, and SVG
    text is written as paths so a viewer without the font still sees it.
    """
    theme = json.loads(THEME_FILE.read_text(encoding="utf-8"))
    return {
        **theme["style"],
        **theme["context"],
        "axes.prop_cycle": mpl.cycler(color=_palette(theme, palette)),
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


if __name__ == "__main__":
    THEME_FILE.write_text(json.dumps(seaborn_theme(), indent=1, sort_keys=True) + "\n")
