"""Feedback a student reads: the summary names each part and its points, messages are in plain
words (no exception class names), and formulas are typeset with no network, in the feedback page
(MathJax embedded in it) and in the formgrader (MathJax served by the Jupyter server itself).

The unit tests render the templates as nbgrader_config.py sets them up; the end-to-end test runs
the real `nbgrader autograde` (a real kernel) and `nbgrader generate_feedback` on a course, opens
the page in Chromium with the network cut, and asks a real Jupyter server for the formgrader's
page of the same submission.
"""

from __future__ import annotations

import base64
import gzip
import html as html_lib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import resources as package_files
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from calcgrade import feedback
from calcgrade.feedback import TEMPLATES, HideTestCode, packed_mathjax, part_name, plain_message
from grader_tests import REPO

CLASS_NAMES = re.compile(r"\b(?:CheckFailed|[A-Z]\w*(?:Error|Exception|Warning))\b")
FORMGRADE_MATHJAX = ("../../../static/jupyter_server_mathjax/MathJax.js"
                     "?config=TeX-AMS-MML_HTMLorMML-full,Safe")


# -- messages in plain words ---------------------------------------------------------------------
@pytest.mark.parametrize("ename, evalue, shown", [
    ("CheckFailed", "f_prime: `f_prime` is not equivalent to the correct answer",
     "\u2717 f_prime: `f_prime` is not equivalent to the correct answer"),
    ("CheckFailed", "grad_f: `grad_f([1, 2])` raised TypeError: unsupported operand",
     "\u2717 grad_f: `grad_f([1, 2])` raised an error (a value of the wrong type): "
     "unsupported operand"),
    ("AssertionError", "", "\u2717 a check of this part did not pass"),
    ("AssertionError", "slope should be 4", "\u2717 slope should be 4"),
    ("NameError", "name 'slope' is not defined",
     "\u2717 your code raised an error (a name is not defined): name 'slope' is not defined"),
    ("NotImplementedError", "",
     "\u2717 not answered yet: the answer cell above still holds its placeholder"),
    ("ZeroDivisionError", "division by zero",
     "\u2717 your code raised an error (a division by zero): division by zero"),
    ("SomethingOdd", "", "\u2717 your code raised an error (an error)"),
    ("CellTimeoutError", "this cell ran over the time limit of 30 s and was stopped",
     "\u2717 this cell ran over the time limit of 30 s and was stopped"),
])
def test_an_error_is_told_in_plain_words(ename, evalue, shown):
    assert plain_message(ename, evalue) == shown
    assert not CLASS_NAMES.search(shown)


def test_each_part_goes_by_the_name_its_messages_use():
    cell = nbformat.v4.new_code_cell('selfcheck.expression(globals(), "f_prime", ["x"])\n'
                                     'selfcheck.summary("f_prime")\n### BEGIN HIDDEN TESTS\n')
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test-f-prime", "points": 1}
    assert part_name(cell) == "f_prime"
    cell.source = "assert slope == 4"
    assert part_name(cell) == "test-f-prime"
    written = nbformat.v4.new_markdown_cell("It has a kink.")
    written.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "kink"}
    assert part_name(written) == "written answer"


def test_hide_test_code_rewrites_an_error_and_lists_the_parts():
    cell = nbformat.v4.new_code_cell("secret_reference()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test-df",
                                 "points": 1, "score": 0}
    cell.outputs = [nbformat.v4.new_output(
        "error", ename="CheckFailed", evalue="df: `df(1.0)` raised ValueError: no",
        traceback=["\x1b[31mCheckFailed\x1b[0m: df: ...", "File calcgrade/checks/numeric.py"])]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    nb, resources = HideTestCode().preprocess(nb, {})
    error = nb.cells[0].outputs[0]
    assert error.traceback == ["\u2717 df: `df(1.0)` raised an error (a value that does not "
                               "fit): no"]
    assert error.ename == "" and not CLASS_NAMES.search(json.dumps(error))
    assert "secret_reference" not in nb.cells[0].source
    assert resources["calcgrade"]["parts"] == [
        {"grade_id": "test-df", "name": "test-df", "points": 1.0, "score": 0.0,
         "pending": False}]


# -- the configuration: calcgrade's templates for the feedback page and the formgrader ----------
def _course_config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()


