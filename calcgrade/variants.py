"""Per-student variants: every student their own numbers, the same grader for all.

An instructor declares a notebook's parameters once, in a read-only code cell of the source
notebook next to the task, each a finite list (its first value is the default, d2l's number) or
`cg.steps(start, stop, step)`, with an optional constraint that excludes degenerate draws::

    import calcgrade as cg
    a, c = cg.variant(a=[1, 1.5, 2, 2.5], c=cg.steps(1, 4),
                      where=lambda a, c: a != 0 and 3 * a ** 4 != c)

Read-only Markdown cells show them as ``{{a}}`` (or arithmetic of them, with a format:
``{{3*a**2:g}}``). The provided code and the hidden tests read the Python names.

Rendering a notebook for a variant (`render`) fills in the Markdown and gives the declaration the
variant's values (``given={...}``), so the student's kernel, stock nbgrader's kernel and
calcgrade's grader all run the same numbers; without ``given`` (the source notebook, the
instructor's kernel) the call returns the default variant. The grader never takes the values
from the submission: `RenderStudentVariant`, after nbgrader has restored the official cells, renders
the notebook for the submission's student id, whose variant is a hash of the course's secret,
the assignment, the notebook and the id (`pick`). With `c.Variants.enabled = False` (the
default) every notebook is rendered with its default variant, everywhere.

Where it happens: `nbgrader generate_assignment` (release/ holds the default rendering, the
gradebook the templates), `nbgrader release_assignment` and `fetch_assignment`
(`calcgrade.exchange`: one rendered copy per student), `nbgrader autograde` and `calcgrade
autograde` (`RenderStudentVariant`, `OverwriteTemplateCells`), `calcgrade check --variants`
(`calcgrade.course.variant_check`), the report and the CSV export (`of_student`).
"""

from __future__ import annotations

import ast
import collections
import hashlib
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from traitlets import Bool, Dict
from traitlets.config import Configurable

NOT_FETCHED = "not fetched for a student"  # `given` of the exchange's shared copy
_PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")
MAX_VARIANTS = 100_000  # a declaration whose product is larger is an instructor's error


class Variants(Configurable):
    """The course's switch and pinned lists (nbgrader_config.py)."""

    enabled = Bool(False, help="Give each student their own variant of every notebook that "
                               "declares parameters (cg.variant). Off: everyone gets the "
                               "default variant.").tag(config=True)
    pinned = Dict(help="notebook (or 'assignment/notebook') -> the list of variants deployed, "
                       "each a dict of parameter values; default: every variant the declaration "
                       "allows.").tag(config=True)


class VariantError(ValueError):
    """A declaration or a given variant that cannot be used (the instructor's to fix)."""


def steps(start: float, stop: float, step: float = 1) -> list:
    """`start`, `start + step`, ... up to `stop` included (ints stay ints)."""
    if step <= 0:
        raise VariantError("cg.steps needs a positive step")
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    values = [start + i * step for i in range(max(count, 0))]
    if all(isinstance(v, int) for v in (start, stop, step)):
        return [int(v) for v in values]
    return [round(float(v), 12) for v in values]


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so a variant prints and compares as written."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise VariantError(f"a parameter's values must be numbers; got {value!r}")
    return value


@dataclass(frozen=True)
class Declaration:
    """A notebook's parameters: name -> allowed values (the default first), and a constraint."""

    choices: dict[str, tuple]
    where: Callable[..., bool] | None = None

    @property
    def default(self) -> dict:
        return {name: values[0] for name, values in self.choices.items()}

    def problem(self, values: dict) -> str | None:
        """Why `values` is not one of this declaration's variants (None if it is)."""
        if set(values) != set(self.choices):
            return (f"gives {', '.join(sorted(values)) or 'nothing'}; the parameters are "
                    f"{', '.join(self.choices)}")
        for name, value in values.items():
            if value not in self.choices[name]:
                return f"{name} = {value!r} is not among its values {list(self.choices[name])}"
        if self.where is not None:
            try:
                allowed = bool(self.where(**values))
            except Exception as exc:  # a pole in the constraint itself: not deployable
                return f"its constraint raised {type(exc).__name__}: {exc}"
            if not allowed:
                return "its constraint (where=...) excludes it"
        return None

    def space(self) -> list[dict]:
        """Every variant the declaration allows, in order (the default first if allowed)."""
        size = math.prod(len(v) for v in self.choices.values())
        if size > MAX_VARIANTS:
            raise VariantError(f"the parameters make {size} variants; at most {MAX_VARIANTS}")
        names = list(self.choices)
        combos = (dict(zip(names, combo)) for combo in
                  itertools.product(*self.choices.values()))
        return [v for v in combos if self.problem(v) is None]


