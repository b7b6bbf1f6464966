"""The HTML class report of `calcgrade report --html`, opened in a real headless Chromium: the
per-part table is shown with the class's numbers, every embedded plot decodes and renders, and the
page makes no network request. Twice: on four students graded by the real `nbgrader autograde`,
and on 300 students (a gradebook written with nbgrader's API, `grader_tests/report_class.py`),
where the page must also stay small and a few screens high.

CALCGRADE_SCREENSHOT=PATH keeps a full-page screenshot of the 300-student report at PATH (and of
the four-student one next to it, PATH's name ending in -backprop)."""

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES
from grader_tests.report_class import ASSIGNMENT, HAND_GRADED_DONE, TAUGHT, layout, write_class

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
# without the 1/2 (breaks loss only: train is right for the student's own loss, and credited as
# carried forward): the corpus's `breaks` give each part's numbers.
CLASS = [("right_1", BACKPROP[0]), ("right_2", BACKPROP[1]),
         ("wrong_1", _mistake("transposed_weight_gradient")),
         ("wrong_2", _mistake("loss_without_half"))]
HEADER = ["part", "points", "mean", "full", "partial", "mistake", "not attempted", "pending",
          "difficulty", "discrimination", "note"]
EVERYONE = "no spread: every student scored full marks"
# Totals: right 13, wrong_1 8 (backward 3, train 2 lost), wrong_2 12 (loss 1 lost).
# Discrimination is r(part, total - part): loss r([1,1,1,0], [12,12,8,12]) = -1/3 (negative:
# flagged, the student who lost it did well elsewhere), backward r([3,3,0,3], [10,10,8,9]) = 0.87,
# train r([2,2,0,2], [11,11,8,10]) = 0.94; the parts everyone got right have no spread (flagged,
# r undefined). Four students are too few for r to mean much: the numbers are checked, not judged.
NEGATIVE = ("r = -0.33 < 0.2: students who do well elsewhere do worse here (check the test and "
            "its key)")