def test_nbgrader_config_puts_calcgrades_templates_first():
    config = _course_config()
    assert config.HTMLExporter.extra_template_basedirs == feedback.template_dirs()
    assert feedback.template_dirs()[0] == str(TEMPLATES)
    assert config.GenerateFeedback.HTMLExporter.template_file == "calcgrade_feedback.html.j2"
    assert "calcgrade.feedback.EmbedMathJax" in config.GenerateFeedback.preprocessors
    for template in ("feedback/calcgrade_feedback.html.j2", "feedback/mathjax.html.j2",
                     "formgrade/mathjax.html.j2"):
        assert (TEMPLATES / template).is_file(), template


def test_the_embedded_mathjax_is_the_packaged_single_file_build():
    script = (package_files.files(feedback.MATHJAX_PACKAGE) / feedback.MATHJAX_FILE).read_bytes()
    assert gzip.decompress(base64.b64decode(packed_mathjax())) == script
    assert b"MathJax" in script and b"svg" in script and len(script) > 1_000_000
    assert len(packed_mathjax()) < 0.5 * len(script)  # what each page carries: under half


def _formgrade_html(tmp_path) -> str:
    """The formgrader's submission page, rendered as formgrader renders it (its HTMLExporter,
    template "formgrade", the course's nbgrader_config.py)."""
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(r"The gradient of $\lVert x \rVert_2$.")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    config = _course_config()
    config.HTMLExporter.template_name = "formgrade"  # what FormgradeExtension sets
    exporter = HTMLExporter(config=config)
    resources = {"assignment_id": "calculus", "notebook_id": "nb", "submission_id": "x",
                 "index": 0, "total": 1, "base_url": "", "student": "alice",
                 "last_name": "A", "first_name": "B", "notebook_path": "nb.ipynb"}
    html, _ = exporter.from_filename(str(path), resources=resources)
    return html


def test_the_formgrader_loads_mathjax_from_the_jupyter_server(tmp_path):
    html = _formgrade_html(tmp_path)
    sources = re.findall(r'<script[^>]*\ssrc="([^"]*)"', html)
    mathjax = [s for s in sources if "mathjax" in s.lower()]
    assert [html_lib.unescape(s) for s in mathjax] == [FORMGRADE_MATHJAX], sources
    assert "cdnjs" not in html and "cdn.jsdelivr" not in html
    # What jupyter_server_mathjax serves at BASE/static/jupyter_server_mathjax/ is there.
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    assert (static / "MathJax.js").is_file()
    assert (static / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()


# -- end to end: nbgrader autograde, generate_feedback, Chromium, a Jupyter server --------------
def _parts(page: str) -> list[list[str]]:
    table = page.split('id="parts"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="part">(.*?)</tr>', table, re.S)
    return [[" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", c)).split())
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def _errors(page: str) -> list[str]:
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", block)).strip() for block in
            re.findall(r'class="output_subarea output_text output_error">\s*<pre>(.*?)</pre>',
                       page, re.S)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium():
    from grader_tests.test_report_browser import CHROMIUM, LAUNCH_ARGS, chromium

    chromium()  # skips without the browser or playwright
    return CHROMIUM, LAUNCH_ARGS


def _rendered(url: str, wait: str, count: str, *, allowed: tuple[str, ...]) -> dict:
    """`url` opened in Chromium with every request outside `allowed` refused: the number of
    typeset formulas (`count`, once `wait` holds), the page errors, the requests refused."""
    from playwright.sync_api import sync_playwright

    executable, args = _chromium()
    refused: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), headless=True, args=args)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", route)
            page.goto(url, wait_until="load")
            page.wait_for_function(wait, timeout=60_000)
            found = page.evaluate(count)
        finally:
            browser.close()
    return {"typeset": found, "errors": errors, "refused": refused}


