"""Test-only switches that turn one defence off, so that a test can show the attack it stops
succeeding (a positive control) beside the test that shows it failing with the defence on.

Set ``CALCGRADE_TEST_DEFENCES_OFF`` to a comma-separated list of names (``links``: submissions'
links and special files are not quarantined; ``fixtures``: the instructor's provided cells are not
run in the grader; ``ipc``: sandboxes allow System V IPC and keyrings and leave /dev writable).
Never set it when grading a class; `calcgrade autograde` warns when it is set.
"""

from __future__ import annotations

import os

SWITCH = "CALCGRADE_TEST_DEFENCES_OFF"


def off(name: str) -> bool:
    return name in os.environ.get(SWITCH, "").split(",")
