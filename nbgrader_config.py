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

# `nbgrader collect`: links and special files in a submission stay in the exchange, reported.
c.ExchangeFactory.collect = "calcgrade.exchange.CollectRegularFiles"

# `nbgrader export` (and `calcgrade export`): grades per part, or a Canvas import file.
c.ExportApp.plugin_class = "calcgrade.export.PartsExportPlugin"
c.PartsExportPlugin.format = "csv"

# `nbgrader generate_feedback`: test cells show their part, points and message, not their code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "calcgrade.feedback.HideTestCode",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