def variant(*, where: Callable[..., bool] | None = None, given: dict | str | None = None,
            **choices) -> Any:
    """The parameters of this notebook's problem, as a named tuple in declaration order.

    `choices`: each parameter's values (a list, the default first, or `cg.steps(...)`);
    `where`: a constraint on a variant (keyword arguments, one per parameter); `given`: the
    variant's values, filled in when the notebook is rendered for a student (absent: the
    default variant)."""
    declaration = declare(where=where, **choices)
    if given is None:
        values = declaration.default
    elif given == NOT_FETCHED:
        raise VariantError("this copy of the notebook has no numbers of its own: fetch the "
                           "assignment with the course's nbgrader configuration "
                           "(calcgrade.exchange.VariantFetchAssignment), or ask your instructor")
    else:
        if not isinstance(given, dict):
            raise VariantError(f"given must be a dict of parameter values; got {given!r}")
        values = dict(given)
        problem = declaration.problem(values)
        if problem is not None:
            raise VariantError(f"not one of this problem's variants: it {problem}")
    return collections.namedtuple("Variant", list(declaration.choices))(**values)


def declare(*, where: Callable[..., bool] | None = None, **choices) -> Declaration:
    if not choices:
        raise VariantError("cg.variant needs at least one parameter")
    table = {}
    for name, values in choices.items():
        values = tuple(_plain(v) for v in (values if isinstance(values, (list, tuple, range))
                                            else list(values)))
        if not values:
            raise VariantError(f"parameter {name} has no values")
        if len(set(values)) != len(values):
            raise VariantError(f"parameter {name} lists a value twice")
        table[name] = values
    return Declaration(table, where)


# --- finding the declaration in a notebook ------------------------------------------------------

def _python_lines(source: str) -> str:
    """The cell with IPython's magic and shell lines blanked, so `ast` reads it and line and
    column numbers stay those of the cell."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.split("\n"))


def _declaration_call(source: str) -> ast.Call | None:
    try:
        tree = ast.parse(_python_lines(source))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "variant" and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("cg", "calcgrade")):
            return node
    return None


def is_declaration(cell) -> bool:
    return cell.cell_type == "code" and _declaration_call(cell.source) is not None


def is_template(cell) -> bool:
    """A cell rendering changes: the declaration, or Markdown showing a parameter."""
    return is_declaration(cell) or (cell.cell_type == "markdown"
                                    and bool(_PLACEHOLDER.search(_template(cell))))


def _template(cell) -> str:
    return str(cell.metadata.get("calcgrade", {}).get("template", cell.source))


def _segment(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(_python_lines(source), node) or ""


def declaration_of(nb) -> Declaration | None:
    """The notebook's declared parameters (evaluated here, in the instructor's process: the
    declaration is the instructor's code), or None if it declares none."""
    found = [cell for cell in nb.cells if is_declaration(cell)]
    if not found:
        return None
    if len(found) > 1:
        raise VariantError("a notebook declares its parameters once (one cg.variant call)")
    call = _declaration_call(found[0].source)
    assert call is not None
    kwargs = [k for k in call.keywords if k.arg not in ("given", None)]
    if call.args or any(k.arg is None for k in call.keywords):
        raise VariantError("cg.variant takes keyword arguments only: name=[values], where=...")
    import numpy

    scope = {"np": numpy, "numpy": numpy, "math": math, "range": range, "steps": steps,
             "cg": _DeclarationScope, "calcgrade": _DeclarationScope}
    text = {str(k.arg): _segment(found[0].source, k.value) for k in kwargs}
    try:
        values = {name: eval(code, dict(scope)) for name, code in text.items()}  # noqa: S307
    except Exception as exc:
        raise VariantError(f"the parameters' declaration could not be read: "
                           f"{type(exc).__name__}: {exc}") from exc
    return declare(**values)


