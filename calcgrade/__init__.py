"""calcgrade: auto-graded calculus and backprop notebooks on nbgrader.

What a hidden test cell calls is here, at the top (``import calcgrade as cg``): the checkers,
which take the student's names and the expected answer and raise :class:`CheckFailed` with a
message that names the part and the mistake. ``from calcgrade import selfcheck`` gives the
visible checks students run.

Where the rest lives:

- ``calcgrade.checks``   the checkers themselves (symbolic, numeric, gradients, plots), error
                         carried forward between parts (carried) and the students' self-checks;
- ``calcgrade.sandbox``  how a submission is isolated: the student's process in bubblewrap, its
                         fork server, and the codec for values that cross between it and the
                         grader;
- ``calcgrade.grading``  how a notebook is executed and graded: nbgrader's autograde with
                         TrustedExecute in place of Execute, locally or on a Dask cluster, the
                         instructor's solution graded first, reproducible seeds, replay;
- ``calcgrade.course``   the instructor's tools on a course directory: its gradebook, the
                         pre-release check, the class report;
- at the top, what instructors name in their own files: ``cli`` (the ``calcgrade`` command),
  ``corpus`` (imported by answer corpora), ``exchange``, ``export``, ``feedback`` (nbgrader plugins
  named in nbgrader_config.py), ``variants`` (each student their own numbers: ``cg.variant``
  in a notebook, its rendering in nbgrader's steps), ``limits`` (every limit, one place) and
  ``defences`` (test-only switches).
"""

from calcgrade.checks import carried, errors, gradients, numeric, plots, selfcheck, symbolic
from calcgrade.checks.carried import check_carried, fails_its_own_check
from calcgrade.checks.errors import CheckFailed
from calcgrade.checks.gradients import (
    centred_difference,
    check_backward,
    check_forward,
    check_numerical_gradient,
    check_sgd_step,
    check_train,
    random_params,
)
from calcgrade.checks.numeric import (
    check_cases,
    check_function,
    check_value,
    check_vector_function,
    random_points,
)
from calcgrade.checks.plots import check_curves_plot
from calcgrade.checks.symbolic import (
    check_expression,
    check_vector_expression,
    parse_expression,
    parse_vector,
)
from calcgrade.variants import steps, variant

__all__ = [
    "CheckFailed", "check_expression", "check_vector_expression", "parse_expression",
    "parse_vector", "check_backward", "check_forward", "check_numerical_gradient",
    "check_sgd_step", "check_train", "centred_difference", "random_params", "check_cases",
    "check_function", "check_value", "check_vector_function", "random_points",
    "check_curves_plot", "check_carried", "fails_its_own_check", "carried", "errors",
    "gradients", "numeric", "plots", "selfcheck", "symbolic", "variant", "steps",
]
answers = symbolic  # its name before the checkers moved to calcgrade.checks (cg.answers.…)
