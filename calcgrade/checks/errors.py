"""The one exception every checker raises, shaped for the student who reads it.

A failing check must tell the student which part is wrong and how, in their terms, and
nothing of the expected answer. In a notebook, IPython shows only ``_render_traceback_``'s
lines, so the student sees the message instead of a traceback into calcgrade; nbgrader still
records an error output and scores the test cell 0.
"""


class CheckFailed(AssertionError):
    """A part of an answer is wrong, missing or malformed."""

    def __init__(self, part: str, message: str):
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message

    def _render_traceback_(self):
        return [f"\u2717 {self.part}: {self.message}"]


def passed(part: str, what: str = "looks right") -> None:
    """Tell the student a check went through (stdout, which nbgrader ignores for grading)."""
    print(f"\u2713 {part}: {what}")