class _DeclarationScope:
    steps = staticmethod(steps)


# --- which student gets which variant ------------------------------------------------------------

def deployed(declaration: Declaration, pinned: list[dict] | None = None) -> list[dict]:
    """The variants students get: the pinned list (each checked against the declaration), or
    every variant the declaration allows."""
    if not pinned:
        return declaration.space()
    chosen = []
    for values in pinned:
        values = {k: _plain(v) for k, v in dict(values).items()}
        problem = declaration.problem(values)
        if problem is not None:
            raise VariantError(f"pinned variant {label(values)}: {problem}")
        chosen.append(values)
    return chosen


def pinned_for(config: Variants, assignment: str, notebook: str) -> list[dict] | None:
    pins = config.pinned or {}
    return pins.get(f"{assignment}/{notebook}") or pins.get(notebook)


def pick(variants: list[dict], secret: str, assignment: str, notebook: str,
         student: str) -> dict:
    """The variant of `student`: a hash of the course's secret, the assignment, the notebook and
    the student id into the deployed list (the same on every fetch, restart and regrade)."""
    if not variants:
        raise VariantError(f"{notebook}: no variant is deployable (the constraint excludes all)")
    text = "\0".join(["variant", secret, assignment, notebook, student]).encode()
    return variants[int.from_bytes(hashlib.sha256(text).digest()[:8], "big") % len(variants)]


def label(values: dict | None) -> str:
    """A variant as people read it: `a=1.5, c=2` (`default` for none)."""
    if not values:
        return "default"
    return ", ".join(f"{name}={_shown(value)}" for name, value in values.items())


def _shown(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


class StudentVariants:
    """The variant each student of a course is graded under (the default variant with variants
    off, None where the notebook declares no parameters), each notebook's declaration read from
    source/ once and the course's secret once: for the report and the export, which ask for
    every student."""

    def __init__(self, root: Path, config=None):
        self.root = Path(root)
        self.settings = Variants(config=config)
        self._declarations: dict[tuple[str, str], Declaration | None] = {}
        self._deployed: dict[tuple[str, str], list[dict]] = {}
        self._secret: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.enabled)

    def declaration(self, assignment: str, notebook: str) -> Declaration | None:
        """The notebook's declaration (None: it declares none, or has no source); raises
        `VariantError` when it cannot be read."""
        import nbformat

        key = (assignment, notebook)
        if key not in self._declarations:
            path = self.root / "source" / assignment / f"{notebook}.ipynb"
            self._declarations[key] = (declaration_of(nbformat.read(path, as_version=4))
                                       if path.exists() else None)
        return self._declarations[key]

    def deployed(self, assignment: str, notebook: str) -> list[dict]:
        """The variants students get (the pinned ones, or every one allowed); [] for none."""
        key = (assignment, notebook)
        if key not in self._deployed:
            declaration = self.declaration(assignment, notebook)
            self._deployed[key] = [] if declaration is None else deployed(
                declaration, pinned_for(self.settings, assignment, notebook))
        return self._deployed[key]

    def of(self, assignment: str, notebook: str, student: str) -> dict | None:
        declaration = self.declaration(assignment, notebook)
        if declaration is None:
            return None
        if not self.enabled:
            return declaration.default
        if self._secret is None:
            from calcgrade.grading import seeds

            self._secret = seeds.course_secret(self.root)
        return pick(self.deployed(assignment, notebook), self._secret, assignment, notebook,
                    student)


