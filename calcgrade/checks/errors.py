"""The one exception every checker raises, shaped for the student who reads it.

A failing check must tell the student which part is wrong and how, in their terms, and
nothing of the expected answer. In a notebook, IPython shows only ``_render_traceback_``'s
lines, so the student sees the message instead of a traceback into calcgrade; nbgrader still
records an error output and scores the test cell 0.

An error raised by the student's own code is reported by `describe_error`: numpy's and Python's
words where they are plain (a NameError), a sentence where they are jargon (`plain_error`: a
gufunc signature becomes "a matrix product (@) in your code multiplies arrays whose sizes do not
fit").
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


def _shape(text: str) -> str:
    """numpy's '(3,2)' as Python prints a shape: '(3, 2)'."""
    sizes = [s for s in text.strip("()[] ").split(",") if s.strip()]
    return "(" + ", ".join(s.strip() for s in sizes) + ("," if len(sizes) == 1 else "") + ")"


def plain_error(exc: BaseException) -> str | None:
    """What went wrong in a student's code, as a sentence, where numpy's or Python's own words
    would be jargon (a gufunc signature, broadcasting, casting rules, "0-dimensional arrays");
    None where the error's own words are plain enough (a NameError, say). Says what to look at,
    never what the right code is."""
    import re

    text = str(exc).strip()
    name = type(exc).__name__
    m = re.match(r"matmul: Input operand 1 has a mismatch in its core dimension 0, .*"
                 r"\(size (\d+) is different from (\d+)\)", text)
    if m:
        return (f"a matrix product (@) in your code multiplies arrays whose sizes do not fit: the "
                f"left one has {m.group(2)} columns (entries, for a vector) and the right one "
                f"{m.group(1)} rows (entries); check the shapes of what you multiply, and whether "
                "one of them should be transposed")
    m = re.match(r"shapes (\(.*?\)) and (\(.*?\)) not aligned", text)
    if m:
        return (f"a product (np.dot) in your code multiplies arrays of shapes "
                f"{_shape(m.group(1))} and {_shape(m.group(2))}, whose sizes do not fit; check "
                "the shapes of what you multiply, and whether one should be transposed")
    m = re.match(r"operands could not be broadcast together with (?:remapped )?shapes"
                 r"(?: \[original->remapped\]:)? (.*)$", text)
    if m:
        shapes = re.findall(r"\(([\d, ]*)\)(?:->\S+)?", m.group(1))
        shown = " and ".join(_shape(s) for s in shapes) or m.group(1).strip()
        return (f"your code combines arrays of shapes {shown} entry by entry, which needs "
                "matching shapes; check the shape of each array you combine")
    m = re.match(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", text)
    if m:
        return (f"your code reads entry {m.group(1)} along axis {m.group(2)} of an array that has "
                f"only {m.group(3)} there; does it assume a fixed size? It is called on inputs "
                "of other sizes too")
    if name == "IndexError" and "out of range" in text:
        return ("your code reads past the end of a list or tuple; does it assume a fixed length? "
                "It is called on inputs of other lengths too")
    if "only 0-dimensional arrays can be converted to Python scalars" in text or (
            "only length-1 arrays can be converted" in text):
        return ("it was given a numpy array and turned it into a single number (functions of "
                "the `math` module, float() and int() take one number only); use numpy's "
                "functions, which work entry by entry")
    if "truth value of an array with more than one element is ambiguous" in text:
        return ("it was given a numpy array and used it where a single True or False is needed "
                "(an `if`, `and`, `or`, or a comparison of whole arrays); decide entry by entry "
                "instead (numpy has functions and boolean masks for that)")
    m = re.match(r"Cannot cast ufunc '(\w+)' output from dtype\('(\w+)'\) to dtype\('(\w+)'\)",
                 text)
    if m:
        return (f"an in-place update (such as -= or +=) tries to store {m.group(2)} results in "
                f"an array of {m.group(3)}s; where your arrays start out as integers (from "
                "integer inputs, or np.zeros_like of one), make them float arrays")
    m = re.match(r"cannot reshape array of size (\d+) into shape (\(.*\))", text)
    if m:
        return (f"your code reshapes an array of {m.group(1)} entries into shape "
                f"{_shape(m.group(2))}, which holds a different number of entries")
    if isinstance(exc, ZeroDivisionError):
        return f"your code divides by zero ({text})"
    if isinstance(exc, RecursionError):
        return "your code calls itself without end (maximum recursion depth exceeded)"
    return None


def describe_error(what: str, exc: BaseException) -> str:
    """The message for `what` (the call, as the student wrote it) having raised `exc`."""
    sentence = plain_error(exc)
    if sentence:
        return f"{what} failed: {sentence}"
    text = str(exc).strip()
    return f"{what} raised {type(exc).__name__}" + (f": {text}" if text else "")


# What a student's own exception means, for an error a test cell reports by its class alone.
ERROR_WORDS = {
    "NameError": "a name is not defined", "TypeError": "a value of the wrong type",
    "ValueError": "a value that does not fit", "ZeroDivisionError": "a division by zero",
    "IndexError": "an index out of range", "KeyError": "a key that is not there",
    "AttributeError": "an attribute that is not there", "RecursionError": "endless recursion",
    "MemoryError": "more memory than allowed", "OverflowError": "a number too large",
    "FloatingPointError": "a floating-point error", "SyntaxError": "a typo in the code",
    "IndentationError": "wrong indentation", "ImportError": "an import that failed",
    "ModuleNotFoundError": "a module that is not installed", "TimeoutError": "a time-out",
    "RuntimeError": "a run-time error", "LinAlgError": "a linear-algebra error",
    "DeadKernelError": "the notebook's process stopped",
}


def error_in_words(name: str) -> str:
    """What an exception class means, in words, for a message that must not name it (the
    feedback page: "raised an error (a value of the wrong type)")."""
    return ERROR_WORDS.get(name, "an error")
