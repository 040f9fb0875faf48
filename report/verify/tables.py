"""Run many cases and gather their results into the report's tables (for the command line,
notebooks and tests): `report.compare("cases/")` returns a `Tables`."""

import dataclasses
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Protocol

import numpy as np
import pandas as pd

from cases import BUILTIN_CASES, Case, CaseError, load_cases
from reference.blocks import Blocks
from reference.plugin import Implementation, load_implementation
from report import exits
from report.verify import parallel
from report.verify.comparison import ARRAY_COLUMNS, DETAIL_COLUMNS
from report.verify.differences import FD_COLUMNS
from report.verify.expectations import EXPECTATION_COLUMNS
from report.verify.parallel import Lost, run_all, run_watched
from report.verify.run import NOT_EXERCISED, CaseResult, EngineFailure, run_case


class Sink(Protocol):
    """Receives every compared number of a case, a step at a time (the writer's --every-number file)."""

    def __call__(self, rows: pd.DataFrame) -> None: ...
    def close(self) -> None: ...
    def discard(self) -> None: ...


class Writer(Protocol):
    """What writes each case as soon as it has run (report/write/output.py's CaseWriter): the verifier
    calls it and never imports the writer."""

    def sink(self, case: Case) -> Sink | None: ...
    def write(self, position: int, result: CaseResult, sink: Sink | None) -> list[str]: ...

SUMMARY_COLUMNS = ["case", "title", "dtype", "steps", "compared", "max_abs_err", "max_rel_err", "max_normwise_err",
                   "max_ulps", "expectations_passed", "expectations_total", "expectations_to_ulps",
                   "reference_s", "oracle_s", "verdict", "message", "tape_max_ulps", "fd_checked",
                   "fd_max_err_ratio", "yours_verdict", "yours_max_ulps", "yours_called", "drift", "drift_growth"]


@dataclass
class Tables:
    """What `compare` returns: one row per case, per compared number, per published number."""

    summary: pd.DataFrame
    details: pd.DataFrame
    arrays: pd.DataFrame
    expectations: pd.DataFrame
    finite_differences: pd.DataFrame
    results: list[CaseResult]
    errors: list[CaseError]
    failures: list[EngineFailure] = field(default_factory=list)


