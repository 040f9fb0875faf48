"""How far apart the engines are, measured: built-in cases and random networks, per dtype.

    python benchmarks/discrepancy.py [EXAMPLES]

Prints, per dtype, the largest distance in ulps and the largest normwise relative error
(|reference − oracle| / largest |oracle| in the same array) over every compared number: first
the built-in cases at every step, then EXAMPLES random networks (default 2000) drawn by the
property test's own strategy (tests/test_random_networks.py), all steps and step 0 apart.
This is a measurement, not a test: nothing here asserts.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w
from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_random_networks import random_case  # noqa: E402

import oracle  # noqa: E402
import reference  # noqa: E402
from cases import load_cases, loads_case  # noqa: E402
from report.compare import details  # noqa: E402


def normwise(table: pd.DataFrame) -> pd.Series:
    scale = table.groupby(["step", "quantity", "param"])["oracle"].transform(lambda v: v.abs().max())
    return (table["abs_err"] / scale).where(table["abs_err"] > 0, 0.0)


def describe(label: str, tables: list[pd.DataFrame]) -> None:
    table = pd.concat(tables, ignore_index=True)
    finite = table[np.isfinite(table["reference"]) & np.isfinite(table["oracle"])]
    worst = finite.loc[finite["ulps"].idxmax()]
    print(f"{label}: {len(finite)} numbers ({len(table) - len(finite)} not finite in both), "
          f"max {worst['ulps']:.0f} ulps ({worst['case']} step {worst['step']} {worst['quantity']} {worst['param']}"
          f"[{worst['index']}] = {worst['oracle']:.3g}), max normwise relative error {normwise(finite).max():.3g}, "
          f"disagreeing {int((~table['ok']).sum())}")


def builtin(dtype: str) -> list[pd.DataFrame]:
    cases, _ = load_cases()
    tables = []
    for case in cases:
        case = case.with_dtype(dtype)
        tables.append(details(case, reference.run(case), oracle.run(case)))
    return tables


def random_networks(examples: int) -> dict[str, list[pd.DataFrame]]:
    found: dict[str, list[pd.DataFrame]] = {"float64": [], "float32": []}

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(random_case())
    def measure(raw: dict) -> None:
        case = loads_case(tomli_w.dumps(raw), "random.toml")
        with np.errstate(all="ignore"):
            found[case.dtype].append(details(case, reference.run(case), oracle.run(case)))

    measure()
    return found


def main() -> None:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for dtype in ("float64", "float32"):
        describe(f"built-in cases, {dtype}, every step", builtin(dtype))
    for dtype, tables in random_networks(examples).items():
        describe(f"random networks, {dtype}, every step", tables)
        describe(f"random networks, {dtype}, step 0", [t[t["step"] == 0] for t in tables])


if __name__ == "__main__":
    main()
