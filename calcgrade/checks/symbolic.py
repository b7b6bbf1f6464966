"""Symbolic answers: parsed with a whitelist of names (never ``eval``'d), then compared.

Every answer, whether the student gives a string, a sympy expression or a sequence of them, is
turned into text and rebuilt node by node from Python's AST. Only numbers, the problem's own
symbols, a few constants and elementary functions get through, so an object that lies about
itself (``__eq__`` always true, a custom sympy subclass) is reduced to what it prints. Symbols
are matched by name and rebuilt as real symbols, whatever assumptions the student gave them.

Equivalence is decided exactly where sympy can (expansion, then ``simplify`` under a time
limit) and otherwise by evaluation at random points of a domain where the answer is defined.
"""

from __future__ import annotations

import ast
import contextlib
import random
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping, NoReturn, Sequence, cast

import numpy as np
import sympy as sp

from calcgrade.checks.errors import CheckFailed, passed
from calcgrade.grading import seeds
from calcgrade.limits import time_limit

FUNCTIONS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "exp": sp.exp, "log": sp.log, "ln": sp.log,
    "sqrt": sp.sqrt, "Abs": sp.Abs, "abs": sp.Abs, "sign": sp.sign,
}
CONSTANTS = {"pi": sp.pi, "E": sp.E, "e": sp.E}
# Bounds on what one answer may make the grader compute, checked before the work is done (sympy
# evaluates numeric powers eagerly, in C, where no time limit can stop it).
MAX_ANSWER_CHARS = 5000
MAX_DEPTH = 60               # nesting of the formula's tree
MAX_NUMBER_BITS = 4096       # size of any exact number built while reading (about 1,200 digits)
MAX_EXPONENT = 1000          # largest numeric exponent
MAX_GROWTH_ARGUMENT = 1000   # largest number exp, sinh, cosh may be applied to
MAX_EXPONENTIALS = 4         # exp/sinh/cosh/tanh nested in one another
SIMPLIFY_SECONDS = 3.0
CHECK_SECONDS = 20.0         # all of one answer's comparison (exact, then at random points)
_GROWING = ("exp", "sinh", "cosh", "tanh")

# An interval list per symbol: points are drawn uniformly from one interval chosen at random.
Domain = Mapping[str, Sequence[tuple[float, float]]]
DEFAULT_INTERVALS = ((-2.0, -0.2), (0.2, 2.0))

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


