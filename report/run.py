"""Run case files through both engines and gather the comparison tables. No model math here."""

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import oracle
import reference
from cases import BUILTIN_CASES, Case, CaseError, Step, load_cases
from report.compare import DETAIL_COLUMNS, EXPECTATION_COLUMNS, details, expectations

SUMMARY_COLUMNS = ["case", "title", "dtype", "steps", "compared", "max_abs_err", "max_rel_err",
                   "max_ulps", "expectations_passed", "expectations_total", "reference_s",
                   "oracle_s", "verdict", "message"]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    reference: list[Step]
    oracle: list[Step]
    reference_s: float
    oracle_s: float
    details: pd.DataFrame
    expectations: pd.DataFrame

    @property
    def agree(self) -> bool:
        """The engines agree on every number and both reproduce every published one."""
        return bool(self.details["ok"].all()) and bool(self.expectations["ok"].all())

    @property
    def verdict(self) -> str:
        return "agree" if self.agree else "DISAGREE"

    def message(self, limit: int = 3) -> str:
        """What disagrees, first few: engine against engine, then published numbers."""
        parts = []
        failing = self.details[~self.details["ok"]]
        if len(failing):
            row = failing.iloc[0]
            parts.append(f"{len(failing)} engine values disagree, first at step {row.step} "
                         f"{_where(row.quantity, row.param, row['index'])}: reference {row.reference!r}, "
                         f"oracle {row.oracle!r} ({row.ulps:.0f} ulps)")
        wrong = self.expectations[~self.expectations["ok"]]
        for row in wrong.head(limit).itertuples():
            off = max(row.reference_err, row.oracle_err)
            parts.append(f"published {row.name} at step {row.step} = {row.published!r}, engines give "
                         f"{row.reference!r} / {row.oracle!r}: off by {off:.3g} (tolerance {row.tolerance:.3g})")
        if len(wrong) > limit:
            parts.append(f"… {len(wrong) - limit} more published numbers not reproduced")
        return "; ".join(parts)


def _where(quantity: str, param: str, index: str) -> str:
    text = quantity + (f" {param}" if param else "")
    return text + (f"[{index}]" if index else "")


@dataclass(frozen=True)
class Tables:
    """What `compare` returns: one row per case, per compared scalar, per published number."""

    summary: pd.DataFrame
    details: pd.DataFrame
    expectations: pd.DataFrame
    results: list[CaseResult]
    errors: list[CaseError]


class Progress:
    """One line per case on stderr; step counts while a case runs for more than two seconds."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def case(self, position: int, total: int, case: Case) -> Callable[[str], Callable[[int], None]]:
        started = time.perf_counter()
        last_shown = [started]

        def engine(name: str) -> Callable[[int], None]:
            def on_step(t: int) -> None:
                now = time.perf_counter()
                if self.enabled and now - started > 2 and now - last_shown[0] > 1:
                    last_shown[0] = now
                    print(f"  [{position}/{total}] {case.name}: {name} step {t}/{case.steps}",
                          file=sys.stderr, flush=True)
            return on_step

        if self.enabled:
            print(f"[{position}/{total}] {case.name} ({case.dtype}, {case.steps} steps)",
                  file=sys.stderr, flush=True)
        return engine


def run_case(case: Case, on_step: Callable[[str], Callable[[int], None]] | None = None) -> CaseResult:
    """Both engines on one case, timed, and compared."""
    started = time.perf_counter()
    ref = reference.run(case, on_step=on_step("reference") if on_step else None)
    reference_s = time.perf_counter() - started
    started = time.perf_counter()
    ora = oracle.run(case, on_step=on_step("oracle") if on_step else None)
    oracle_s = time.perf_counter() - started
    return CaseResult(case, ref, ora, reference_s, oracle_s,
                      details(case, ref, ora), expectations(case, ref, ora))


def summary_row(result: CaseResult) -> dict:
    table, expected = result.details, result.expectations
    return {
        "case": result.case.name, "title": result.case.title, "dtype": result.case.dtype,
        "steps": result.case.steps, "compared": len(table),
        "max_abs_err": float(np.nanmax(table["abs_err"])) if table["abs_err"].notna().any() else np.nan,
        "max_rel_err": float(np.nanmax(table["rel_err"])) if table["rel_err"].notna().any() else np.nan,
        "max_ulps": float(np.nanmax(table["ulps"])) if table["ulps"].notna().any() else np.nan,
        "expectations_passed": int(expected["ok"].sum()), "expectations_total": len(expected),
        "reference_s": result.reference_s, "oracle_s": result.oracle_s,
        "verdict": result.verdict, "message": result.message(),
    }


def invalid_row(error: CaseError) -> dict:
    row = {column: np.nan for column in SUMMARY_COLUMNS}
    row.update(case=Path(error.path).stem, title="", dtype="", verdict="invalid", message=str(error),
               steps=0, compared=0, expectations_passed=0, expectations_total=0)
    return row


def compare(*paths: str | Path, dtype: str | None = None, only: Iterable[str] = (),
            progress: bool = False) -> Tables:
    """Run every case under `paths` (default: the built-in cases) and return the tables.

    `dtype` runs every case in that precision; `only` keeps the cases with those names.
    Invalid files appear in the summary with verdict `invalid`; the valid ones still run.
    """
    cases, errors = load_cases(paths or (BUILTIN_CASES,))
    wanted = set(only)
    if wanted:
        cases = [case for case in cases if case.name in wanted]
    if dtype is not None:
        cases = [case.with_dtype(dtype) for case in cases]
    display = Progress(progress)
    results = [run_case(case, display.case(i, len(cases), case)) for i, case in enumerate(cases, 1)]
    summary = pd.DataFrame([summary_row(r) for r in results] + [invalid_row(e) for e in errors],
                           columns=SUMMARY_COLUMNS)
    summary = summary.astype({"steps": int, "compared": int, "expectations_passed": int,
                              "expectations_total": int})
    frames = [r.details for r in results]
    expected = [r.expectations for r in results if len(r.expectations)]
    return Tables(
        summary=summary,
        details=pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DETAIL_COLUMNS),
        expectations=(pd.concat(expected, ignore_index=True) if expected
                      else pd.DataFrame(columns=EXPECTATION_COLUMNS)),
        results=results,
        errors=errors,
    )


def exit_code(tables: Tables) -> int:
    """2 if any case file is invalid, else 1 if anything disagrees or a published number fails, else 0."""
    if tables.errors:
        return 2
    if not all(r.agree for r in tables.results):
        return 1
    return 0
