"""Your code is a guest: a file of yours is imported and run only in worker processes the run watches
(report/verify/parallel.py), one case per process, never in the process that writes the report
(a module object handed to report.compare is already imported, and runs where it is). Whatever it
does — exit, loop, crash, raise KeyboardInterrupt — becomes one line about it, and the run goes on.

TIME_LIMIT is the default for the seconds your code may run on one case (in your functions, summed
over the case's steps — the engines' own time does not count; --time-limit changes it). Measured
here: a sigmoid_backward of yours spends 0.35 s of Mazur's 10,000 steps (the whole case takes 14 s),
and a conv2d_forward written as seven nested Python loops 0.05 s on layers-cnn-train. Two minutes
is some 300 times the slowest of those: room for much slower code, and a loop that never returns
still ends within a class's patience.
"""

from reference.plugin import Described, PluginError, describe
from report.verify.parallel import Lost, run_watched

TIME_LIMIT = 120.0  # seconds of your code per case
IMPORT_LIMIT = 60.0  # seconds to import your file and look at what it defines


def probe(source: str, limit: float = IMPORT_LIMIT) -> Described:
    """What your file defines, found by importing it in a watched worker; PluginError with one line when
    it cannot be used, ends its process while being imported, or does not finish importing in `limit` s."""
    (found,) = run_watched(describe_or_problems, [source], 1, wall=limit)
    if isinstance(found, Lost):
        raise PluginError(source, [f"importing it {found.why}"])
    if isinstance(found, PluginError):
        raise found
    return found


def describe_or_problems(source: str) -> "Described | PluginError":
    try:
        return describe(source)
    except PluginError as error:
        return error
