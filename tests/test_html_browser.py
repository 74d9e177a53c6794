"""The rendered write-up of three waves in headless Chromium, cut off from the network: the
notice of the waves not collected shows first, every table fits the window without a value
broken over two lines, and an embedded figure shows where a fetched one would not.

The page is the template executed on the fake results of ``test_report``. Chromium is the
Debian package ``chromium``; without it the tests skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_report import HEADLINE_COLOURS, run, write_fake_results

from invitesurvey import report

pytestmark = pytest.mark.browser
WINDOW = (1200, 2000)
NOTICE_COLOUR = (255, 244, 214)  # .notice background, #fff4d6
# Run in a copy of the page only: the width each table needs against the width it has, and
# every cell whose text the browser laid out on more than one line.
MEASURE = """<script>
addEventListener("load", () => {
  const tables = [...document.querySelectorAll("table")].map(
    t => [t.scrollWidth, t.clientWidth,
          t.querySelector("th") ? t.querySelector("tr").textContent.trim().slice(0, 60) : ""]);
  const broken = [];
  for (const td of document.querySelectorAll("td:not(:first-child)")) {
    const range = document.createRange();
    range.selectNodeContents(td);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (lines.size > 1) broken.push(td.textContent);
  }
  document.body.setAttribute("data-measured", JSON.stringify({tables, broken}));
});
</script>"""
# Every request goes to a proxy on a closed port, so nothing can be fetched from anywhere.
OFFLINE = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]  # fmt: skip


def chromium() -> str:
    found = next(
        (p for name in ("chromium", "chromium-browser") if (p := shutil.which(name))), None
    )
    if found is None:
        message = "headless Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def screenshot(browser: str, page: Path, folder: Path) -> np.ndarray:
    """The first screen of ``page`` as an RGB array, rendered offline."""
    shot = folder / f"{page.stem}.png"
    subprocess.run(
        [browser, *OFFLINE, f"--user-data-dir={folder / 'profile'}", f"--screenshot={shot}",
         f"--window-size={WINDOW[0]},{WINDOW[1]}", page.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return np.asarray(Image.open(shot).convert("RGB"))


def pixels_of(pixels: np.ndarray, colours) -> int:
    """Pixels in any of ``colours``."""
    return sum(
        int(np.all(np.abs(pixels.astype(int) - colour) <= 3, axis=-1).sum()) for colour in colours
    )


def measured(browser: str, page: Path, folder: Path) -> dict:
    """What :data:`MEASURE` finds in ``page`` laid out at the window's width."""
    copy = folder / "measured.html"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"))
    done = subprocess.run(
        [browser, *OFFLINE, f"--user-data-dir={folder / 'profile-dom'}", "--dump-dom",
         f"--window-size={WINDOW[0]},{WINDOW[1]}", copy.resolve().as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'data-measured="([^"]*)"', done.stdout)
    assert found, done.stdout[-500:]
    return json.loads(found[1].replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium()


@pytest.fixture(scope="module")
def writeup(browser, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    _, page = run(write_fake_results(root, ("2014", "2015", "2016")), root)
    path = root / "writeup.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first_screen(browser, writeup, tmp_path_factory) -> np.ndarray:
    return screenshot(browser, writeup, tmp_path_factory.mktemp("shot"))


def test_the_page_renders_text_and_colour(first_screen):
    assert first_screen.shape[:2] == (WINDOW[1], WINDOW[0])
    white = np.all(first_screen >= 250, axis=-1)
    assert 0.03 < 1 - white.mean() < 0.9
    assert len(np.unique(first_screen.reshape(-1, 3), axis=0)) > 20


def test_the_notice_of_the_waves_not_collected_shows_in_the_first_screen(first_screen):
    # Two lines of notice in a box the width of the text: tens of thousands of pixels.
    assert pixels_of(first_screen, [NOTICE_COLOUR]) > 20_000


def test_every_table_fits_the_window_and_no_value_breaks_over_lines(browser, writeup, tmp_path):
    found = measured(browser, writeup, tmp_path)
    assert len(found["tables"]) > 20
    assert found["broken"] == []
    # Only the appendix's tables of file hashes may scroll inside their box.
    too_wide = [t for t in found["tables"] if t[0] > t[1] + 1 and "sha256" not in t[2]]
    assert too_wide == [], "\n".join(map(str, too_wide))


def figure_page(writeup: Path, name: str) -> str:
    page = writeup.read_text(encoding="utf-8")
    figure = re.search(rf'<figure id="figure-{name}">.*?</figure>', page, re.S)
    assert figure, name
    return report.page(figure[0], name)


def test_an_embedded_figure_shows_and_a_fetched_one_does_not(browser, writeup, tmp_path):
    embedded = tmp_path / "embedded.html"
    embedded.write_text(figure_page(writeup, "headline"), encoding="utf-8")
    assert pixels_of(screenshot(browser, embedded, tmp_path), HEADLINE_COLOURS) > 20_000
    fetched = tmp_path / "fetched.html"
    fetched.write_text(
        re.sub(r'src="data:[^"]+"', 'src="https://example.org/headline.png"',
               figure_page(writeup, "headline")),
        encoding="utf-8",
    )  # fmt: skip
    assert pixels_of(screenshot(browser, fetched, tmp_path), HEADLINE_COLOURS) == 0