def of_student(course_root: Path, assignment: str, notebook: str, student: str,
               config=None) -> dict | None:
    """The variant `student` is graded under (the default with variants off; None where the
    notebook declares no parameters)."""
    return StudentVariants(course_root, config).of(assignment, notebook, student)


# --- rendering --------------------------------------------------------------------------------

def _evaluate(expression: str, values: dict) -> Any:
    """An arithmetic expression of the parameters (numbers, names, + - * / ** and parentheses,
    abs, round, and math's functions): the instructor's Markdown, read without eval."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise VariantError(f"{{{{{expression}}}}} is not an expression") from exc
    functions: dict[str, Callable] = {
        "abs": abs, "round": round, "sqrt": math.sqrt, "exp": math.exp, "log": math.log,
        "sin": math.sin, "cos": math.cos}
    operators: dict[type, Callable] = {ast.Add: lambda x, y: x + y, ast.Sub: lambda x, y: x - y,
                 ast.Mult: lambda x, y: x * y, ast.Div: lambda x, y: x / y,
                 ast.Pow: lambda x, y: x ** y, ast.USub: lambda x: -x, ast.UAdd: lambda x: x}

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            return operators[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in operators:
            return operators[type(node.op)](walk(node.operand))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in functions and not node.keywords):
            return functions[node.func.id](*[walk(a) for a in node.args])
        raise VariantError(f"{{{{{expression}}}}}: only parameters, numbers and arithmetic "
                           "can be shown in the text")

    return walk(tree)


def render_text(template: str, values: dict | None) -> str:
    """Markdown with each `{{expression[:format]}}` filled in; for the exchange's shared copy
    (`values` None) the expression itself stays, so the text reads "the tangent at x = a"."""
    def fill(match):
        expression, _, spec = match.group(1).partition(":")
        if values is None:
            return expression.strip()
        value = _evaluate(expression.strip(), values)
        if spec:
            return format(value, spec)
        if isinstance(value, float) and value.is_integer() and not any(
                isinstance(values.get(n), float) for n in re.findall(r"[A-Za-z_]\w*", expression)):
            return str(int(value))
        return _shown(value)

    return _PLACEHOLDER.sub(fill, template)


def give(source: str, values: dict | str | None) -> str:
    """The declaration cell's source with `given=` set to `values` (None: without it)."""
    call = _declaration_call(source)
    if call is None:
        return source
    lines = source.split("\n")

    def offset(line: int | None, col: int | None) -> int:  # ast counts columns in UTF-8 bytes
        assert line is not None and col is not None
        return sum(len(x) + 1 for x in lines[:line - 1]) + len(
            lines[line - 1].encode()[:col].decode(errors="ignore"))

    existing = next((k for k in call.keywords if k.arg == "given"), None)
    if existing is not None:  # drop it, with the comma before it, and start again
        start = source.rfind(",", 0, offset(existing.lineno, existing.col_offset))
        return give(source[:start] + source[offset(existing.end_lineno,
                                                   existing.end_col_offset):], values)
    if values is None:
        return source
    close = offset(call.end_lineno, call.end_col_offset) - 1  # its closing parenthesis
    inside = source[:close].rstrip()
    separator = " " if inside.endswith("(") else ", "
    if call.keywords and call.end_lineno != call.lineno:  # a line of its own, aligned
        separator = ",\n" + " " * len(lines[call.keywords[-1].lineno - 1].encode()[
            :call.keywords[-1].col_offset].decode(errors="ignore"))
    return f"{inside.removesuffix(',')}{separator}given={values!r}{source[close:]}"


def given_of(source: str) -> dict | None:
    """The values a rendered declaration was given (None: none, or not a literal dict)."""
    call = _declaration_call(source)
    given = None if call is None else next((k for k in call.keywords if k.arg == "given"), None)
    if given is None:
        return None
    try:
        values = ast.literal_eval(given.value)
    except ValueError:
        return None
    return values if isinstance(values, dict) else None


