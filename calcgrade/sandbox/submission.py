"""A submission's folder, taken as untrusted: only regular files and folders are ever read.

A student controls what their submission folder holds. A symbolic link in it (to
`../../../source/...`, to `gradebook.db`, to another student's notebook) would be followed by
nbgrader when it copies the submission, and the target would reach the sandbox, `autograded/` and
`feedback/` as an ordinary file; a FIFO would block the copy, a device file read the machine.
So before nbgrader sees a submission, such entries are moved out of `submitted/` into
`quarantine/` (kept for the instructor, never followed) and reported; and every copy the grader
makes itself takes regular files only.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

QUARANTINE = "quarantine"


def _describe(path: Path, mode: int) -> str:
    if stat.S_ISLNK(mode):
        try:
            return f"a link to {os.readlink(path)}"
        except OSError:
            return "a link"
    for test, what in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return what
    return "not a regular file"


def special_entries(folder: Path) -> list[tuple[Path, str]]:
    """Everything under `folder` that is neither a regular file nor a folder (links, FIFOs,
    sockets, devices), with what it is; links are not followed, unreadable folders skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False, onerror=lambda e: None):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append((path, _describe(path, mode)))
    return found


def _move(path: Path, target: Path) -> None:
    """Move the entry itself (a link stays a link; nothing is opened) over whatever was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif os.path.lexists(target):
        os.unlink(target)
    os.rename(path, target)


def quarantine(root: Path, student: str, assignment: str) -> list[str]:
    """Move the special entries of `submitted/student/assignment` to
    `quarantine/student/assignment` (same relative paths); return one line per entry moved.
    A submission folder that is itself a link goes as a whole."""
    folder = Path(root) / "submitted" / student / assignment
    away = Path(root) / QUARANTINE / student / assignment
    for whole, target in ((folder.parent, away.parent), (folder, away)):
        if whole.is_symlink():
            what = _describe(whole, os.lstat(whole).st_mode)
            _move(whole, target)
            return [f"{whole.relative_to(Path(root) / 'submitted')}/ ({what})"]
    moved = []
    for path, what in special_entries(folder):
        _move(path, away / path.relative_to(folder))
        moved.append(f"{path.relative_to(folder)} ({what})")
    return moved


def copy_regular(source: Path, target: Path, skip_suffix: str | None = ".ipynb") -> None:
    """Copy the regular files (and folders) under `source` to `target`, nothing else; files
    ending in `skip_suffix` (if given) are left out (the notebooks travel separately).

    Safe while someone swaps entries under it: folders are walked by descriptor without
    following links (`os.fwalk`), and each file is opened without following a link and without
    blocking on a FIFO, then copied only if what was opened is a regular file."""
    target.mkdir(parents=True, exist_ok=True)
    for dirpath, _, filenames, dirfd in os.fwalk(source, follow_symlinks=False):
        here = target / Path(dirpath).relative_to(source)
        here.mkdir(exist_ok=True)
        for name in filenames:
            if skip_suffix and name.endswith(skip_suffix):
                continue
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
            except OSError:  # a link (ELOOP), or gone
                continue
            with os.fdopen(fd, "rb") as opened:
                if stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
                    with open(here / name, "wb") as copy:
                        shutil.copyfileobj(opened, copy)
