"""Wall time of each engine on each built-in case (a benchmark, not a test).

    python benchmarks/engines.py
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import oracle  # noqa: E402
import reference  # noqa: E402
from cases import load_cases  # noqa: E402


def timed(function, case, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function(case)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    cases, _ = load_cases()
    print(f"{'case':36} {'steps':>6} {'formulas s':>11} {'tape s':>9} {'oracle s':>9}")
    for case in cases:
        formulas = timed(reference.run, case)
        tape = timed(lambda c: reference.run(c, mode="tape"), case)
        torch_s = timed(oracle.run, case)
        print(f"{case.name:36} {case.steps:6d} {formulas:11.4f} {tape:9.4f} {torch_s:9.4f}")


if __name__ == "__main__":
    main()
