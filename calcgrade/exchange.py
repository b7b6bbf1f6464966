"""nbgrader's exchange: collecting only what a student can hand in honestly, and releasing
each student their own variant (`VariantReleaseAssignment`, `VariantFetchAssignment`).

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
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.fetch_assignment import ExchangeFetchAssignment
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.utils import get_username
from traitlets import Bool

from calcgrade import variants
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


VARIANTS = "variants"  # exchange/COURSE/variants/ASSIGNMENT/STUDENT/: each student's notebooks


class VariantReleaseAssignment(ExchangeReleaseAssignment):
    """nbgrader's release, and with `c.Variants.enabled` each student's own copy of every
    notebook that declares parameters, rendered with their variant, beside the shared one
    (`exchange/COURSE/variants/ASSIGNMENT/STUDENT/`). The shared copy shows the parameters' names
    and will not run without numbers: a student fetching it the stock way is told so. Students
    are those in the gradebook (`nbgrader db student add`); release again for a student added
    later. Refused while `calcgrade check ASSIGNMENT --variants` has not passed on the notebooks
    as they are now, unless `allow_failing_variants` is set."""

    allow_failing_variants = Bool(False, help="Release even though some variants failed their "
                                              "check, or were not checked since the notebook "
                                              "changed.").tag(config=True)

    def copy_files(self):
        settings = variants.Variants(config=self.config)
        release = Path(self.src_path)
        declared = {p.name: d for p in sorted(release.glob("*.ipynb"))
                    for d in [variants.declaration_of(nbformat.read(p, as_version=4))]
                    if d is not None}
        per_student = Path(self.course_path) / VARIANTS / self.coursedir.assignment_id
        if not settings.enabled or not declared:
            super().copy_files()
            if per_student.is_dir():  # released with variants before: those copies go
                shutil.rmtree(per_student)
            return
        from calcgrade.course.variant_check import release_problems
        from calcgrade.grading import seeds

        root = Path(self.coursedir.root)
        problems = release_problems(root, self.coursedir.assignment_id, self.config)
        if problems and not self.allow_failing_variants:
            self.fail("not released: " + " | ".join(problems) + f". Run calcgrade check "
                      f"{self.coursedir.assignment_id} --variants, or release anyway with "
                      "--VariantReleaseAssignment.allow_failing_variants=True")
        for problem in problems:
            self.log.warning("released anyway: %s", problem)
        students = self._students()
        if not students:
            self.log.warning("no students in the gradebook: nobody has a variant of %s yet "
                             "(nbgrader db student add ..., then release again)",
                             self.coursedir.assignment_id)
        super().copy_files()
        secret = seeds.course_secret(root)
        for name in declared:
            shared = Path(self.dest_path) / name
            nb = nbformat.read(shared, as_version=4)
            variants.render(nb, variants.NOT_FETCHED)
            nbformat.write(nb, shared)
        if per_student.is_dir():
            shutil.rmtree(per_student)
        for student in students:
            folder = per_student / student
            folder.mkdir(parents=True)
            for name, declaration in declared.items():
                notebook = name.removesuffix(".ipynb")
                chosen = variants.deployed(declaration, variants.pinned_for(
                    settings, self.coursedir.assignment_id, notebook))
                values = variants.pick(chosen, secret, self.coursedir.assignment_id, notebook,
                                       student)
                nb = nbformat.read(release / name, as_version=4)
                variants.render(nb, values)
                nbformat.write(nb, folder / name)
        if per_student.is_dir():
            self.set_perms(str(per_student.parent), fileperms=0o644, dirperms=0o755)
        self.log.info("each of %d students has their own variant of %s", len(students),
                      ", ".join(declared))

    def _students(self) -> list[str]:
        from nbgrader.api import Gradebook

        with Gradebook(self.coursedir.db_url) as gb:
            return sorted(s.id for s in gb.students)


class VariantFetchAssignment(ExchangeFetchAssignment):
    """nbgrader's fetch; where the assignment gives each student their own numbers, the
    notebooks released for this student (the id nbgrader's submit will use) in place of the
    shared ones."""

    def init_src(self):
        super().init_src()
        self.variant_path = None
        folder = Path(self.course_path) / VARIANTS / self.coursedir.assignment_id
        if folder.is_dir():
            student = (self.coursedir.student_id if self.coursedir.student_id != "*"
                       else get_username())
            mine = folder / student
            if not mine.is_dir() or mine.is_symlink():
                self.fail(f"{self.coursedir.assignment_id} gives each student their own "
                          f"numbers, and none were released for {student}: ask your "
                          "instructor to add you to the course and release it again")
            self.variant_path = mine

    def do_copy(self, src, dest):
        if self.variant_path is None:
            return super().do_copy(src, dest)
        with tempfile.TemporaryDirectory(prefix="calcgrade-fetch-") as tmp:
            mine = Path(tmp) / "assignment"
            shutil.copytree(src, mine, ignore=shutil.ignore_patterns(*self.coursedir.ignore))
            for path in Path(self.variant_path).glob("*.ipynb"):
                if path.is_file() and not path.is_symlink():
                    shutil.copyfile(path, mine / path.name)
            return super().do_copy(str(mine), dest)