def render(nb, values: dict | str | None, *, keep_template: bool = True) -> bool:
    """Render `nb` in place for a variant (`values`; NOT_FETCHED: the exchange's shared copy,
    names shown). The templates are kept in the cells' metadata (`calcgrade.template`) so a
    rendered notebook can be rendered again; changed locked cells get nbgrader's checksum anew.
    True if the notebook declares parameters (otherwise it is left as it is)."""
    from nbgrader.utils import compute_checksum

    if not any(is_declaration(cell) for cell in nb.cells):
        return False
    for cell in nb.cells:
        if not is_template(cell):
            continue
        template = _template(cell)
        if cell.cell_type == "markdown":
            cell.source = render_text(template, values if isinstance(values, dict) else None)
        else:
            cell.source = give(template, values)
        if keep_template and cell.source != template:
            cell.metadata.setdefault("calcgrade", {})["template"] = template
        meta = cell.metadata.get("nbgrader", {})
        if "checksum" in meta:
            meta["checksum"] = compute_checksum(cell)
    return True


# --- nbgrader's side ------------------------------------------------------------------------------

def variant_for(info: dict, templates: dict[str, str] | None = None,
                settings: Variants | None = None) -> dict | None:
    """The variant a submission is graded under, from nbgrader's `resources["nbgrader"]`
    (assignment, notebook, student, gradebook): the declaration as the gradebook keeps it, the
    student's id, the course's secret (run in the course root). None: no parameters declared."""
    import nbformat

    if templates is None:
        templates = _gradebook_templates(info)
    declaration = declaration_of(nbformat.from_dict(
        {"cells": [nbformat.v4.new_code_cell(s) for s in templates.values()]}))
    if declaration is None:
        return None
    settings = settings or Variants()
    if not settings.enabled:
        return declaration.default
    from calcgrade.grading import seeds

    chosen = deployed(declaration, pinned_for(settings, info["assignment"], info["notebook"]))
    return pick(chosen, seeds.course_secret(Path.cwd()), info["assignment"], info["notebook"],
                str(info["student"]))


def _default_of(nb) -> dict | None:
    declaration = declaration_of(nb)
    return None if declaration is None else declaration.default


def _gradebook_templates(info: dict) -> dict[str, str]:
    """grade_id -> source of the notebook's template cells, as the gradebook keeps them."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(info["db_url"]) as gb:
        try:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return {}
        cells = [nbformat.from_dict({"cell_type": c.cell_type, "source": c.source,
                                     "metadata": {}}) for c in notebook.source_cells]
        names = [c.name for c in notebook.source_cells]
    return {name: cell.source for name, cell in zip(names, cells)
            if cell.cell_type in ("code", "markdown") and is_template(cell)}


def describe(nb_path: Path) -> str:
    """One line for `calcgrade check`: the notebook's parameters and how many variants."""
    import nbformat

    declaration = declaration_of(nbformat.read(nb_path, as_version=4))
    if declaration is None:
        return "no parameters declared"
    sizes = " × ".join(f"{len(v)} {n}" for n, v in declaration.choices.items())
    total = math.prod(len(v) for v in declaration.choices.values())
    allowed = len(declaration.space())
    return (f"{allowed} variants ({sizes}; {total - allowed} excluded by the constraint); "
            f"default {label(declaration.default)}")


def __getattr__(name: str):
    """nbgrader's steps (`RenderDefaultVariant`, `RenderStudentVariant`, `OverwriteTemplateCells`,
    `generate_assignment_steps`, `sanitize_steps`) live in `calcgrade.grading.variant_steps`,
    imported on first use: `import calcgrade` in a student's kernel or sandbox must not pay for
    nbgrader and nbformat (about 2 s per process)."""
    if name in _STEPS:
        from calcgrade.grading import variant_steps

        return getattr(variant_steps, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_STEPS = {"RenderDefaultVariant", "RenderStudentVariant", "OverwriteTemplateCells",
          "generate_assignment_steps", "sanitize_steps"}
