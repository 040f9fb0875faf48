"""Run a case through every engine in lockstep, compare as it goes, keep what the pages show.

The oracle (torch), the reference (hand-derived formulas), its tape and, when given, a user's
implementation each produce one step at a time; each step is compared at once and dropped,
except the steps the case page prints (0, 1 and the last) and every step's loss. Finite
differences run once, at step 0. Nothing here computes the model: it calls the engines.

Every witness is compared one step at a time from the same starting point: its step t + 1 is
computed from torch's parameters, running statistics and optimizer state at step t (`Anchors`),
so the check of a step sees that step's rounding and nothing earlier — over hundreds of steps,
training amplifies rounding differences until a tolerance fitted on one CPU fails on the next,
and a mistake made at step 230 is still found at step 230. The reference also runs on its own
(and so does your implementation, a second, independent copy of it): each engine's own trajectory
is what its published numbers are checked against and what the pages show, and how far it drifts
from torch's is measured (report/verify/drift.py) and reported, never judged.

On a small network each engine runs a block of steps before the next engine takes over (up to
AHEAD steps, at most AHEAD_NUMBERS recorded numbers each): engines taking turns at every step
evict each other's code and arrays from the processor's caches (Mazur's 10,000 steps: 12.2–12.6 s
taking turns, 10.5–11.0 s in blocks; the reference alone 1.2 → 0.7 s). The comparison still sees
one step at a time, in order. With your implementation in the run, every engine takes one step
at a time: your code may change an array it handed back (a buffer it reuses), so each step is
compared before the next one runs.
"""

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import oracle
import reference
from cases import Case, GraphCase, Step
from reference import finite_differences
from reference.blocks import REFERENCE, Blocks
from report.verify import diagnose
from report.verify import differences as fd_compare
from report.verify import expectations as published
from report.verify.arbiter import Float64Arbiter
from report.verify.comparison import Comparison
from report.verify.drift import Drift
from report.verify.extras import Extras, extras
from report.verify.first_wrong import FirstWrong, TorchOff
from report.verify.parallel import stop_if_asked

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class EngineFailure(Exception):
    """The oracle or the reference raised on a valid case: the case disagrees, the others still run."""

    def __init__(self, case: Case, engine: str, error: BaseException | str) -> None:
        self.case = case
        self.engine = engine
        self.message = error if isinstance(error, str) else f"the {engine} failed on this case: {type(error).__name__}: {error}"
        super().__init__(self.message)

    def __reduce__(self):  # sent back from a worker process
        return (EngineFailure, (self.case, self.engine, self.message))


