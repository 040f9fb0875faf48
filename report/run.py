"""Run case files through both engines and gather the comparison tables. No model math here."""

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import oracle
import reference
from cases import BUILTIN_CASES, Case, CaseError, Step, load_cases
from reference.finite_differences import central_differences
from report.compare import DETAIL_COLUMNS, EXPECTATION_COLUMNS, details, expectations, witnesses_agree

SUMMARY_COLUMNS = ["case", "title", "dtype", "steps", "compared", "max_abs_err", "max_rel_err",
                   "max_ulps", "expectations_passed", "expectations_total", "reference_s",
                   "oracle_s", "verdict", "message", "tape_max_ulps", "fd_max_rel_err"]


class EngineFailure(Exception):
    """An engine raised on a valid case: reported as a disagreement, the other cases still run."""

    def __init__(self, case: Case, engine: str, error: BaseException) -> None:
        self.case = case
        self.message = f"the {engine} failed on this case: {type(error).__name__}: {error}"
        super().__init__(self.message)


def guarded(case: Case, engine: str, function: Callable[[], list[Step]]) -> list[Step]:
    try:
        return function()
    except Exception as error:  # any engine error becomes a row of the report, not a traceback
        raise EngineFailure(case, engine, error) from error


@dataclass(frozen=True)
class CaseResult:
    case: Case
    reference: list[Step]
    oracle: list[Step]
    reference_s: float
    oracle_s: float
    details: pd.DataFrame
    expectations: pd.DataFrame
    tape: list[Step] | None = None

    @property
    def agree(self) -> bool:
        """Every witness agrees with the oracle on every number; every published one is reproduced."""
        return bool(witnesses_agree(self.details).all()) and bool(self.expectations["ok"].all())

    @property
    def verdict(self) -> str:
        return "agree" if self.agree else "DISAGREE"

    def message(self, limit: int = 3) -> str:
        """What disagrees, first few: engine against engine, then published numbers."""
        parts = []
        table = self.details
        for column, witness, value in [("ok", "reference", "reference"), ("tape_ok", "tape", "reference_tape"),
                                       ("fd_ok", "finite-difference", "finite_diff")]:
            if column not in table:
                continue
            failing = table[~table[column].fillna(True).astype(bool)]
            if len(failing):
                row = failing.iloc[0]
                parts.append(f"{len(failing)} {witness} values disagree with the oracle, first at step {row.step} "
                             f"{_where(row.quantity, row.param, row['index'])}: {witness} {row[value]!r}, "
                             f"oracle {row.oracle!r}" + (" (not finite)" if not np.isfinite([row[value], row.oracle]).all()
                                                         else ""))
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
    failures: list[EngineFailure] = field(default_factory=list)


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


def run_case(case: Case, on_step: Callable[[str], Callable[[int], None]] | None = None,
             witnesses: bool = True) -> CaseResult:
    """Both engines on one case, timed, and compared; with `witnesses`, also the reference's
    tape mode and step-0 central differences."""
    started = time.perf_counter()
    ref = guarded(case, "reference", lambda: reference.run(case, on_step=on_step("reference") if on_step else None))
    reference_s = time.perf_counter() - started
    started = time.perf_counter()
    ora = guarded(case, "oracle", lambda: oracle.run(case, on_step=on_step("oracle") if on_step else None))
    oracle_s = time.perf_counter() - started
    tape, finite = None, None
    if witnesses:
        tape = guarded(case, "tape", lambda: reference.run(case, on_step=on_step("tape") if on_step else None,
                                                           mode="tape"))
        batch = case.batches[0]
        with np.errstate(all="ignore"):  # a diverging case gives inf/nan: reported, not warned about
            finite = central_differences(case, case.parameters(), case.x[batch], case.targets[batch])
    return CaseResult(case, ref, ora, reference_s, oracle_s,
                      details(case, ref, ora, tape, finite), expectations(case, ref, ora), tape)


def largest_fd_error(table: pd.DataFrame) -> float:
    """max |finite difference − oracle| / max |oracle gradient|, over the step-0 gradient arrays."""
    if "finite_diff" not in table:
        return np.nan
    rows = table[table["finite_diff"].notna()]
    if rows.empty:
        return np.nan
    scale = rows.groupby(["quantity", "param"])["oracle"].transform(lambda v: v.abs().max())
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(rows["fd_abs_err"] == 0, 0.0, rows["fd_abs_err"] / scale)
    return float(np.nanmax(relative))


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
        "tape_max_ulps": float(np.nanmax(table["tape_ulps"])) if "tape_ulps" in table else np.nan,
        "fd_max_rel_err": largest_fd_error(table),
    }


def failed_row(failure: EngineFailure) -> dict:
    row = {column: np.nan for column in SUMMARY_COLUMNS}
    row.update(case=failure.case.name, title=failure.case.title, dtype=failure.case.dtype, steps=failure.case.steps,
               compared=0, expectations_passed=0, expectations_total=len(failure.case.expects),
               verdict="DISAGREE", message=failure.message)
    return row


def invalid_row(error: CaseError) -> dict:
    row = {column: np.nan for column in SUMMARY_COLUMNS}
    row.update(case=Path(error.path).stem, title="", dtype="", verdict="invalid", message=str(error),
               steps=0, compared=0, expectations_passed=0, expectations_total=0)
    return row


def compare(*paths: str | Path, dtype: str | None = None, only: Iterable[str] = (),
            progress: bool = False, witnesses: bool = True) -> Tables:
    """Run every case under `paths` (default: the built-in cases) and return the tables.

    `dtype` runs every case in that precision; `only` keeps the cases with those names;
    `witnesses` adds the reference's tape mode and finite differences to the comparison.
    Invalid files appear in the summary with verdict `invalid`; the valid ones still run.
    """
    cases, errors = load_cases(paths or (BUILTIN_CASES,))
    wanted = set(only)
    if wanted:
        cases = [case for case in cases if case.name in wanted]
    return run_cases(cases, errors, dtype=dtype, progress=progress, witnesses=witnesses)


def run_cases(cases: list[Case], errors: list[CaseError], dtype: str | None = None, progress: bool = False,
              witnesses: bool = True) -> Tables:
    """Run loaded cases; `errors` (invalid files) are listed in the summary beside them."""
    if dtype is not None:
        cases = [case.with_dtype(dtype) for case in cases]
    display = Progress(progress)
    results, failures = [], []
    for i, case in enumerate(cases, 1):
        try:
            results.append(run_case(case, display.case(i, len(cases), case), witnesses))
        except EngineFailure as failure:
            failures.append(failure)
    rows = [summary_row(r) for r in results] + [failed_row(f) for f in failures] + [invalid_row(e) for e in errors]
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
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
        failures=failures,
    )


def exit_code(tables: Tables) -> int:
    """2 if any case file is invalid, else 1 if anything disagrees or a published number fails, else 0."""
    if tables.errors:
        return 2
    if tables.failures or not all(r.agree for r in tables.results):
        return 1
    return 0
