"""The HTML class report of `calcgrade report --html`, opened in a real headless Chromium: the
per-part table is shown with the class's numbers, every embedded plot decodes and renders, and the
page makes no network request."""

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PNG = b"\x89PNG\r\n\x1a\n"


def chromium() -> Path:
    """Debian's chromium, or skip. Playwright's own browser download (`playwright install`) fails
    on our network, so the test drives the distribution's browser, which scripts/test.sh installs
    with apt-get; without it (or the playwright package) the test is skipped, never passed."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed: scripts/setup.sh installs it "
                    "with pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed: scripts/test.sh installs it with apt-get")
    return CHROMIUM


def _mistake(name):
    return next(v for v in BACKPROP_MISTAKES if v.name == name)


# Two correct students, a transposed weight gradient (breaks backward and train) and a loss
# without the 1/2 (breaks loss and train): the corpus's `breaks` give each part's numbers.
CLASS = [("right_1", BACKPROP[0]), ("right_2", BACKPROP[1]),
         ("wrong_1", _mistake("transposed_weight_gradient")),
         ("wrong_2", _mistake("loss_without_half"))]
TABLE = [  # part, points, mean, full marks, failed
    ["backprop:sigmoid", "1", "1.00", "100%", "0%"],
    ["backprop:sigmoid-grad", "1", "1.00", "100%", "0%"],
    ["backprop:forward", "2", "2.00", "100%", "0%"],
    ["backprop:loss", "1", "0.75", "75%", "25%"],
    ["backprop:backward", "3", "2.25", "75%", "25%"],
    ["backprop:numerical-gradient", "2", "2.00", "100%", "0%"],
    ["backprop:sgd-step", "1", "1.00", "100%", "0%"],
    ["backprop:train", "2", "1.00", "50%", "50%"],
]
PLOTS = ["Score distribution", "Full-mark rate per part", "backprop:loss: top mistakes",
         "backprop:backward: top mistakes", "backprop:train: top mistakes"]


# Per <img>: Chromium's decoding state and laid-out size, and how many of its pixels are not
# opaque once drawn on a canvas. A truncated or corrupt PNG still reports `complete` and its
# `naturalWidth` (Chromium shows what it could decode) but leaves the rest transparent, and
# matplotlib's plots are saved on an opaque white background.
IMAGES = """images => images.map(i => {
    const box = i.getBoundingClientRect(), canvas = document.createElement("canvas");
    let transparent = null;
    if (i.complete && i.naturalWidth > 0) {
        [canvas.width, canvas.height] = [i.naturalWidth, i.naturalHeight];
        const context = canvas.getContext("2d");
        context.drawImage(i, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        transparent = 0;
        for (let k = 3; k < pixels.length; k += 4) transparent += pixels[k] < 255;
    }
    return {alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth,
            width: box.width, height: box.height, transparent};
})"""


def page_report(page, url: str) -> dict:
    """Open `url` in `page` and read back what the browser shows: the table's cells, each image's
    decoding state and size, and every request the page made."""
    from playwright.sync_api import expect

    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url, wait_until="load")
    expect(page.locator("#parts")).to_be_visible()
    rows = page.eval_on_selector_all(
        "#parts tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    images = page.eval_on_selector_all("img", IMAGES)
    return {"rows": rows, "images": images, "requests": requests}


def check_page(seen: dict) -> None:
    """What the instructor must see: the table, every plot decoded and laid out, no network."""
    assert seen["rows"][0] == ["part", "points", "mean", "full marks", "failed"]
    assert seen["rows"][1:] == TABLE
    images = seen["images"]
    assert len(images) >= 3, images
    broken = [i for i in images if not (i["complete"] and i["naturalWidth"] > 0
                                        and i["width"] > 0 and i["height"] > 0
                                        and i["transparent"] == 0)]
    assert not broken, f"images that did not decode or render: {broken}"
    assert seen["requests"], "no request recorded, not even the page itself"
    remote = [u for u in seen["requests"] if not u.startswith(("file:", "data:"))]
    assert not remote, f"the page went to the network: {remote}"


@pytest.fixture
def executable() -> Path:
    """Named before `course`, so a missing browser skips before the course is built."""
    return chromium()


def test_html_report_renders_in_a_real_browser(executable, course, tmp_path):
    from playwright.sync_api import sync_playwright

    for student, variant in CLASS:
        course.submit(student, "backprop", "backprop", variant.answers)
    course.autograde("backprop")
    out = course.run("calcgrade.cli", "report", "backprop", "--html", "report.html").stdout
    assert f"{len(CLASS)} students" in out
    report = course.root / "report.html"

    screenshot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), headless=True,
                                    args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            seen = page_report(page, report.as_uri())
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    if os.environ.get("CALCGRADE_SCREENSHOT"):  # kept even if a check below fails
        target = Path(os.environ["CALCGRADE_SCREENSHOT"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, target)

    check_page(seen)
    assert [i["alt"] for i in seen["images"]] == PLOTS
    assert not errors, errors

    data = screenshot.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000, len(data)
    from PIL import Image

    with Image.open(screenshot) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert width >= 1000 and height > 800, (width, height)  # the full page
    assert len(colours) > 100, len(colours)  # text and plots, not a blank page
