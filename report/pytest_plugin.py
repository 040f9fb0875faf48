"""pytest plugin, installed with the package: `pytest --impl my_backprop.py [--cases DIR]` adds one
test per case (the built-in ones, or those under DIR) that runs your implementation against
torch and fails with the first wrong number and the mistake that explains it."""

from pathlib import Path

import pytest

from cases import BUILTIN_CASES, Case, load_cases


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("backprop-reference")
    group.addoption("--impl", metavar="FILE_OR_MODULE", help="check your back-propagation against torch on every case")
    group.addoption("--cases", metavar="DIR", help="the cases for --impl (default: the built-in ones)")


class ImplementationItem(pytest.Item):
    def __init__(self, *, case: Case, impl: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.impl = impl

    def runtest(self) -> None:
        from report.verify.check import NotExercised, assert_matches_torch

        try:
            assert_matches_torch(self.impl, self.case)
        except NotExercised as error:
            pytest.skip(str(error))

    def repr_failure(self, excinfo: pytest.ExceptionInfo, style=None) -> str:
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return Path(self.case.path), None, f"{self.impl} on {self.case.name}"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    impl = config.getoption("impl", None)
    if not impl:
        return
    folder = config.getoption("cases") or BUILTIN_CASES
    cases, errors = load_cases([Path(folder)])
    if errors:
        raise pytest.UsageError("\n".join(line for error in errors for line in error.lines()))
    # --impl checks your code, nothing else: the project's own tests (if collected, from its folder) are left out
    config.hook.pytest_deselected(items=list(items))
    items[:] = [ImplementationItem.from_parent(session, name=f"test_yours[{case.name}]", case=case, impl=impl)
                for case in cases if isinstance(case, Case)]  # graph cases have no building blocks to replace


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Each failing case's first line in full (pytest's short summary cuts it to the terminal's width)."""
    if not config.getoption("impl", None):
        return
    failed = [report for report in terminalreporter.stats.get("failed", []) if "test_yours[" in report.nodeid]
    if failed:
        terminalreporter.section("your implementation: each failing case, in full")
        for report in failed:
            terminalreporter.line(str(report.longrepr).splitlines()[0])
