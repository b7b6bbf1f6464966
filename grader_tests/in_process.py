"""The grader tests' fast way to read what each test cell says: a source notebook run in this
process with a corpus case's answers (`calcgrade.grading.in_process`, also what `calcgrade check
--variants` runs). The slow corpus test and `calcgrade check` grade the same cases through both
real graders."""

from calcgrade.grading.in_process import Ran, run_notebook

__all__ = ["Ran", "run_notebook"]
