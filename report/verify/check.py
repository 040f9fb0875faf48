"""Check your implementation from your own tests:

    from report import assert_matches_torch
    def test_my_backprop():
        assert_matches_torch("my_backprop.py", "mazur-2-2-2-eta-0.1")

An AssertionError names the first wrong number, what agreed before it and, where a classic
mistake fits, the mistake. The pytest plugin (`pytest --impl FILE [--cases DIR]`) runs this on
every case.
"""

from pathlib import Path
from types import ModuleType

from cases import BUILTIN_CASES, Case, load_case, load_cases
from reference.plugin import Implementation, PluginError, load_implementation
from report.verify.guest import TIME_LIMIT, probe
from report.verify.parallel import Lost, run_watched
from report.verify.run import CaseResult, run_case
from report.verify.tables import blocks_of


class NotExercised(AssertionError):
    """The case called none of your functions: it checked nothing of yours (pytest --impl skips it, saying so)."""


def resolve_case(case: str | Path | Case) -> Case:
    """A Case, a case file, or the name of a built-in case."""
    if isinstance(case, Case):
        return case
    path = Path(case)
    if path.suffix == ".toml" or path.exists():
        return load_case(path)
    found = {c.name: c for c in load_cases([BUILTIN_CASES])[0]}
    if str(case) not in found:
        raise ValueError(f"no built-in case named {case!r}")
    return found[str(case)]


def assert_matches_torch(impl: str | Path | ModuleType | Implementation, case: str | Path | Case,
                         time_limit: float = TIME_LIMIT) -> None:
    """Your building blocks on one case, every step, against torch; an AssertionError otherwise. Your
    file is imported and run in a worker process this one watches (report/verify/guest.py): one that
    exits, crashes or runs past `time_limit` seconds fails with one line saying so."""
    case = resolve_case(case)
    if not isinstance(case, Case):
        raise AssertionError(f"{case.name} is a graph case: it has no building blocks of yours to check")
    try:
        if isinstance(impl, str | Path) and Path(impl).is_file():
            functions = probe(str(impl), time_limit).functions
            result = checked_in_a_worker(str(impl), case, time_limit)
        else:
            implementation = impl if isinstance(impl, Implementation) else load_implementation(impl)
            functions = tuple(implementation.functions)
            result = run_case(case, implementation.blocks, witnesses=False, only_yours=True)
    except PluginError as error:
        raise AssertionError("\n".join(error.lines)) from None
    if "yours" in result.failures:
        raise AssertionError(result.failures["yours"])
    if "yours" in result.first_wrong:
        raise AssertionError(result.first_wrong["yours"].describe(case))
    if not result.exercised:
        raise NotExercised(f"{case.name} calls none of your functions ({', '.join(sorted(functions))}): "
                           "nothing of yours was checked")
    table = result.expectations
    if len(table) and "yours_ok" in table:
        wrong = table[~table["yours_ok"]]
        if len(wrong):
            row = wrong.iloc[0]
            raise AssertionError(f"{case.name}: published {row['name']} at step {row['step']} = {row['published']!r}, "
                                 f"yours {row['yours']!r} (tolerance {row['tolerance']!r})")


def checked_in_a_worker(source: str, case: Case, time_limit: float) -> CaseResult:
    """run_case on your file's blocks in a watched worker; what your code did there, if it ended the
    worker or ran too long, in `failures["yours"]`."""
    (result,) = run_watched(check_one, [(source, case)], 1, limit=lambda task: time_limit)
    if isinstance(result, Lost):
        where = f" at step {result.step}" if result.step >= 0 else ""
        who = f"your {result.function}" if result.function else "the worker running your code"
        return CaseResult.lost(case, f"{who} {result.why} on {case.name}{where}")
    return result


def check_one(task: tuple[str, Case]) -> CaseResult:
    source, case = task
    return run_case(case, blocks_of(source), witnesses=False, only_yours=True)
