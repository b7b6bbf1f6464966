"""The grader tests: run with `python -m pytest grader_tests` (see the README for the tiers)."""

from pathlib import Path

# This repository's own course (source/ and nbgrader_config.py), which the tests copy.
REPO = Path(__file__).resolve().parents[1]
