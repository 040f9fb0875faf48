"""How far apart the engines are, measured: built-in cases and random networks, per dtype.

    python benchmarks/discrepancy.py [EXAMPLES]

Prints, per dtype and witness (the reference's formulas and its tape), the largest distance in
ulps and the largest normwise relative error (|witness − torch| / largest |torch| of the same
array) over every compared number: first the built-in cases at every step, then EXAMPLES
random networks (default 2000) drawn by the property test's strategy (tests/random_cases.py).
This is a measurement, not a test: nothing here asserts.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the property test's strategy
from random_cases import random_case  # noqa: E402

import oracle
import reference
from cases import Case, load_cases, loads_case
from report.verify.comparison import compare_runs


def measured(case: Case) -> pd.DataFrame:
    with np.errstate(all="ignore"):
        comparison = compare_runs(case, oracle.run(case), {"reference": reference.run(case),
                                                           "tape": reference.run(case, mode="tape")})
    return comparison.array_table()


def describe(label: str, tables: list[pd.DataFrame]) -> None:
    table = pd.concat(tables, ignore_index=True)
    for witness, rows in table.groupby("witness"):
        worst = rows.loc[rows["max_ulps"].fillna(-1).idxmax()]
        print(f"{label}, {witness}: {int(rows['count'].sum())} numbers, max {worst['max_ulps']:.0f} ulps "
              f"({worst['case']} {worst['quantity']} {worst['param']}), max normwise relative error "
              f"{rows['max_normwise_err'].replace(np.inf, np.nan).max():.3g}, disagreeing {int(rows['disagreeing'].sum())}")


def random_networks(examples: int) -> dict[str, list[pd.DataFrame]]:
    found: dict[str, list[pd.DataFrame]] = {"float64": [], "float32": []}

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(random_case())
    def measure(raw: dict) -> None:
        case = loads_case(tomli_w.dumps(raw), "random.toml")
        found[case.dtype].append(measured(case))

    measure()
    return found


def main() -> None:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    cases, _ = load_cases()
    for dtype in ("float64", "float32"):
        describe(f"built-in cases, {dtype}, every step", [measured(case.with_dtype(dtype)) for case in cases])
    for dtype, tables in random_networks(examples).items():
        describe(f"random networks, {dtype}, every step", tables)


if __name__ == "__main__":
    main()
