"""calcgrade: checkers for auto-graded calculus and backprop notebooks, and their command line.

Hidden tests in the notebooks call these checkers with the student's names and the expected
answer; every failure is a :class:`CheckFailed` whose message names the part and the mistake.
"""

from .answers import (
    check_expression,
    check_vector_expression,
    parse_expression,
    parse_vector,
)
from .errors import CheckFailed
from .gradients import (
    centred_difference,
    check_backward,
    check_forward,
    check_numerical_gradient,
    check_sgd_step,
    check_train,
    random_params,
)
from .numeric import (
    check_cases,
    check_function,
    check_value,
    check_vector_function,
    random_points,
)
from .plots import check_curves_plot

__all__ = [
    "CheckFailed", "check_expression", "check_vector_expression", "parse_expression",
    "parse_vector", "check_backward", "check_forward", "check_numerical_gradient",
    "check_sgd_step", "check_train", "centred_difference", "random_params", "check_cases",
    "check_function",
    "check_value", "check_vector_function", "random_points", "check_curves_plot",
]
