"""How a notebook is executed and graded.

- `autograde`: `calcgrade autograde`, nbgrader's Autograde converter with its Execute step
  replaced, over a pool of local workers, and the run's summary;
- `execute`: that step, `TrustedExecute`: student cells in the sandbox, test cells here in the
  grader, in one namespace of the instructor's fixtures and the student's answers;
- `child`: one notebook's grading in a forked child under the grader's own limits;
- `cluster`: the same on Dask workers (`--scheduler`), the gradebook kept on the coordinator;
- `reference`: the instructor's solution graded first, so an error of a test is never charged;
- `seeds`: each part's random draws derived from the course secret; `replay`: rerun one part.
- `warm`: the imports every grading worker needs, done once before the workers are forked.
"""
