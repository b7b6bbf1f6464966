"""nbgrader configuration of the calcgrade course (run nbgrader from this directory)."""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "calcgrade"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"  # embedded default; PostgreSQL URLs work too

# What never leaves source/: each notebook's answer corpus (NOTEBOOK.corpus.py, right answers and
# typical mistakes that `calcgrade check` grades), besides nbgrader's own defaults.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.corpus.py"]

# What students get in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: a deleted or edited grade cell comes back from the gradebook's copy.
c.OverwriteCells.add_missing_cells = True
# Per-cell time limit (nbgrader reads Execute.timeout, not ExecutePreprocessor.timeout).
c.Execute.timeout = 120

# `calcgrade autograde` (TrustedExecute): limits on each submission's sandboxed process.
c.TrustedExecute.sandbox = True            # bubblewrap; --no-sandbox turns it off, with a warning
c.TrustedExecute.cell_timeout = 30.0       # seconds per student cell and per call of their function
c.TrustedExecute.notebook_timeout = 300.0  # seconds per notebook
c.TrustedExecute.memory_limit_mb = 2048    # address space
c.TrustedExecute.cpu_limit = 300           # CPU seconds
c.TrustedExecute.output_limit_kb = 1024    # largest file the student's code may write
c.TrustedExecute.tmp_limit_mb = 512        # all it writes (its private /tmp, RAM), files included
# The grader's own limits per notebook (checks run in a forked child): past them, the part being
# checked fails with a message and the run goes on.
c.TrustedExecute.grading_timeout = 600.0   # wall-clock seconds for the whole notebook
c.TrustedExecute.grader_memory_mb = 2048   # memory the checks may use
c.TrustedExecute.check_cpu_seconds = 60.0  # the grader's CPU seconds per test cell

# Per-student variants (calcgrade.variants; README, "Every student their own numbers"): a
# notebook that declares parameters (cg.variant) is rendered with the default variant (d2l's
# numbers) in release/, and graded with the variant of the submission's student, or the default
# while variants are off.
import calcgrade.variants  # noqa: E402

c.Variants.enabled = False
# c.Variants.pinned = {"tangent": [{"a": 1.5, "c": 2}, {"a": 2, "c": 3}]}  # deploy these only
c.GenerateAssignment.preprocessors = calcgrade.variants.generate_assignment_steps()
c.Autograde.sanitize_preprocessors = calcgrade.variants.sanitize_steps()
# With variants on, each student's own copy goes to the exchange with the shared one; students'
# fetch takes theirs (students name it in their own config too: README).
c.ExchangeFactory.release_assignment = "calcgrade.exchange.VariantReleaseAssignment"
c.ExchangeFactory.fetch_assignment = "calcgrade.exchange.VariantFetchAssignment"

# `nbgrader collect`: links and special files in a submission stay in the exchange, reported.
c.ExchangeFactory.collect = "calcgrade.exchange.CollectRegularFiles"

# nbgrader's exchange (release_assignment, fetch_assignment, submit, collect, release_feedback,
# fetch_feedback): exchange/ beside this file, made on first use (one machine, one account).
# Students name the same folder in their own config (README, "The exchange"). On JupyterHub or
# with several accounts, a folder they can all write instead, made once by an administrator:
# c.Exchange.root = "/srv/nbgrader/exchange"  # mkdir -p it; chmod ugo+rwx
import os  # noqa: E402

c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")
try:
    os.makedirs(c.Exchange.root, exist_ok=True)
except OSError:  # a read-only copy of the course: nbgrader says so when the exchange is used
    pass

# `calcgrade watch`: each student graded at most `limit` times per `period` seconds; a
# submission past it waits for the next slot (its feedback says when).
c.Watch.limit = 5
c.Watch.period = 3600.0

# `nbgrader export` (and `calcgrade export`): grades per part, or a Canvas import file.
c.ExportApp.plugin_class = "calcgrade.export.PartsExportPlugin"
c.PartsExportPlugin.format = "csv"

# `nbgrader generate_feedback`: test cells show their part, points and message, not their code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "calcgrade.feedback.HideTestCode",
    "calcgrade.feedback.EmbedMathJax",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# Its page (calcgrade/templates/feedback/): a summary naming each part and its points, and
# MathJax embedded in the page, so formulas render offline. The formgrader uses the same
# template folders: its MathJax comes from this Jupyter server (jupyter_server_mathjax).
import calcgrade.feedback  # noqa: E402

c.HTMLExporter.extra_template_basedirs = calcgrade.feedback.template_dirs()
c.GenerateFeedback.HTMLExporter.template_file = "calcgrade_feedback.html.j2"

# The class report's order of an assignment's notebooks (nbgrader keeps none: by name otherwise).
c.CalcgradeReport.notebook_order = {
    "calculus": ["tangent", "gradient_exp", "gradient_norm", "chain_rule"],
}