@dataclass
class CaseResult:
    case: Case
    witnesses: list[str]
    details: pd.DataFrame
    arrays: pd.DataFrame
    expectations: pd.DataFrame
    finite_differences: pd.DataFrame
    first_wrong: dict[str, FirstWrong]
    kept: dict[int, dict[str, Step]]  # step -> engine -> recording, for the steps pages print
    losses: dict[str, np.ndarray]  # engine -> loss at every step
    seconds: dict[str, float]
    full_table: bool
    compared: int
    failures: dict[str, str] = field(default_factory=dict)  # witness -> why it stopped
    missing: dict[str, list] = field(default_factory=dict)
    extras: Extras | None = None
    disagreeing: dict[str, int] = field(default_factory=dict)
    summary: dict | None = None  # the summary table's row (report/verify/tables.py)
    files: list[str] = field(default_factory=list)  # files written for this case, when pages are written as it runs
    drift: dict[str, Drift] = field(default_factory=dict)  # witness -> its own trajectory against torch, step by step
    torch_off: dict[str, TorchOff] = field(default_factory=dict)  # float32: where torch's value was the one off
    exercised: list[str] | None = None  # with your implementation: your functions this case called
    blind: list = field(default_factory=list)  # report.verify.catalog.BlindSpot: mistakes in those this case cannot see

    @classmethod
    def lost(cls, case: Case, why: str) -> "CaseResult":
        """What is left of a case whose worker your code ended or stopped: that, and no numbers."""
        empty = pd.DataFrame()
        return cls(case=case, witnesses=["yours"], details=empty, arrays=empty,
                   expectations=published.table([], with_yours=True), finite_differences=empty, first_wrong={},
                   kept={}, losses={}, seconds={}, full_table=True, compared=0, failures={"yours": why}, exercised=[])

    def witness_agrees(self, witness: str) -> bool:
        return witness not in self.failures and self.disagreeing.get(witness, 0) == 0

    @property
    def published_ok(self) -> bool:
        table = self.expectations
        return bool(table["ok"].all()) if len(table) else True

    @property
    def fd_ok(self) -> bool:
        return bool(self.finite_differences["fd_ok"].fillna(True).all()) if len(self.finite_differences) else True

    @property
    def agree(self) -> bool:
        """Every witness of this project agrees with the oracle; every published number is reproduced."""
        return (all(self.witness_agrees(w) for w in self.witnesses if w != "yours") and self.fd_ok
                and self.published_ok and (self.extras is None or self.extras.ok))

    @property
    def verdict(self) -> str:
        return "agree" if self.agree else "DISAGREE"

    @property
    def yours_verdict(self) -> str:
        """agree, DISAGREE, error, or "not exercised": the case called none of your functions, so it
        checked nothing of yours ("" without an implementation)."""
        if self.exercised is None:
            return ""
        if "yours" in self.failures:
            return "error"
        if not self.exercised:
            return NOT_EXERCISED
        table = self.expectations
        yours_published = bool(table["yours_ok"].all()) if "yours_ok" in table else True
        return "agree" if self.witness_agrees("yours") and yours_published else "DISAGREE"

    def message(self, limit: int = 3) -> str:
        """What disagrees, first: each witness's first wrong number, then published numbers."""
        parts = [why if why.startswith("your ") else f"{name}: {why}" for name, why in self.failures.items()]
        for name in self.witnesses:
            if name in self.first_wrong:
                parts.append(self.first_wrong[name].describe(self.case))
        failing = self.finite_differences[~self.finite_differences["fd_ok"].fillna(True)] \
            if len(self.finite_differences) else []
        if len(failing):
            row = failing.iloc[0]
            parts.append(f"{self.case.name}: {len(failing)} finite differences disagree with torch, first "
                         f"{row.quantity} {row.param}[{row['index']}]: finite difference {float(row.finite_diff)!r}, "
                         f"torch {float(row.oracle)!r}, off by {row.fd_abs_err:.3g} (tolerance {row.fd_tolerance:.3g})")
        table = self.expectations
        wrong = table[~table["ok"]] if len(table) else table
        for row in wrong.head(limit).itertuples():
            off = max(row.reference_err, row.oracle_err)
            parts.append(f"published {row.name} at step {row.step} = {row.published!r}, engines give "
                         f"{row.reference!r} / {row.oracle!r}: off by {off:.3g} (tolerance {row.tolerance:.3g})")
        if len(wrong) > limit:
            parts.append(f"… {len(wrong) - limit} more published numbers not reproduced")
        if self.extras is not None and not self.extras.ok:
            parts.append(self.extras.problem)
        parts.extend(off.describe(self.case) for off in self.torch_off.values())
        if self.exercised is not None:  # what your agreement cannot vouch for (the pages list every case's)
            parts.extend(spot.describe(self.case) for spot in self.blind)
        return "; ".join(parts)


def timed(engine: Iterator[Step], seconds: dict[str, float], name: str) -> Step:
    started = time.perf_counter()
    try:
        return next(engine)
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started


AHEAD = 64  # steps an engine runs before the next one takes over
AHEAD_NUMBERS = 100_000  # recorded numbers an engine may hold ahead of the comparison