class _Builder:
    """Rebuild a sympy expression from a whitelisted Python AST."""

    def __init__(self, symbols: Iterable[str], part: str, what: str):
        self.symbols = {name: _symbol(name) for name in symbols}
        self.part = part
        self.what = what
        self.depth = 0
        self.exponentials = 0

    def fail(self, message: str) -> NoReturn:
        raise CheckFailed(self.part, f"{self.what} {message}")

    def build(self, node: ast.AST) -> sp.Expr:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self.fail(f"is nested too deeply (more than {MAX_DEPTH} levels)")
            return self._build(node)
        finally:
            self.depth -= 1

    @staticmethod
    def _largest_bits(expr: sp.Expr) -> int:
        """Bits of the largest exact number in `expr` (numerator or denominator)."""
        return max([max(abs(r.p).bit_length(), abs(r.q).bit_length())
                    for r in expr.atoms(sp.Rational)] + [0])

    def _checked(self, result: sp.Expr) -> sp.Expr:
        if self._largest_bits(result) > MAX_NUMBER_BITS:
            self.fail("contains a number too large to be an answer")
        return result

    def _power(self, left: sp.Expr, right: sp.Expr) -> sp.Expr:
        """left ** right, refused before sympy computes it when a numeric exponent would make
        the exact numbers in the base (sympy multiplies them out at once) too large."""
        if right.is_number:
            try:
                size = abs(complex(sp.N(right, 15)))
            except (TypeError, ValueError):
                self.fail("raises to a power that is not a number it can evaluate")
            if size > MAX_EXPONENT or (size > 1 and size * self._largest_bits(left)
                                       > MAX_NUMBER_BITS):
                self.fail("raises a number to a power too large to be an answer")
        return self._checked(left ** right)

    def _call(self, name: str, args: list[sp.Expr]) -> sp.Expr:
        if name in _GROWING and len(args) == 1:
            if args[0].is_number and abs(complex(sp.N(args[0], 15))) > MAX_GROWTH_ARGUMENT:
                self.fail(f"applies `{name}` to a number too large to be an answer")
        return FUNCTIONS[name](*args)

    def _build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(f"contains {value!r}, which is not a number")
            if isinstance(value, int):
                if value.bit_length() > MAX_NUMBER_BITS or abs(value) > 10 ** 50:
                    self.fail("contains a number too large to be an answer")
                return sp.Integer(value)
            if not np.isfinite(value):
                self.fail("contains a number that is not finite")
            # Decimal text -> exact rational, so x**(-0.5) is x**(-1/2) and 2.718 is not e.
            return sp.Rational(repr(value))
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                self.fail(f"uses the function `{node.id}` without calling it")
            allowed = ", ".join(sorted(self.symbols)) or "none"
            self.fail(f"uses the name `{node.id}`, which is not one of this problem's symbols "
                      f"({allowed}) or a known constant (pi, E)")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                return self._power(left, right)
            return self._checked(_BINARY[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = ast.unparse(node.func)
                self.fail(f"calls `{name}`, which is not an allowed function "
                          f"(allowed: {', '.join(sorted(FUNCTIONS))}); "
                          "write derivatives out explicitly")
            if node.keywords:
                self.fail(f"passes keyword arguments to `{node.func.id}`")
            growing = node.func.id in _GROWING
            self.exponentials += growing
            try:
                if self.exponentials > MAX_EXPONENTIALS:
                    self.fail(f"nests exponential functions more than {MAX_EXPONENTIALS} deep")
                args = [self.build(arg) for arg in node.args]
                return self._call(node.func.id, args)
            except TypeError:
                self.fail(f"calls `{node.func.id}` with {len(node.args)} arguments")
            finally:
                self.exponentials -= growing
        self.fail(f"contains `{ast.unparse(node)[:60]}`, which an answer cannot contain")


def _answer_text(value, part: str, what: str) -> str:
    """The text of one answer element; sympy objects are printed by sympy's own printer."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, sp.Basic):
        text = sp.sstr(value)
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        try:
            text = repr(float(value))
        except OverflowError:  # an int beyond any float (2**100000)
            raise CheckFailed(part, f"{what} is a number too large to be an answer") from None
    elif isinstance(value, Fraction):  # exact, as the student wrote it
        text = f"({value.numerator})/({value.denominator})"
    elif isinstance(value, Decimal) and value.is_finite():
        text = str(value)
    else:
        raise CheckFailed(part, f"{what} should be a sympy expression (or a string), "
                                f"not {type(value).__name__}")
    if len(text) > MAX_ANSWER_CHARS:
        raise CheckFailed(part, f"{what} is too long to be an answer ({len(text)} characters)")
    return text.replace("^", "**")


def _parse_tree(text: str, part: str, what: str) -> ast.AST:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        detail = getattr(exc, "msg", "") or type(exc).__name__
        raise CheckFailed(part, f"{what} could not be read as a formula ({detail}); "
                                "write products with *, e.g. 2*x") from None


def _finite(expr: sp.Expr, builder: _Builder) -> sp.Expr:
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        builder.fail("is not finite (does it divide by zero?)")
    return expr


def parse_expression(value, symbols: Iterable[str], part: str = "answer",
                     what: str = "the answer") -> sp.Expr:
    """One expression from a string, a number or a sympy object, through the whitelist."""
    builder = _Builder(symbols, part, what)
    tree = _parse_tree(_answer_text(value, part, what), part, what)
    if isinstance(tree, (ast.List, ast.Tuple)):
        builder.fail("should be a single expression, not a sequence")
    return _finite(builder.build(tree), builder)


def parse_vector(value, length: int, symbols: Iterable[str], part: str = "answer",
                 what: str = "the answer") -> list[sp.Expr]:
    """A sequence of expressions: list, tuple, Matrix row or column, Array, or a string '[a, b]'."""
    symbols = list(symbols)
    if isinstance(value, str):
        tree = _parse_tree(_answer_text(value, part, what), part, what)
        if not isinstance(tree, (ast.List, ast.Tuple)):
            raise CheckFailed(part, f"{what} should be a sequence of {length} expressions")
        builder = _Builder(symbols, part, what)
        items = [_finite(builder.build(node), builder) for node in tree.elts]
    else:
        elements = _elements(value, length, part, what)
        items = [parse_expression(item, symbols, part, f"{what}, component {i + 1},")
                 for i, item in enumerate(elements)]
    if len(items) != length:
        raise CheckFailed(part, f"{what} should have {length} components, not {len(items)}")
    return items


def _elements(value, length: int, part: str, what: str) -> list:
    if isinstance(value, sp.MatrixBase):
        if 1 not in value.shape:
            raise CheckFailed(part, f"{what} should be a row or column of {length} entries, "
                                    f"not a matrix of shape {value.shape}")
        return list(value)
    if isinstance(value, sp.NDimArray):
        if sum(1 for n in value.shape if n != 1) > 1:
            raise CheckFailed(part, f"{what} should be one-dimensional, not of shape {value.shape}")
        return list(sp.flatten(value.tolist()))
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise CheckFailed(part, f"{what} should be one-dimensional, not of shape {value.shape}")
        return list(value)
    if isinstance(value, (list, tuple)):
        return [item[0] if isinstance(item, (list, tuple)) and len(item) == 1 else item
                for item in value]
    raise CheckFailed(part, f"{what} should be a list, tuple or sympy Matrix of {length} "
                            f"expressions, not {type(value).__name__}")


def _exactly_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """True only when sympy proves a == b; False means "not proven", never "different"."""
    diff = a - b
    try:
        with time_limit(SIMPLIFY_SECONDS):
            if sp.expand(diff) == 0:
                return True
            return sp.simplify(diff) == 0
    except (TimeoutError, RecursionError, TypeError, ValueError, ZeroDivisionError):
        return False


def _sample(domain: Domain, names: Sequence[str], rng: random.Random) -> dict[str, float]:
    point = {}
    for name in names:
        low, high = rng.choice(list(domain.get(name, DEFAULT_INTERVALS)))
        point[name] = rng.uniform(low, high)
    return point


def _value(expr: sp.Expr, point: Mapping[str, float]) -> complex:
    subs = {_symbol(name): sp.Float(v, 30) for name, v in point.items()}
    try:
        return complex(expr.evalf(30, subs=subs))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return complex("nan")


def disagreement(student: sp.Expr, expected: sp.Expr, symbols: Sequence[str],
                 domain: Domain | None = None, points: int = 24,
                 rtol: float = 1e-9, atol: float = 1e-12) -> dict[str, float] | None:
    """A point where the two expressions differ, or None when they are equivalent.

    Exact simplification first; if it cannot prove equality, the expressions are compared at
    random points where the expected one is finite and real.
    """
    if _exactly_equal(student, expected):
        return None
    rng = seeds.python_random()
    domain = domain or {}
    checked = attempts = 0
    while checked < points and attempts < 20 * points:
        attempts += 1
        point = _sample(domain, symbols, rng)
        want = _value(expected, point)
        if not np.isfinite(want) or abs(want.imag) > 1e-12 * (1 + abs(want)):
            continue
        checked += 1
        got = _value(student, point)
        if not np.isfinite(got) or abs(got - want) > atol + rtol * abs(want):
            return point
    if checked == 0:
        raise ValueError("no point of the domain gives the expected answer a finite value")
    return None


@contextlib.contextmanager
def _bounded(part: str, what: str):
    """One answer's whole comparison under CHECK_SECONDS: past it, that part fails, saying so."""
    try:
        with time_limit(CHECK_SECONDS):
            yield
    except (TimeoutError, RecursionError, MemoryError, OverflowError):
        raise CheckFailed(part, f"{what} could not be checked within {CHECK_SECONDS:g} s "
                                "(it is too large or too complex to evaluate); "
                                "write it in a simpler form") from None


def _describe(point: Mapping[str, float]) -> str:
    return ", ".join(f"{name} = {value:.3g}" for name, value in point.items())


Mistakes = Mapping[str, object] | Sequence[tuple[str, object]]


def _pairs(mistakes: Mistakes | None) -> list[tuple[str, object]]:
    """Known mistakes as (message, wrong answer) pairs; a message may name several answers."""
    if not mistakes:
        return []
    return list(mistakes.items()) if isinstance(mistakes, Mapping) else list(mistakes)


def _mistake_message(student, mistakes, symbols, domain, builder_part) -> str | None:
    for message, wrong in _pairs(mistakes):
        wrong_expr = parse_expression(wrong, symbols, builder_part, "the known mistake")
        if disagreement(student, wrong_expr, symbols, domain, points=8) is None:
            return message
    return None


MAX_TERMS = 30  # a sum longer than this, multiplied out, is not read term by term


def _monomials(expr: sp.Expr) -> dict[sp.Expr, sp.Expr] | None:
    """A sum multiplied out, as {product of symbols: its numeric factor}; None where a term is
    not a number times symbols (a function, a quotient: then terms are not compared)."""
    with time_limit(SIMPLIFY_SECONDS):
        expanded = sp.expand(expr)
    parts = sp.Add.make_args(expanded)
    if len(parts) > MAX_TERMS:
        return None
    out: dict[sp.Expr, sp.Expr] = {}
    for part in parts:
        coeff, rest = part.as_coeff_Mul()
        if rest.free_symbols and not rest.is_polynomial(*rest.free_symbols):
            return None
        out[rest] = out.get(rest, 0) + coeff
    return {k: v for k, v in out.items() if v != 0}


def term_messages(student: sp.Expr, terms: Mapping[str, str], symbols: Sequence[str],
                  part: str) -> list[str]:
    """Which labelled term of a sum is wrong (`terms`: each term of the right answer, as text,
    with its label, "the path through z"): missing, with the wrong sign or factor, and which of
    the student's own terms belong to none of them. Empty where the answer is not a sum of
    products that can be compared so (then the checker says less, rather than point wrongly)."""
    try:
        theirs = _monomials(student)
        right = {}
        for text, label in terms.items():
            coeff, rest = parse_expression(text, symbols, part, "a term").as_coeff_Mul()
            right[rest] = (coeff, label)
    except (TimeoutError, RecursionError, TypeError, ValueError):
        return []
    if theirs is None:
        return []
    found = []
    for monomial, (coeff, label) in right.items():
        given = theirs.get(monomial, 0)
        if given == 0:
            found.append(f"{label} is missing")
        elif given == -coeff:
            found.append(f"{label} has the wrong sign")
        elif given != coeff:
            found.append(f"{label} has the wrong factor")
    stray = [m * c for m, c in theirs.items() if m not in right]
    if stray:
        shown = ", ".join(sp.sstr(t) for t in stray[:3]) + (" ..." if len(stray) > 3 else "")
        found.append(f"{'a term' if len(stray) == 1 else f'{len(stray)} terms'} of yours "
                     f"({shown}) {'follows' if len(stray) == 1 else 'follow'} none of the "
                     f"{'paths' if any('path' in label for label in terms.values()) else 'terms'}"
                     " it should be made of")
    return found


def check_expression(answer, expected, symbols: Sequence[str], part: str, *,
                     what: str | None = None, domain: Domain | None = None,
                     mistakes: Mistakes | None = None,
                     terms: Mapping[str, str] | None = None) -> None:
    """Full marks when `answer` is equivalent to `expected`; a message naming the mistake otherwise.

    `mistakes` pairs a message with a known wrong answer (STACK's potential response trees in
    miniature): a student who made that mistake is told about it, in words, not with the answer.
    `terms` labels each term of a right answer that is a sum ({"u_z*z_b": "the path through
    z"}): a wrong answer is told which term is missing or wrong instead of a random point.
    """
    what = what or f"`{part}`"
    symbols = list(symbols)
    student = parse_expression(answer, symbols, part, what)
    reference = parse_expression(expected, symbols, part, "the reference answer")
    with _bounded(part, what):
        point = disagreement(student, reference, symbols, domain)
        hint = (_mistake_message(student, mistakes, symbols, domain, part)
                if point is not None else None)
        found = term_messages(student, terms, symbols, part) if point and terms and not hint \
            else []
    if point is not None:
        if found:
            raise CheckFailed(part, f"{what} is not right: " + "; ".join(found))
        raise CheckFailed(part, hint or f"{what} is not equivalent to the correct answer "
                                        f"(it differs at {_describe(point)})")
    passed(part, f"{what} is correct")


def check_vector_expression(answer, expected: Sequence, symbols: Sequence[str], part: str, *,
                            what: str | None = None, components: Sequence[str] | None = None,
                            domain: Domain | None = None,
                            mistakes: Mistakes | None = None) -> None:
    """Each component of a vector answer (a gradient, say) against the expected one.

    The message names every wrong component, e.g. "component 2 (∂f/∂x2) is wrong".
    """
    what = what or f"`{part}`"
    symbols = list(symbols)
    student = parse_vector(answer, len(expected), symbols, part, what)
    reference = [parse_expression(e, symbols, part, "the reference answer") for e in expected]
    wrong, hint = [], None
    with _bounded(part, what):
        for i, (got, want) in enumerate(zip(student, reference)):
            point = disagreement(got, want, symbols, domain)
            if point is not None:
                label = f" ({components[i]})" if components else ""
                wrong.append(f"component {i + 1}{label} is wrong "
                             f"(it differs at {_describe(point)})")
        for message, mistake in _pairs(mistakes) if wrong else ():
            known = [parse_expression(e, symbols, part, "the known mistake")
                     for e in cast(Iterable[object], mistake)]  # one per component
            if all(disagreement(g, k, symbols, domain, points=8) is None
                   for g, k in zip(student, known)):
                hint = message
                break
    if hint:
        raise CheckFailed(part, hint)
    if wrong:
        raise CheckFailed(part, f"{what}: " + "; ".join(wrong))
    passed(part, f"{what} is correct")
