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
from report.verify.run import run_case


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


def assert_matches_torch(impl: str | Path | ModuleType | Implementation, case: str | Path | Case) -> None:
    """Your building blocks on one case, every step, against torch; an AssertionError otherwise."""
    try:
        implementation = impl if isinstance(impl, Implementation) else load_implementation(impl)
    except PluginError as error:
        raise AssertionError("\n".join(error.lines)) from None
    case = resolve_case(case)
    if not isinstance(case, Case):
        raise AssertionError(f"{case.name} is a graph case: it has no building blocks of yours to check")
    result = run_case(case, implementation.blocks, witnesses=False, only_yours=True)
    if "yours" in result.failures:
        raise AssertionError(f"{case.name}: yours {result.failures['yours']}")
    if "yours" in result.first_wrong:
        raise AssertionError(result.first_wrong["yours"].describe(case))
    if not result.exercised:
        raise NotExercised(f"{case.name} calls none of your functions ({', '.join(sorted(implementation.functions))}): "
                           "nothing of yours was checked")
    table = result.expectations
    if len(table) and "yours_ok" in table:
        wrong = table[~table["yours_ok"]]
        if len(wrong):
            row = wrong.iloc[0]
            raise AssertionError(f"{case.name}: published {row['name']} at step {row['step']} = {row['published']!r}, "
                                 f"yours {row['yours']!r} (tolerance {row['tolerance']!r})")