def in_blocks(engines: dict[str, Iterator[Step]], last: int, seconds: dict[str, float],
              ahead: bool = True) -> Iterator[dict[str, Step | Exception]]:
    """Step t's recording from every engine, t = 0 … last, or the exception an engine raised at
    step t (after which it is not asked again). Step 0 is one step each; then, if `ahead`, each
    engine runs a block of up to AHEAD steps, fewer when a step records many numbers (AHEAD_NUMBERS)."""
    queued: dict[str, deque] = {name: deque() for name in engines}
    running = dict(engines)
    block = 1
    for t in range(last + 1):
        if any(not queued[name] for name in running):
            for name, engine in list(running.items()):
                for _ in range(min(block, last + 1 - t)):
                    try:
                        with np.errstate(all="ignore"):  # a non-finite value is reported by the comparison, not warned about
                            queued[name].append(timed(engine, seconds, name))
                    except Exception as error:  # noqa: BLE001 — every engine error becomes a row of the report
                        queued[name].append(error)
                        del running[name]
                        break
        produced = {name: queue.popleft() for name, queue in queued.items() if queue}
        if t == 0 and ahead:
            numbers = max((sum(np.size(v) for v in step.values.values()) for step in produced.values()
                           if isinstance(step, Step)), default=1)
            block = max(1, min(AHEAD, AHEAD_NUMBERS // max(numbers, 1)))
        yield produced


def watched(engine: Iterator[Step], watch) -> Iterator[Step]:
    """The engine's steps; the watch (when there is one) told which step each is, so that your code's
    failure can be named with it (report/verify/parallel.py)."""
    for t in itertools.count():
        if watch is not None:
            watch.at(t)
        try:
            step = next(engine)
        except StopIteration:
            return
        yield step


class Anchors:
    """torch's recording of each step, for the witnesses that start every step from it."""

    def __init__(self) -> None:
        self.recorded: dict[int, Step] = {}

    def follow(self, engine: Iterator[Step]) -> Iterator[Step]:
        """The oracle's steps, each kept until `forget` (the oracle runs before the witnesses in every block)."""
        for t, step in enumerate(engine):
            self.recorded[t] = step
            yield step

    def __call__(self, t: int) -> Step:
        return self.recorded[t]

    def forget(self, t: int) -> None:
        """Step t + 1 has been compared: no witness starts from step t again, nor does the float64
        arbiter (report/verify/arbiter.py) take an update from it."""
        self.recorded.pop(t, None)


NOT_EXERCISED = "not exercised"
FREE = "free:"  # before a witness's name: that witness on its own trajectory (published numbers, drift, pages)


def own_trajectories(case: Case | GraphCase, witnesses: list[str], implementation: Blocks | None) -> dict[str, Blocks]:
    """The witnesses that also run on their own, each with the building blocks it runs on: the reference;
    your implementation when a fresh, independent copy of it can be loaded (`Blocks.renew`: your code may
    keep state between calls, so the copy that runs on its own must not share it). At step 0 a run
    from torch's state is the own trajectory, so a case of no updates needs none."""
    if case.steps == 0:
        return {}
    chosen = {"reference": REFERENCE} if "reference" in witnesses else {}
    if "yours" in witnesses and implementation is not None and implementation.renew is not None:
        chosen["yours"] = implementation.renew()
        chosen["yours"].watch = implementation.watch
    return chosen


def kept_steps(case: Case) -> set[int]:
    return {0, min(1, case.steps), case.steps}


def run_case(case: Case, implementation: Blocks | None = None, witnesses: bool = True,
             progress: Progress | None = None, full_table: bool | None = None,
             recorded: dict[str, list[Step]] | None = None, only_yours: bool = False,
             every_number: Callable[[pd.DataFrame], None] | None = None) -> CaseResult:
    """Every engine on one case, step by step, compared; raises EngineFailure if the oracle or
    the reference fails (a failing tape or user implementation is reported, not raised).

    `recorded` replaces engines by recordings already made (engine -> list of steps), for tests.
    `only_yours` runs torch and the implementation alone, and stops once its first wrong number
    is explained (for a quick check of a user's code). `every_number` receives every compared
    number, a step at a time (report/write/every_number.py).
    """
    graph = isinstance(case, GraphCase)  # a circuit: the tape is its reference, and no blocks of yours replace it
    if implementation is not None:
        implementation = implementation.tracked()  # which of your functions this case calls
    anchors = Anchors()
    engines: dict[str, Iterator[Step]] = {"oracle": anchors.follow(oracle.steps(case))}
    if not only_yours:
        engines["reference"] = reference.steps(case, anchor=anchors)
    if witnesses and not only_yours and not graph:
        engines["tape"] = reference.steps(case, mode="tape", anchor=anchors)
    if implementation is not None and not graph:
        engines["yours"] = watched(reference.steps(case, blocks=implementation, anchor=anchors), implementation.watch)
    for name, steps in (recorded or {}).items():
        engines[name] = anchors.follow(iter(steps)) if name == "oracle" else iter(steps)
    names = [name for name in engines if name != "oracle"]
    trajectories = own_trajectories(case, names, implementation)
    for name, blocks in trajectories.items():
        engines[FREE + name] = watched(reference.steps(case, blocks=blocks), blocks.watch)
    drift: dict[str, Drift] = {}
    arbiter = Float64Arbiter(case, anchors) if case.dtype != "float64" else None
    comparison = Comparison(case, names, full_table=full_table, every_number=every_number, arbiter=arbiter)
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    kept: dict[int, dict[str, Step]] = {}
    losses: dict[str, list[float]] = {name: [] for name in engines if not name.startswith(FREE)}
    expectations = []
    by_step: dict[int, list] = {}
    for expect in case.expects:
        by_step.setdefault(expect.step, []).append(expect)
    keep = kept_steps(case)
    differences = pd.DataFrame(columns=fd_compare.FD_COLUMNS)
    window: dict[int, dict[str, Step]] = {}  # the steps around each first wrong number, for its hint
    pending: dict[str, int] = {}  # witness -> step of its first wrong number, explained one step later

    for t, produced in enumerate(in_blocks(engines, case.steps, seconds, ahead="yours" not in engines)):
        stop_if_asked()
        step: dict[str, Step] = {}
        for name, recording in produced.items():
            if not isinstance(recording, Exception):
                step[name] = recording
                continue
            error = recording
            if name in ("oracle", "reference", FREE + "reference"):
                raise EngineFailure(case, name.removeprefix(FREE), error) from error
            trajectory = " (on its own trajectory)" if name.startswith(FREE) else ""
            failures.setdefault(name.removeprefix(FREE), f"{error} on {case.name} at step {t}{trajectory}"
                                if isinstance(error, reference.BlockError) else
                                f"stopped at step {t}{trajectory}: {type(error).__name__}: {error}")
        comparison.add(t, step["oracle"], {name: step.get(name) for name in names})
        anchors.forget(t - 1)
        own = dict(step)  # each engine's own trajectory: published numbers, losses and pages
        for name in [n for n in step if n.startswith(FREE)]:
            free = own.pop(name)
            del step[name]
            if name.removeprefix(FREE) in own:
                own[name.removeprefix(FREE)] = free
                drift.setdefault(name.removeprefix(FREE), Drift()).add(t, free, step["oracle"])
        window[t] = step
        window.pop(t - 3, None)
        for name, first in comparison.first.items():
            if name not in pending and not first.hint:
                pending[name] = first.step
        for name in [n for n, at in pending.items() if at < t]:
            explain_first(case, comparison.first[name], window, name)
            del pending[name]
            if only_yours and name == "yours":
                comparison.first[name].counted_to = t
        if only_yours and "yours" in comparison.first and "yours" not in pending:
            break
        for expect in by_step.get(t, []):
            expectations.extend(published.check(case, expect, own))
        for name, recording in own.items():
            losses[name].append(recording.loss)
        if t in keep:
            kept[t] = own
        if t == 0 and witnesses and not only_yours:
            differences = finite_difference_check(case, step["oracle"] if arbiter is None else arbiter(0), progress)
        if progress is not None:
            progress("steps", t + 1, case.steps + 1)

    for name in pending:
        explain_first(case, comparison.first[name], window, name)
    return CaseResult(
        case=case, witnesses=names, details=with_finite_differences(comparison.details(), differences),
        arrays=comparison.array_table(),
        expectations=published.table(expectations, implementation is not None), finite_differences=differences,
        first_wrong=comparison.first, kept=kept, losses={k: np.asarray(v) for k, v in losses.items()},
        seconds=seconds, full_table=comparison.full_table, compared=comparison.compared, failures=failures,
        missing={k: sorted(map(str, v)) for k, v in comparison.missing.items() if v},
        extras=extras(case, kept[0]) if witnesses and not only_yours and not graph else None,
        disagreeing=comparison.disagreeing, drift=drift, torch_off=comparison.torch_off,
        exercised=None if implementation is None else
        sorted(implementation.called | (trajectories["yours"].called if "yours" in trajectories else set())))


def explain_first(case: Case | GraphCase, first: FirstWrong, window: dict[int, dict[str, Step]], witness: str) -> None:
    if isinstance(case, GraphCase):
        return  # the catalog of classic mistakes is about dense networks
    first.hint, first.evidence = diagnose.explain(case, first, window, witness)


def with_finite_differences(details: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """details.csv's finite-difference columns: the checked elements' values beside step 0's gradients."""
    columns = fd_compare.FD_DETAIL_COLUMNS
    if not len(differences) or not len(details):
        return details
    elements = differences[differences["index"] != "direction"][["quantity", "param", "index", *columns]].assign(step=0)
    merged = details.merge(elements, on=["step", "quantity", "param", "index"], how="left")
    merged["fd_ok"] = merged["fd_ok"].astype("boolean")
    return merged


def finite_difference_check(case: Case | GraphCase, oracle_step: Step, progress: Progress | None) -> pd.DataFrame:
    """Central differences (always in float64) against torch's gradients of step 0 — in a float32 case,
    torch's float64 gradients of the same parameters (report/verify/arbiter.py): a difference witnesses the
    derivative, and float32's rounding of it is the engines' comparison's concern."""
    batch = oracle_step.batch
    with np.errstate(all="ignore"):  # a diverging case gives inf/nan: reported, not warned about
        if isinstance(case, GraphCase):
            found = finite_differences.graph_differences(case, fd_compare.oracle_gradients(oracle_step))
        else:
            found = finite_differences.central_differences(case, case.parameters(), case.x[batch],
                                                           case.targets[batch], fd_compare.oracle_gradients(oracle_step))
    if progress is not None:
        progress("finite differences", 1, 1)
    return fd_compare.compare(case.with_dtype("float64"), found, oracle_step)
