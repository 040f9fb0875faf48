"""Run cases through every engine, compare them with torch, and write the report.

From Python (for notebooks):  `report.compare("cases/")` returns DataFrames
(`.summary`, `.details`, `.arrays`, `.expectations`, `.finite_differences`). From the shell:
`python -m report --help`.

The names below are imported when first used, not with the package: `python -m report` can then
start its worker processes before this process spends a second importing torch.
"""

import importlib

_HOMES = {"assert_matches_torch": "report.verify.check", "CaseResult": "report.verify.run", "run_case": "report.verify.run",
          "Tables": "report.verify.tables", "compare": "report.write.notebook", "exit_code": "report.verify.tables",
          "run_cases": "report.verify.tables"}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'report' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
