"""Run cases through both engines, compare them, and write the report.

From Python (for notebooks):  `report.compare("cases/")` returns DataFrames
(`.summary`, `.details`, `.expectations`). From the shell:  `python -m report --help`.
"""

from report.run import CaseResult, Tables, compare, exit_code, run_case

__all__ = ["CaseResult", "Tables", "compare", "exit_code", "run_case"]