TABLE = [  # HEADER's columns; "–": nobody waits for a grader
    ["backprop:sigmoid", "1", "1.00", "100%", "0%", "0%", "0%", "–", "1.00", "-", EVERYONE],
    ["backprop:sigmoid-grad", "1", "1.00", "100%", "0%", "0%", "0%", "–", "1.00", "-", EVERYONE],
    ["backprop:forward", "2", "2.00", "100%", "0%", "0%", "0%", "–", "1.00", "-", EVERYONE],
    ["backprop:loss", "1", "0.75", "75%", "0%", "25%", "0%", "–", "0.75", "-0.33", NEGATIVE],
    ["backprop:backward", "3", "2.25", "75%", "0%", "25%", "0%", "–", "0.75", "0.87", ""],
    ["backprop:numerical-gradient", "2", "2.00", "100%", "0%", "0%", "0%", "–", "1.00", "-",
     EVERYONE],
    ["backprop:sgd-step", "1", "1.00", "100%", "0%", "0%", "0%", "–", "1.00", "-", EVERYONE],
    ["backprop:train", "2", "1.50", "75%", "0%", "25%", "0%", "–", "0.75", "0.94", ""],
]
PLOTS = ["Score distribution", "Students × parts", "Top mistakes per part"]
# The 300-student page's bounds. Measured on this machine: 422,642 bytes, 2,864 px high at
# 1100 px wide (the table, the distribution, a 300-row heat map, 48 mistakes in one chart).
MAX_BYTES = 1_500_000
MAX_HEIGHT = 4_000  # pixels at 1100 px wide: five screens of 800


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
    decoding state and size, the page's height, and every request the page made."""
    from playwright.sync_api import expect

    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url, wait_until="load")
    expect(page.locator("#parts")).to_be_visible()
    rows = page.eval_on_selector_all(
        "#parts tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    images = page.eval_on_selector_all("img", IMAGES)
    height = page.evaluate("document.documentElement.scrollHeight")
    return {"rows": rows, "images": images, "requests": requests, "height": height}


def check_page(seen: dict) -> None:
    """What the instructor must see: the table's header, every plot decoded and laid out, no
    network."""
    assert seen["rows"][0] == HEADER
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


def _open(executable: Path, report: Path, screenshot: Path, keep: Path | None) -> dict:
    """The report at `report` opened in Chromium (1100 x 800): what `page_report` reads, the page
    errors, and a full-page screenshot at `screenshot` (copied to `keep`, if given, even if a
    check fails later)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), headless=True,
                                    args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            seen = page_report(page, report.as_uri())
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    if keep:
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, keep)
    seen["errors"] = errors
    return seen


def _kept(suffix: str = "") -> Path | None:
    target = os.environ.get("CALCGRADE_SCREENSHOT")
    if not target:
        return None
    path = Path(target)
    return path.with_name(f"{path.stem}{suffix}{path.suffix}")


def _check_screenshot(screenshot: Path) -> tuple[int, int]:
    data = screenshot.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000, len(data)
    from PIL import Image

    with Image.open(screenshot) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert width >= 1000 and height > 800, (width, height)  # the full page
    assert len(colours) > 100, len(colours)  # text and plots, not a blank page
    return width, height


def test_html_report_renders_in_a_real_browser(executable, course, tmp_path):
    for student, variant in CLASS:
        course.submit(student, "backprop", "backprop", variant.answers)
    course.autograde("backprop")
    out = course.run("calcgrade.cli", "report", "backprop", "--html", "report.html").stdout
    assert f"{len(CLASS)} students" in out
    report = course.root / "report.html"

    screenshot = tmp_path / "report.png"
    seen = _open(executable, report, screenshot, _kept("-backprop"))
    check_page(seen)
    assert seen["rows"][1:] == TABLE
    assert [i["alt"] for i in seen["images"]] == PLOTS
    assert not seen["errors"], seen["errors"]
    _check_screenshot(screenshot)


def test_html_report_at_300_students(executable, tmp_path):
    """300 students, 18 parts in the order they are taught, a written answer graded by hand for
    40 of them, blanks and typical mistakes: the page renders whole, with no network, under
    MAX_BYTES and MAX_HEIGHT (measured on this machine: see the printed line, `pytest -s`)."""
    course, truth = write_class(tmp_path / "course", 300)
    out = course.run("calcgrade.cli", "report", ASSIGNMENT, "--html", "report.html").stdout
    assert out.startswith("300 students\n")
    report = course.root / "report.html"
    size = report.stat().st_size

    screenshot = tmp_path / "report.png"
    seen = _open(executable, report, screenshot, _kept())
    width, height = _check_screenshot(screenshot)
    print(f"\n300-student report: {size} bytes, page {seen['height']} px high at 1100 px "
          f"(screenshot {width} x {height})")
    check_page(seen)
    assert not seen["errors"], seen["errors"]
    assert [i["alt"] for i in seen["images"]] == PLOTS
    # Every part, in the taught order of the notebooks and the source order of their cells.
    cells = layout(course.root)
    expected = [f"{nb}:{c.grade_id.removeprefix('test-')}" for nb in TAUGHT for c in cells[nb]
                if c.points is not None]
    assert [row[0] for row in seen["rows"][1:]] == expected
    written = seen["rows"][1 + expected.index("gradient_norm:gradient-norm-at-zero")]
    left = truth[("gradient_norm", "gradient-norm-at-zero")]["pending"]
    assert 300 - HAND_GRADED_DONE - 30 < left <= 300 - HAND_GRADED_DONE  # but the blanks
    assert written[HEADER.index("pending")] == f"{left} of 300 left"
    assert size < MAX_BYTES, size
    assert seen["height"] < MAX_HEIGHT, seen["height"]
