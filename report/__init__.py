"""Run cases through every engine, compare them with torch, and write the report.

From Python (for notebooks):  `report.compare("cases/")` returns DataFrames
(`.summary`, `.details`, `.arrays`, `.expectations`, `.finite_differences`). From the shell:
`python -m report --help`.
"""

from report.check import assert_matches_torch
from report.run import CaseResult, run_case
from report.tables import Tables, compare, exit_code, run_cases

__all__ = ["CaseResult", "Tables", "assert_matches_torch", "compare", "exit_code", "run_case", "run_cases"]
