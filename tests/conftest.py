"""Shared fixtures: each case is run by each engine once per test session."""

import os
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import oracle
import reference
from cases import Case, GraphCase, Step, load_cases

ROOT = Path(__file__).resolve().parent.parent


@cache
def all_builtin_cases() -> tuple[Case | GraphCase, ...]:
    cases, errors = load_cases()
    assert not errors, "\n".join(str(error) for error in errors)
    return tuple(cases)


def builtin_cases() -> tuple[Case, ...]:
    """The built-in dense cases (the graph cases have tests of their own, tests/test_graph.py)."""
    return tuple(case for case in all_builtin_cases() if isinstance(case, Case))


def builtin_graph_cases() -> tuple[GraphCase, ...]:
    return tuple(case for case in all_builtin_cases() if isinstance(case, GraphCase))


_runs: dict[tuple[str, str, str], list[Step]] = {}


def run(case: Case, engine: str) -> list[Step]:
    """An engine's recording of a case, computed once per session: "oracle" (torch); "reference" or
    "tape", each step started from torch's state at that step, as the report compares them
    (report/verify/run.py); "free", the reference on its own trajectory."""
    key = (case.path, case.dtype, engine)
    if key not in _runs:
        if engine == "oracle":
            _runs[key] = oracle.run(case)
        elif engine == "free":
            _runs[key] = reference.run(case)
        else:
            _runs[key] = reference.run(case, mode="tape" if engine == "tape" else "formulas",
                                       anchor=run(case, "oracle").__getitem__)
    return _runs[key]


def run_both(case: Case) -> tuple[list[Step], list[Step]]:
    """(reference, oracle) recordings of a case, computed once per session."""
    return run(case, "reference"), run(case, "oracle")


@pytest.fixture(params=builtin_cases(), ids=lambda case: case.name)
def builtin_case(request: pytest.FixtureRequest) -> Case:
    return request.param


# Hypothesis profiles: HYPOTHESIS_PROFILE=thorough for a long local run; CI uses the quick one.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=10000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n auto`, every test of one built-in case goes to one worker, which then runs
    each engine on that case once (the recordings above are kept per process)."""
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is not None and isinstance(spec.params.get("builtin_case"), Case):
            item.add_marker(pytest.mark.xdist_group(spec.params["builtin_case"].name))
