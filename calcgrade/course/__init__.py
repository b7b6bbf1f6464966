"""The instructor's tools on a course directory.

- `directory`: `Course`, a course as nbgrader sees it: assignments, notebooks, gradebook, apps;
- `check`: `calcgrade check`, an assignment tested before release;
- `report`: per-part results of a class, as text and as a self-contained HTML page;
- `items`: the report's item analysis (difficulty, discrimination, parts that fail to discriminate);
- `watch`: `calcgrade watch`, each submission collected, graded and its feedback released as it
  arrives.
"""
