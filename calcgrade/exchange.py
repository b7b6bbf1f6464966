"""nbgrader's exchange, collecting only what a student can hand in honestly.

`nbgrader collect` copies each submission from the exchange's inbound folder with `copytree`,
which follows symbolic links: a link placed in the inbound folder (students can write there)
to the gradebook or another student's files would land in `submitted/` as an ordinary file, where
no later check can tell it apart. `CollectRegularFiles` (`c.ExchangeFactory.collect`) copies
regular files and folders only, opened without following links, into a folder of its own, and
hands that to nbgrader's copy; links, FIFOs and devices stay in the exchange, reported, and a
submission folder that is itself a link is not collected at all.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from calcgrade.sandbox.submission import copy_regular, special_entries


class CollectRegularFiles(ExchangeCollect):
    def do_copy(self, src, dest, log=None):
        if os.path.islink(src):
            self.log.error("Not collected: %s is a link (to %s)", src, os.readlink(src))
            return
        for path, what in special_entries(Path(src)):
            self.log.warning("Not collected from %s: %s (%s)", src,
                             path.relative_to(src), what)
        # Always through a clean copy of our own: the student can still change the inbound
        # folder between any check and nbgrader's copy, which follows links.
        with tempfile.TemporaryDirectory(prefix="calcgrade-collect-") as clean:
            regular = Path(clean) / "submission"
            copy_regular(Path(src), regular, skip_suffix=None)
            super().do_copy(str(regular), dest, log)
