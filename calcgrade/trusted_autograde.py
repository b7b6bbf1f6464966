"""`calcgrade autograde`: nbgrader's own AutogradeApp, with TrustedExecute in place of Execute.

Everything else is nbgrader's: sanitizing, restoring the official test cells from the gradebook,
SaveAutoGrades, the autograded/ layout and the gradebook at `db_url`, so formgrader,
`generate_feedback` and `export` work on what it writes.
"""

from __future__ import annotations

import sys
import warnings

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                    LimitOutput, SaveAutoGrades)
from traitlets.config import Config

from .trusted import TrustedExecute

TRUSTED_PIPELINE = [TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]


def autograde(assignment: str, students: list[str] | None = None, *, timeout: float | None = None,
              sandbox: bool = True, force: bool = True) -> None:
    """Grade `assignment` for every submitted student (or `students`) from the course root."""
    if not sandbox:
        warnings.warn("running student code WITHOUT the sandbox: it can read and write "
                      "everything the grader can", stacklevel=2)
    else:
        from .sandbox import bwrap_binary
        bwrap_binary()  # fail now, clearly, if the sandbox cannot start
    argv = [assignment] + [f"--student={s}" for s in students or []] + (["--force"] if force else [])
    app = AutogradeApp()
    app.initialize(argv)
    extra = Config()
    extra.Autograde.autograde_preprocessors = TRUSTED_PIPELINE
    extra.TrustedExecute.sandbox = sandbox
    if timeout is not None:
        extra.TrustedExecute.cell_timeout = float(timeout)
    app.update_config(extra)
    app.start()


if __name__ == "__main__":
    autograde(sys.argv[1], sys.argv[2:])
