"""The limits on a student's process: one home for their values and for how they are applied.

`Limits` holds them; `TrustedExecute`'s settings (`cell_timeout`, `memory_limit_mb`, ...,
nbgrader_config.py) default to these values and build one; `apply()` sets the rlimits the
student cannot raise, in the process about to become the student's (started fresh, or forked by
the fork server). The wall-clock limits are the grader's to enforce (calcgrade.sandbox), with a
soft limit inside (calcgrade.timer).
"""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass


@dataclass
class Limits:
    cell_seconds: float = 30.0  # per cell and per call of a student function
    notebook_seconds: float = 300.0
    memory_bytes: int = 2 * 2 ** 30  # address space
    cpu_seconds: int = 300
    file_bytes: int = 2 ** 20  # the largest file the student's code may write
    tmp_bytes: int = 512 * 2 ** 20  # the sandbox's private /tmp (RAM), submission files included

    def apply(self) -> None:
        """Set this process's rlimits (hard = soft: they cannot be raised again); no core dumps."""
        for name, value in (("RLIMIT_AS", self.memory_bytes), ("RLIMIT_CPU", self.cpu_seconds),
                            ("RLIMIT_FSIZE", self.file_bytes), ("RLIMIT_CORE", 0)):
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))

    def to_data(self) -> dict:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "Limits":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
