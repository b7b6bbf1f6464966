"""nbgrader's steps that render per-student variants (`calcgrade.variants` holds the rules):
named in nbgrader_config.py through `calcgrade.variants`, which imports this module on first use
so that `import calcgrade` stays free of nbgrader."""

from __future__ import annotations

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells

from calcgrade.variants import (
    Variants,
    _declaration_call,
    _default_of,
    _gradebook_templates,
    label,
    render,
    variant_for,
)


class RenderDefaultVariant(NbGraderPreprocessor):
    """`generate_assignment`'s last step: release/ holds the default variant (it reads as before
    variants), the templates kept in the cells' metadata for the exchange's per-student copies;
    the gradebook keeps the templates (nbgrader's SaveCells ran before)."""

    def preprocess(self, nb, resources):
        render(nb, _default_of(nb))
        return nb, resources


class RenderStudentVariant(NbGraderPreprocessor):
    """`autograde`, after nbgrader has restored the official cells from the gradebook: the
    notebook rendered with the variant of the submission's student (`Variants.enabled`) or the
    default. Whatever the submission carries (rendered cells, their metadata) is never read: the
    declaration and the templates come from the gradebook, the student id from nbgrader."""

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        for cell in nb.cells:  # the submission's metadata is not ours to trust
            cell.metadata.get("calcgrade", {}).pop("template", None)
        templates = _gradebook_templates(info)
        if not templates:
            return nb, resources
        self._restore_declaration(nb, templates)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in templates:
                cell.source = templates[grade_id]
        values = variant_for(info, templates, Variants(parent=self))
        if values is None:
            return nb, resources
        render(nb, values, keep_template=False)
        self.log.debug("%s: variant %s", info["student"], label(values))
        return nb, resources

    def _restore_declaration(self, nb, templates: dict[str, str]) -> None:
        """A declaration cell the student deleted comes back (at the top: it runs first)."""
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        for grade_id, source in templates.items():
            if grade_id not in present and _declaration_call(source) is not None:
                cell = nbformat.v4.new_code_cell(source)
                cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                             "grade_id": grade_id, "schema_version": 3}
                nb.cells.insert(0, cell)
                self.log.warning("the parameters' cell %s was missing and is restored", grade_id)


class OverwriteTemplateCells(OverwriteCells):
    """nbgrader's OverwriteCells, quiet about the cells every student's copy renders differently
    (the parameters and the Markdown showing them): their checksums differ from the gradebook's
    by design. Every other change is reported as nbgrader reports it."""

    def preprocess(self, nb, resources):
        self._templates = set(_gradebook_templates(resources.get("nbgrader", {})))
        return super().preprocess(nb, resources)

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and name in getattr(self, "_templates", ()):
            self.log.debug("cell %s: rendered for its variant", name)
            return
        super().report_change(name, attr, old, new)


def generate_assignment_steps() -> list:
    """nbgrader's `GenerateAssignment.preprocessors`, then the default rendering (after the
    gradebook has saved the templates): for `c.GenerateAssignment.preprocessors`."""
    from nbgrader.converters import GenerateAssignment

    return [*GenerateAssignment.class_traits()["preprocessors"].default(), RenderDefaultVariant]


def sanitize_steps() -> list:
    """nbgrader's `Autograde.sanitize_preprocessors`, OverwriteCells quiet about rendered cells
    and followed by the rendering for the submission's student: for
    `c.Autograde.sanitize_preprocessors` (stock `nbgrader autograde` and `calcgrade autograde`)."""
    from nbgrader.converters import Autograde

    steps: list = []
    for step in Autograde.class_traits()["sanitize_preprocessors"].default():
        replaced = [OverwriteTemplateCells, RenderStudentVariant]
        steps += replaced if step is OverwriteCells else [step]
    if RenderStudentVariant not in steps:
        raise RuntimeError("nbgrader's sanitizing steps have changed: no OverwriteCells")
    return steps
