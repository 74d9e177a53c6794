"""The rendered write-up in headless Chromium, cut off from the network: it shows, headline first.

The page is the writeup notebook executed on the fake results of ``test_report``. Chromium is
the Debian package ``chromium``; without it the tests skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_report import HEADLINE_COLOURS, run, write_fake_results

pytestmark = pytest.mark.browser
WINDOW = (1200, 2000)
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


def headline_pixels(pixels: np.ndarray) -> int:
    """Pixels in the headline figure's bar colours."""
    return sum(
        int(np.all(np.abs(pixels.astype(int) - colour) <= 3, axis=-1).sum())
        for colour in HEADLINE_COLOURS
    )


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium()


@pytest.fixture(scope="module")
def writeup(browser, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    _, page = run("writeup", write_fake_results(root), root)
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
    assert len(np.unique(first_screen.reshape(-1, 3), axis=0)) > 50


def test_the_headline_figure_shows_in_the_first_screen(first_screen):
    # The fake headline's two bars cover about 2 x 45,000 pixels at full size.
    assert headline_pixels(first_screen) > 20_000


def test_a_figure_from_the_network_does_not_show(browser, writeup, tmp_path):
    """The same page with the headline fetched from elsewhere shows no headline: the checks
    above would notice a figure that is not embedded."""
    page = writeup.read_text(encoding="utf-8")
    start = page.index('<img alt="Headline')
    end = page.index(">", start)
    fetched = tmp_path / "fetched.html"
    fetched.write_text(
        page[:start] + '<img alt="headline" src="https://example.org/headline.png"' + page[end:],
        encoding="utf-8",
    )
    assert headline_pixels(screenshot(browser, fetched, tmp_path)) == 0