class Progress:
    """One line per case on stderr; for a case running over two seconds, its phase and the time left."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def case(self, position: int, total: int, case: Case):
        started = time.perf_counter()
        last = [started]
        if self.enabled:
            print(f"[{position}/{total}] {case.name} ({case.dtype}, {case.steps} steps)", file=sys.stderr, flush=True)

        def report(phase: str, done: int, of: int) -> None:
            now = time.perf_counter()
            if not self.enabled or now - started < 2 or now - last[0] < 1:
                return
            last[0] = now
            left = (now - started) / done * (of - done) if done else float("nan")
            print(f"  [{position}/{total}] {case.name}: {phase} {done}/{of}, {now - started:.0f} s, "
                  f"about {left:.0f} s left", file=sys.stderr, flush=True)
        return report


def summary_row(result: CaseResult) -> dict:
    arrays = result.arrays
    ours = arrays[arrays["witness"] == "reference"]
    details = result.details
    fd = result.finite_differences
    expected = result.expectations

    def largest(frame: pd.DataFrame, column: str) -> float:
        values = frame[column].to_numpy(dtype=np.float64) if len(frame) else np.array([])
        finite = values[np.isfinite(values)]
        return float(finite.max()) if finite.size else np.nan

    yours = arrays[arrays["witness"] == "yours"]
    drift = result.drift.get("reference")
    return {
        "case": result.case.name, "title": result.case.title, "dtype": result.case.dtype, "steps": result.case.steps,
        "compared": result.compared, "max_abs_err": largest(ours, "max_abs_err"),
        "max_rel_err": largest(details, "rel_err") if result.full_table else np.nan,
        "max_normwise_err": largest(ours, "max_normwise_err"), "max_ulps": largest(ours, "max_ulps"),
        "expectations_passed": int(expected["ok"].sum()) if len(expected) else 0,
        "expectations_total": len(expected),
        "expectations_to_ulps": int(expected["to_ulps"].sum()) if len(expected) else 0,
        "reference_s": result.seconds.get("reference", np.nan), "oracle_s": result.seconds.get("oracle", np.nan),
        "verdict": result.verdict, "message": result.message(),
        "tape_max_ulps": largest(arrays[arrays["witness"] == "tape"], "max_ulps"),
        "fd_checked": len(fd),
        "fd_max_err_ratio": largest(fd.assign(ratio=fd["fd_abs_err"] / fd["fd_tolerance"]), "ratio") if len(fd) else np.nan,
        "yours_verdict": result.yours_verdict, "yours_max_ulps": largest(yours, "max_ulps") if len(yours) else np.nan,
        "yours_called": " ".join(result.exercised or []),
        "drift": drift.largest if drift else np.nan, "drift_growth": drift.growth if drift else np.nan,
    }


def failed_row(failure: EngineFailure) -> dict:
    row = {column: np.nan for column in SUMMARY_COLUMNS}
    row.update(case=failure.case.name, title=failure.case.title, dtype=failure.case.dtype, steps=failure.case.steps,
               compared=0, expectations_passed=0, expectations_total=len(failure.case.expects),
               expectations_to_ulps=0, verdict="DISAGREE", message=failure.message, yours_verdict="")
    return row


def invalid_row(error: CaseError) -> dict:
    row = {column: np.nan for column in SUMMARY_COLUMNS}
    row.update(case=Path(error.path).stem, title="", dtype="", verdict="invalid", message=str(error),
               steps=0, compared=0, expectations_passed=0, expectations_total=0, expectations_to_ulps=0,
               yours_verdict="")
    return row


@dataclass(frozen=True)
class Settings:
    """How each case of a run is run; sent to every worker process."""

    witnesses: bool = True
    implementation: "str | Blocks | None" = None  # a source is loaded again in each worker
    progress: bool = False
    total: int = 0
    writer: Writer | None = None  # writes each case's page and table rows as soon as it is run
    blind_spots: bool = False  # look for the catalog's mistakes each case cannot see (the whole report does)
    time_limit: float | None = None  # seconds of your code per case (a watched worker), None: no limit


_loaded: dict[str, Blocks] = {}


def blocks_of(implementation: "str | Blocks | None") -> Blocks | None:
    """Your building blocks: loaded from their file (in a watched worker, one case per process, so a
    case starts from a fresh import; the watch is told when your code runs), or as given."""
    if isinstance(implementation, str):
        if implementation not in _loaded:
            _loaded[implementation] = load_implementation(implementation).blocks
            _loaded[implementation].watch = parallel.WATCHED
        return _loaded[implementation]
    return implementation


def run_one(settings: Settings, position: int, case: Case) -> "CaseResult | EngineFailure":
    """One case, its summary row, and (with a writer) its files written and its bulk dropped."""
    display = Progress(settings.progress).case(position + 1, settings.total, case)
    sink = settings.writer.sink(case) if settings.writer is not None else None
    try:
        result = run_case(case, blocks_of(settings.implementation), settings.witnesses, display, every_number=sink)
    except EngineFailure as failure:
        if sink is not None:
            sink.discard()  # a partial file the report would not list
        return failure
    finally:
        if sink is not None:
            sink.close()
    if isinstance(case, Case) and (settings.blind_spots or result.yours_verdict == "agree"):
        from report.verify.catalog import blind_spots

        # what agreement here cannot vouch for: the catalog's mistakes (in your functions) this case cannot see
        result.blind = blind_spots(case, result.exercised)
    result.summary = summary_row(result)
    if settings.writer is not None:
        result.files = settings.writer.write(position, result, sink)
        result.details = result.details.iloc[:0]
        result.kept = {}
    return result


def cost(task: tuple) -> float:
    """A rough measure of a case's run time, to start the longest first."""
    case = task[2]
    return (case.steps + 1) * (sum(np.size(v) for v in case.parameters().values()) + 200)


def _run_task(task: tuple) -> "CaseResult | EngineFailure":
    return run_one(*task)


def run_cases(cases: list[Case], errors: list[CaseError], dtype: str | None = None, progress: bool = False,
              witnesses: bool = True, implementation: "Implementation | Blocks | str | None" = None,
              jobs: int = 1, writer: Writer | None = None, blind_spots: bool = False,
              time_limit: float | None = None) -> Tables:
    """Run loaded cases, `jobs` at a time in worker processes (1: in this one); `errors` (invalid
    files) are listed in the summary beside them. A `writer` writes each case's page as it finishes."""
    if isinstance(implementation, Implementation):  # a file is imported again in each worker; a module is used here
        implementation = implementation.source if implementation.renewable else implementation.blocks
    if isinstance(implementation, Blocks):
        jobs = 1  # functions of a module loaded from a file cannot be sent to another process
    if dtype is not None:
        cases = [case.with_dtype(dtype) for case in cases]
    settings = Settings(witnesses, implementation, progress, len(cases), writer, blind_spots, time_limit)
    tasks = [(settings, i, case) for i, case in enumerate(cases)]
    if isinstance(implementation, str):  # your code: each case in a process the run watches
        outcomes = list(run_watched(_run_task, tasks, jobs, cost, limit=lambda task: task[0].time_limit))
        outcomes = rerun_lost(outcomes, jobs)
    else:
        outcomes = list(run_all(_run_task, tasks, jobs, cost))
    results, failures = [], []
    for outcome in outcomes:
        (failures if isinstance(outcome, EngineFailure) else results).append(outcome)
    return gather(results, failures, errors)


