"""nbgrader configuration of the calcgrade course (run nbgrader from this directory)."""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "calcgrade"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"  # embedded default; PostgreSQL URLs work too

# What students get in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: a deleted or edited grade cell comes back from the gradebook's copy.
c.OverwriteCells.add_missing_cells = True
# Per-cell time limit (nbgrader reads Execute.timeout, not ExecutePreprocessor.timeout).
c.Execute.timeout = 120
