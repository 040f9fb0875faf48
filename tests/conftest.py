"""Shared fixtures: each case is run by both engines once per test session."""

import os
from functools import cache

import pytest
from hypothesis import HealthCheck, settings

import oracle
import reference
from cases import Case, Step, load_cases


@cache
def builtin_cases() -> tuple[Case, ...]:
    cases, errors = load_cases()
    assert not errors, "\n".join(str(error) for error in errors)
    return tuple(cases)


_runs: dict[tuple[str, str], tuple[list[Step], list[Step]]] = {}


def run_both(case: Case) -> tuple[list[Step], list[Step]]:
    """(reference, oracle) recordings of a case, computed once per session."""
    key = (case.path, case.dtype)
    if key not in _runs:
        _runs[key] = (reference.run(case), oracle.run(case))
    return _runs[key]


@pytest.fixture(params=builtin_cases(), ids=lambda case: case.name)
def builtin_case(request: pytest.FixtureRequest) -> Case:
    return request.param


# Hypothesis profiles: HYPOTHESIS_PROFILE=thorough for a long local run; CI uses the quick one.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=10000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
