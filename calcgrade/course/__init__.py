"""The instructor's tools on a course directory.

- `directory`: `Course`, a course as nbgrader sees it: assignments, notebooks, gradebook, apps;
- `check`: `calcgrade check`, an assignment tested before release;
- `report`: per-part results of a class, as text and as a self-contained HTML page.
"""