def rerun_lost(outcomes: list, jobs: int) -> list:
    """Each case whose worker ended or ran past its time limit, run again without your code, so that the
    reference's verdict stands beside yours: error, with one line saying what your code did where."""
    lost = [outcome for outcome in outcomes if isinstance(outcome, Lost)]
    if not lost:
        return outcomes
    again = [(dataclasses.replace(settings, implementation=None), position, case)
             for settings, position, case in (item.task for item in lost)]
    for item, result in zip(lost, run_watched(_run_task, again, jobs, cost), strict=True):
        case = item.task[2]
        if isinstance(result, Lost):  # not your code: the case itself ended its worker (memory, say)
            outcomes[item.position] = EngineFailure(case, "reference", f"the run of this case {result.why}")
            continue
        where = f" at step {item.step}" if item.step >= 0 else ""
        who = f"your {item.function}" if item.function else "the worker running your code"
        limit = " (--time-limit to change it)" if "time limit" in item.why else ""
        result.failures["yours"] = f"{who} {item.why}{limit} on {case.name}{where}"
        result.exercised = [item.function] if item.function else []
        result.summary = summary_row(result)
        outcomes[item.position] = result
    return outcomes


def gather(results: list[CaseResult], failures: list[EngineFailure], errors: list[CaseError]) -> Tables:
    rows = [r.summary for r in results] + [failed_row(f) for f in failures] + [invalid_row(e) for e in errors]
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype(
        {"steps": int, "compared": int, "expectations_passed": int, "expectations_total": int,
         "expectations_to_ulps": int, "fd_checked": "Int64"})

    def joined(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    return Tables(summary=summary, details=joined([r.details for r in results], DETAIL_COLUMNS),
                  arrays=joined([r.arrays for r in results], ARRAY_COLUMNS),
                  expectations=joined([r.expectations for r in results], EXPECTATION_COLUMNS),
                  finite_differences=joined([r.finite_differences for r in results], FD_COLUMNS),
                  results=results, errors=errors, failures=failures)


def compare(*paths: str | Path, dtype: str | None = None, only: Iterable[str] = (), progress: bool = False,
            witnesses: bool = True, impl: "str | Path | ModuleType | Implementation | None" = None,
            jobs: int = 1, time_limit: float | None = None) -> Tables:
    """Run every case under `paths` (default: the built-in cases) and return the tables.

    `dtype` runs every case in that precision; `only` keeps the cases with those names;
    `witnesses` adds the reference's tape and finite differences; `impl` (a file, a module name
    or a module) adds your building blocks as a third engine (reference/plugin.py; a file is imported
    and run only in watched worker processes, `time_limit` seconds of your code per case); `jobs` runs
    that many cases at a time in worker processes (report/verify/parallel.py). Invalid
    files appear in the summary with verdict `invalid`; the valid ones still run.
    """
    cases, errors = load_cases(paths or (BUILTIN_CASES,))
    if only:
        cases = [case for case in cases if case.name in set(only)]
    if isinstance(impl, str | Path) and Path(impl).is_file():  # imported only in watched workers
        from report.verify.guest import TIME_LIMIT, probe

        implementation = probe(str(impl)).source
        limit = TIME_LIMIT if time_limit is None else time_limit
    else:
        implementation = impl if impl is None or isinstance(impl, Implementation) else load_implementation(impl)
        limit = time_limit
    return run_cases(cases, errors, dtype=dtype, progress=progress, witnesses=witnesses, implementation=implementation,
                     jobs=jobs, time_limit=limit)


def exit_code(tables: Tables) -> int:
    """2 if any case file is invalid, else 1 if anything disagrees or a published number fails, else 0.

    With a user's implementation, "disagrees" is judged on theirs against torch, on the cases that
    called a function of theirs; if no case called any, NOTHING_OF_YOURS_RAN: nothing of theirs was checked.
    """
    if tables.errors:
        return exits.INVALID
    if tables.failures:
        return exits.DISAGREE
    if any(r.exercised is not None for r in tables.results):
        judged = [r for r in tables.results if r.yours_verdict != NOT_EXERCISED]
        if not judged:
            return exits.NOTHING_OF_YOURS_RAN
        return exits.AGREE if all(r.yours_verdict == "agree" for r in judged) else exits.DISAGREE
    return exits.AGREE if all(r.agree for r in tables.results) else exits.DISAGREE


def exercised_by(tables: Tables, functions: list[str]) -> dict[str, list[str]]:
    """Each of your functions -> the cases that called it (empty: no case did)."""
    return {name: [r.case.name for r in tables.results if name in (r.exercised or [])] for name in functions}
