"""The checkers a hidden test cell calls (re-exported by ``calcgrade``), and the self-checks a
student runs: `symbolic` (expressions parsed with a whitelist, compared exactly then at random
points), `numeric` (values and functions at random points), `gradients` (finite differences, SGD
steps), `plots` (a figure's artists), `carried` (error carried forward: a later part right for
the student's own earlier answer keeps its points), `selfcheck` (names, types, shapes; no
answers), `errors` (the one exception they raise, shaped for the student).

They run in the grader, on values the sandbox's codec rebuilt from what the student's process
sent: nothing here calls the student's own methods.
"""