def test_feedback_and_formgrader_for_an_autograded_notebook(course, tmp_path):
    from grader_tests.corpus import GRADIENT_NORM_MISTAKES

    # One student: the source solution, except a grad_norm that divides by zero at x = 0; the
    # written answer waits for the instructor. Stock nbgrader grades it, in a real kernel.
    nan_at_zero = next(c for c in GRADIENT_NORM_MISTAKES if c.name == "nan_at_zero")
    course.submit("alice", "calculus", "gradient_norm", nan_at_zero.answers)
    course.autograde("calculus", "alice")

    grades = course.grades("calculus")["alice"]["gradient_norm"]
    assert grades["test-grad-norm-expr"].score == 2  # the reading shown costs nothing
    assert grades["test-grad-norm"].score == 2 and grades["test-grad-norm-zero"].score == 0
    autograded = nbformat.read(course.root / "autograded/alice/calculus/gradient_norm.ipynb", 4)
    expr_cell = next(c for c in autograded.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "test-grad-norm-expr")
    shown = [o for o in expr_cell.outputs if o.output_type == "display_data"]
    assert len(shown) == 1 and "is read as: $\\displaystyle" in shown[0].data["text/markdown"]
    assert not [o for o in expr_cell.outputs if o.get("name") == "stderr"]

    course.run("calcgrade.cli", "feedback", "calculus")
    path = course.root / "feedback/alice/calculus/gradient_norm.html"
    page = path.read_text()

    # The summary names each part with its points; the written one waits for the instructor.
    assert _parts(page) == [
        ["grad_norm_expr test-grad-norm-expr", "2.0 / 2.0"],
        ["grad_norm test-grad-norm", "2.0 / 2.0"],
        ["grad_norm at 0 test-grad-norm-zero", "0.0 / 1.0"],
        ["written answer gradient-norm-at-zero", "to be graded by your instructor (2.0 max)"]]
    assert ">Test cell<" not in page
    assert "To be graded by your instructor" in page

    # Messages in plain words.
    errors = _errors(page)
    assert len(errors) == 1 and errors[0].startswith("\u2717 grad_norm: "), errors
    assert "raised a warning" in errors[0]
    assert not [e for e in errors if CLASS_NAMES.search(e)], errors

    # MathJax is in the page: no script from anywhere else, the embedded one is MathJax.
    sources = re.findall(r'<script[^>]*\ssrc="([^"]*)"', page)
    assert sources == [], sources
    assert "cdnjs" not in page and "mathjax@" not in page
    packed = re.search(r'<script[^>]*id="calcgrade-mathjax"[^>]*>([^<]+)</script>', page)
    assert packed and gzip.decompress(base64.b64decode(packed.group(1))) == (
        package_files.files(feedback.MATHJAX_PACKAGE) / feedback.MATHJAX_FILE).read_bytes()

    # Opened from disk in Chromium with the network cut: the formulas are typeset, the task's and
    # the reading of the student's gradient among them.
    seen = _rendered(path.as_uri(), "document.querySelectorAll('mjx-container').length > 5",
                     """[document.querySelectorAll('mjx-container').length,
                         [...document.querySelectorAll('.output_markdown, .output_subarea')]
                           .filter(e => e.innerText.includes('is read as'))
                           .map(e => e.querySelectorAll('mjx-container').length)]""",
                     allowed=("file:", "data:", "blob:"))
    assert not seen["refused"] and not seen["errors"], seen
    total, reading = seen["typeset"]
    assert total > 5 and reading and max(reading) >= 1, seen

    # The formgrader's page of the same submission, from a real Jupyter server: MathJax from
    # the server itself (jupyter_server_mathjax), and it typesets.
    check_formgrader(course.root, course.db_url, tmp_path)


def check_formgrader(root: Path, db_url: str, tmp_path: Path) -> None:
    """A Jupyter server started in the course `root` (nbgrader's formgrader and
    jupyter_server_mathjax enabled as installed) serves the formgrader's page of alice's
    gradient_norm with MathJax from itself, that file loads, and Chromium typesets the page's
    formulas with every request outside the server refused."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        submission = gb.find_submission_notebook("gradient_norm", "calculus", "alice").id
    port, token = _free_port(), "calcgrade-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    log = tmp_path / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.allow_root=True"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/formgrader/submissions/{submission}/"
        headers = {"Authorization": f"token {token}"}
        answers: list[str] = []
        formgrade = ""
        for _ in range(120):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                    formgrade = r.read().decode()
                break
            except urllib.error.HTTPError as error:
                answers.append(f"{error.code} {error.url}: {error.read()[:300]!r}")
            except OSError as error:
                answers.append(str(error))
            if server.poll() is not None:
                break
            time.sleep(0.5)
        assert formgrade, "\n".join(answers[-5:]) + "\n" + log.read_text()[-3000:]
        mathjax = [html_lib.unescape(s) for s in re.findall(r'<script[^>]*\ssrc="([^"]*)"',
                                                            formgrade) if "athjax" in s]
        assert mathjax == [FORMGRADE_MATHJAX], mathjax
        assert "cdnjs" not in formgrade
        served = urljoin(url, mathjax[0])
        assert served.startswith(f"{base}/static/jupyter_server_mathjax/MathJax.js")
        with urllib.request.urlopen(served) as r:
            assert r.status == 200 and b"MathJax" in r.read(2000)
        typeset = "document.querySelectorAll('.MathJax, .MathJax_Display').length"
        seen = _rendered(f"{url}?token={token}", f"{typeset} > 0", typeset, allowed=(base,))
        assert seen["typeset"] > 0 and not seen["refused"], seen
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
