"""Reproducible random draws: every check's random inputs come from one seed per part.

The seed of a part is derived from the course's secret, the assignment, the notebook, the student
and the part's grade id, so regrading a submission draws the same inputs (and gives the same
score), two students draw different ones, and nobody without the secret can predict them.
`calcgrade autograde` seeds each test cell with `seeded(...)`, which seeds numpy's and Python's
global generators (what `np.random.uniform(...)` in a test cell uses) and the generator the
checkers draw from (`rng()`, `python_random()`). Outside a graded run (stock nbgrader, a
student's self-check) the draws are fresh, as before.

The secret lives in the course root, in `.calcgrade-secret` (made on first use, readable by the
instructor only), or in `c.TrustedExecute.seed_secret`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import secrets
from pathlib import Path

import numpy as np

SECRET_FILE = ".calcgrade-secret"
_current: dict = {}  # "rng": the numpy Generator of the part being checked, "seed": its seed


def course_secret(root: Path) -> str:
    """The course's secret, made (random, mode 600) the first time it is asked for."""
    path = Path(root) / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def seed_for(secret: str, assignment: str, notebook: str, student: str, part: str) -> int:
    """A 64-bit seed for one part of one student's submission."""
    text = "\0".join([secret, assignment, notebook, student, part]).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


@contextlib.contextmanager
def seeded(seed: int):
    """Within: numpy's and Python's global generators and the checkers' `rng()` draw from
    `seed`; after: they are as they were."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    before = dict(_current)
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)
    _current.update(rng=np.random.default_rng(seed), python=random.Random(seed), seed=seed)
    try:
        yield seed
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        _current.clear()
        _current.update(before)


def rng() -> np.random.Generator:
    """The numpy Generator checkers draw from: the part's, while a part is checked."""
    return _current.get("rng") or np.random.default_rng()


def python_random() -> random.Random:
    """Python's `random.Random` checkers draw from: the part's, while a part is checked."""
    return _current.get("python") or random.Random()
