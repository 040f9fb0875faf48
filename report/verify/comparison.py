"""Compare every witness with the oracle, step by step. No math of the model.

`Comparison.add(t, steps)` takes one step's recordings (the oracle's and each witness's), lays
each one's arrays end to end in computation order (cases.quantities; a `Layout`) and compares
them with one set of NumPy operations; each array's figures are segment reductions. It keeps
one row per recorded array over all steps (`arrays`), every element's row while the case is
small (`details`; above `FULL_TABLE_LIMIT` recorded numbers only the disagreeing elements), and
for each witness the first wrong number (report/verify/first_wrong.py): the first disagreeing element
in the order the computation makes them. Everything after it is counted as its consequence.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cases import Case, Step, format_index
from report.verify.first_wrong import FirstWrong, TorchOff, phase_before
from report.verify.tolerances import CANCELLATION, engines_agree

DETAIL_COLUMNS = ["case", "step", "quantity", "param", "index", "reference", "oracle",
                  "abs_err", "rel_err", "ulps", "tolerance", "ok"]
WITNESS_COLUMNS = {  # witness -> (value, ulps, ok) columns beside the reference's
    "tape": ("reference_tape", "tape_ulps", "tape_ok"),
    "yours": ("yours", "yours_ulps", "yours_ok"),
}
ARRAY_COLUMNS = ["case", "quantity", "param", "witness", "steps", "count", "max_abs_err", "max_normwise_err",
                 "max_ulps", "disagreeing", "first_disagreeing_step", "ok"]
FULL_TABLE_LIMIT = 200_000  # recorded numbers per case above which details keeps disagreeing elements only
MAX_DISAGREEING_ROWS = 100_000


def ulps_at_scale(a: np.ndarray, b: np.ndarray, scale: np.ndarray | float, dtype: str) -> np.ndarray:
    """|a − b| in units in the last place of `dtype` at `scale`, the largest |torch| of the array each
    element belongs to: a value's own ulps near zero are tiny (0.0 against −1.39e-17 is 4e18 of them),
    so the distance is counted where the array's rounding happens. NaN where either is not finite, or
    where the array is all zeros in torch and the values differ (abs_err says how much)."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        difference = np.abs(a64 - b64)
        unit = np.spacing(scale.astype(np.dtype(dtype))).astype(np.float64)
        counted = np.where(difference == 0, 0.0, np.where(scale > 0, difference / unit, np.nan))
    return np.where(np.isfinite(a64) & np.isfinite(b64), counted, np.nan)


def agrees(values: np.ndarray, oracle: np.ndarray, tolerance: np.ndarray | float) -> np.ndarray:
    """|values − oracle| ≤ tolerance, and never for NaN or Inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.isfinite(values) & np.isfinite(oracle) & (np.abs(values - oracle) <= tolerance)


def array_scale(array: np.ndarray) -> float:
    """max |value| over one recorded array: the scale of the normwise relative tolerance."""
    magnitudes = np.abs(np.asarray(array, dtype=np.float64))
    finite = magnitudes[np.isfinite(magnitudes)]
    return float(finite.max()) if finite.size else 0.0



def layout_index(layout: "Layout", segment: int, position: int) -> str:
    """The index, as "0,1", of flat position `position` within its array (number `segment` of the layout)."""
    shape = layout.shapes[segment]
    index = np.unravel_index(position - layout.starts[segment], shape) if shape else ()
    return format_index(tuple(int(i) for i in index))


@dataclass
class Layout:
    """Where each recorded array sits when a step's arrays are laid end to end in computation order."""

    items: list[tuple[str, str]]
    shapes: list[tuple[int, ...]]
    starts: np.ndarray  # offset of each array in the flat vector
    sizes: np.ndarray
    rows: np.ndarray  # each array's row in the comparison's per-array accumulators

    @property
    def total(self) -> int:
        return int(self.sizes.sum())

    def flat(self, step: Step, present: np.ndarray | None = None) -> np.ndarray:
        """The step's arrays end to end as float64 (NaN for an array it lacks or has in another shape)."""
        parts = []
        for i, (item, shape) in enumerate(zip(self.items, self.shapes, strict=True)):
            found = step.values.get(item)
            if found is not None and np.shape(found) == shape:
                parts.append(np.ravel(found))
            else:
                parts.append(np.full(self.sizes[i], np.nan))
                if present is not None:
                    present[i] = False
        return np.concatenate(parts, dtype=np.float64) if parts else np.zeros(0)

    def segment(self, positions: np.ndarray) -> np.ndarray:
        """The array each flat position belongs to."""
        return np.searchsorted(self.starts, positions, side="right") - 1

    @functools.cached_property
    def every_label(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The labels of every position, made once per layout."""
        return self.labels(np.arange(self.total))

    def labels(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(quantity, key, index) of each flat position, as object arrays."""
        segments = self.segment(positions)
        quantity = np.array([self.items[s][0] for s in segments], dtype=object)
        key = np.array([self.items[s][1] for s in segments], dtype=object)
        index = np.array([format_index(tuple(int(i) for i in np.unravel_index(p - self.starts[s], self.shapes[s])))
                          if self.shapes[s] else "" for p, s in zip(positions, segments, strict=True)], dtype=object)
        return quantity, key, index


ACCUMULATED = {"steps": 0, "count": 0, "max_abs_err": 0.0, "max_normwise_err": 0.0, "max_ulps": np.nan,
               "disagreeing": 0, "first_disagreeing_step": -1}


@dataclass
class Comparison:
    """Compares step after step. Each step's arrays are laid end to end in computation order
    (a `Layout`), so every witness is compared with one set of NumPy operations per step and
    each array's figures come from segment reductions, not a loop over arrays or elements."""

    case: Case
    witnesses: list[str]  # besides the oracle: "reference", and "tape", "yours" when present
    full_table: bool | None = None  # every element in details, or the disagreeing ones; None: decided at step 0 by size
    chunks: list[dict[str, np.ndarray]] = field(default_factory=list)  # details' rows, one chunk per step
    every_number: Callable[[pd.DataFrame], None] | None = None  # receives every step's every row
    first: dict[str, FirstWrong] = field(default_factory=dict)
    disagreeing: dict[str, int] = field(default_factory=dict)
    compared: int = 0
    missing: dict[str, set] = field(default_factory=dict)
    disagreeing_rows: int = 0
    arbiter: Callable[[int], Step] | None = None  # float32: torch's float64 value of step t (report/verify/arbiter.py)
    torch_off: dict[str, TorchOff] = field(default_factory=dict)  # witness -> where torch's float32 value was the one off

    def __post_init__(self) -> None:
        self.tolerance = engines_agree(self.case)  # (abs, rel) for this case's dtype
        self.order = self.case.order()
        self.disagreeing = {w: 0 for w in self.witnesses}
        self.missing = {w: set() for w in self.witnesses}
        self.items: list[tuple[str, str]] = []  # every recorded array seen, in the order first seen
        self.rows: dict[tuple[str, str], int] = {}  # each of them -> its position in items (and the totals)
        self.totals = {w: {name: np.array([], dtype=type(start)) for name, start in ACCUMULATED.items()}
                       for w in self.witnesses}  # witness -> figure -> one number per item
        self.layouts: dict[tuple, Layout] = {}

    def layout(self, oracle: Step) -> Layout:
        signature = tuple((item, np.shape(value)) for item, value in oracle.values.items())
        if signature not in self.layouts:
            shapes = dict(signature)
            items = [item for item in sorted(shapes, key=self.order) if int(np.prod(shapes[item])) > 0]
            new = [item for item in items if item not in self.rows]
            self.rows.update({item: len(self.items) + k for k, item in enumerate(new)})
            self.items.extend(new)
            for figures in self.totals.values():
                for name, start in ACCUMULATED.items():
                    figures[name] = np.append(figures[name], np.full(len(new), start, dtype=figures[name].dtype))
            sizes = np.array([int(np.prod(shapes[item])) for item in items], dtype=np.int64)
            self.layouts[signature] = Layout(items, [shapes[item] for item in items],
                                             np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64), sizes,
                                             np.array([self.rows[item] for item in items], dtype=np.int64))
        return self.layouts[signature]

    def add(self, t: int, oracle: Step, witnesses: dict[str, Step]) -> None:
        """Compare one step: every array the oracle recorded, in computation order."""
        layout = self.layout(oracle)
        if not layout.items:
            return
        if self.full_table is None:  # every element of a small case; only the disagreeing ones of a large one
            self.full_table = layout.total * (self.case.steps + 1) <= FULL_TABLE_LIMIT
        truth = layout.flat(oracle)
        magnitude = np.abs(truth)
        scale = np.maximum.reduceat(np.where(np.isfinite(magnitude), magnitude, 0.0), layout.starts)
        atol, rtol = self.tolerance
        tolerance = atol + rtol * scale  # per array: the normwise relative tolerance
        per_element = np.repeat(tolerance, layout.sizes)
        found: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray] | None] = {}
        for name in self.witnesses:
            step = witnesses.get(name)
            if step is None:
                found[name] = None  # this witness stopped: its failure is reported on its own
                continue
            present = np.ones(len(layout.items), dtype=bool)
            value = layout.flat(step, present)
            for i in np.flatnonzero(~present):
                item = layout.items[i]
                shape = np.shape(step.values[item]) if item in step.values else None
                self.missing[name].add((item[0], item[1], shape))
            if name != "yours":  # a missing array is a disagreement; a whole pass of your own need not give every one
                present[:] = True
            ok = agrees(value, truth, per_element)
            float64 = None
            if self.arbiter is not None and not ok.all():
                ok, float64 = self.judged_in_float64(t, layout, name, value, truth, ok)
            found[name] = (value, ok, present)
            self.record_arrays(t, layout, name, value, truth, ok, present, scale, tolerance, float64)
        self.compared += truth.size
        self.record_elements(t, layout, truth, per_element, np.repeat(scale, layout.sizes), found)

    def judged_in_float64(self, t: int, layout: Layout, name: str, value: np.ndarray, truth: np.ndarray,
                          ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A float32 witness judged by torch's float64 value of the step (report/verify/arbiter.py): an element
        is fine within its array's bound: the float32 tolerance at the float64 array's scale, plus
        CANCELLATION × how far beyond it torch's own float32 values are from float64 in that array.
        Returns (ok, the float64 values); where an element that disagreed with torch's float32 value
        is fine so, the first is kept in `torch_off`."""
        float64 = layout.flat(self.arbiter(t))
        starts = layout.starts
        magnitude = np.abs(float64)
        scale = np.maximum.reduceat(np.where(np.isfinite(magnitude), magnitude, 0.0), starts)
        atol, rtol = self.tolerance
        with np.errstate(invalid="ignore", over="ignore"):
            ours, torchs = np.abs(value - float64), np.abs(truth - float64)
            torch_error = np.maximum.reduceat(np.where(np.isfinite(torchs), torchs, 0.0), starts)
            tolerance = atol + rtol * scale
            bound = np.repeat(tolerance + CANCELLATION * np.maximum(torch_error - tolerance, 0.0), layout.sizes)
            fine = np.isfinite(value) & np.isfinite(float64) & (ours <= bound)
        rescued = np.flatnonzero(~ok & fine)
        if rescued.size and name not in self.torch_off:
            position = int(rescued[0])
            segment = int(layout.segment(np.array([position]))[0])
            quantity, key = layout.items[segment]
            self.torch_off[name] = TorchOff(name, t, quantity, key, layout_index(layout, segment, position),
                                            float(value[position]), float(truth[position]), float(float64[position]),
                                            float(tolerance[segment]), int(rescued.size))
        elif rescued.size:
            self.torch_off[name].count += int(rescued.size)
        return ok | fine, float64

    def record_arrays(self, t: int, layout: Layout, name: str, value: np.ndarray, truth: np.ndarray, ok: np.ndarray,
                      present: np.ndarray, scale: np.ndarray, tolerance: np.ndarray,
                      float64: np.ndarray | None = None) -> None:
        """Each array's figures for this step, folded into its totals over the steps."""
        starts = layout.starts
        with np.errstate(invalid="ignore"):
            difference = np.abs(value - truth)
        finite = np.isfinite(difference)
        largest = np.maximum.reduceat(np.where(finite, difference, 0.0), starts)  # over the finite differences
        max_abs = np.maximum.reduceat(np.where(finite, difference, np.inf), starts)  # inf if any is not finite
        with np.errstate(divide="ignore", invalid="ignore"):
            normwise = np.where(largest == 0, 0.0, np.where(scale > 0, largest / scale, np.inf))
        ulps = ulps_at_scale(value, truth, np.repeat(scale, layout.sizes), self.case.dtype)
        max_ulps = np.maximum.reduceat(np.where(np.isnan(ulps), -1.0, ulps), starts)
        bad = np.add.reduceat((~ok).astype(np.int64), starts)
        bad[~present] = 0
        rows = layout.rows[present]
        totals = self.totals[name]
        totals["steps"][rows] += 1
        totals["count"][rows] += layout.sizes[present]
        totals["max_abs_err"][rows] = np.maximum(totals["max_abs_err"][rows], max_abs[present])
        totals["max_normwise_err"][rows] = np.maximum(totals["max_normwise_err"][rows], normwise[present])
        totals["max_ulps"][rows] = np.fmax(totals["max_ulps"][rows], np.where(max_ulps < 0, np.nan, max_ulps)[present])
        totals["disagreeing"][rows] += bad[present]
        newly = rows[(bad[present] > 0) & (totals["first_disagreeing_step"][rows] < 0)]
        totals["first_disagreeing_step"][newly] = t
        count = int(bad.sum())
        if not count:
            return
        self.disagreeing[name] += count
        if name in self.first:
            self.first[name].consequences += count
            return
        position = int(np.flatnonzero(~ok & np.repeat(present, layout.sizes))[0])
        segment = int(layout.segment(np.array([position]))[0])
        quantity, key = layout.items[segment]
        self.first[name] = FirstWrong(
            name, t, quantity, key, layout_index(layout, segment, position), float(value[position]),
            float(truth[position]), float(tolerance[segment]), phase_before(self.case, t, quantity),
            consequences=count - 1, float64=None if float64 is None else float(float64[position]))

    def record_elements(self, t: int, layout: Layout, truth: np.ndarray, tolerance: np.ndarray, scale: np.ndarray,
                        found: dict) -> None:
        """details: every element while the case is small, else the disagreeing ones; every
        element of every step to `every_number` when it is given."""
        everything = self.full_table or self.every_number is not None
        if everything:
            positions = np.arange(truth.size)
            chunk = self.chunk(t, layout, positions, layout.every_label, truth, tolerance, scale, found)
            if self.every_number is not None:
                self.every_number(self.table(chunk))
            if self.full_table:
                self.chunks.append(chunk)
                return
        keep = np.zeros(truth.size, dtype=bool)
        for witness in found.values():
            if witness is not None:
                value, ok, present = witness
                keep |= ~ok & np.repeat(present, layout.sizes)
        if not keep.any() or self.disagreeing_rows >= MAX_DISAGREEING_ROWS:
            return
        positions = np.flatnonzero(keep)
        self.disagreeing_rows += positions.size
        self.chunks.append(self.chunk(t, layout, positions, layout.labels(positions), truth, tolerance, scale, found))

    def chunk(self, t: int, layout: Layout, positions: np.ndarray, labels: tuple, truth: np.ndarray,
              tolerance: np.ndarray, scale: np.ndarray, found: dict) -> dict[str, np.ndarray]:
        """The rows of one step at `positions`, as columns (labels, the oracle, its array's scale, each
        witness's value and ok)."""
        quantity, key, index = labels
        columns = {"step": np.full(positions.size, t), "quantity": quantity, "param": key, "index": index,
                   "oracle": truth[positions], "tolerance": tolerance[positions], "scale": scale[positions]}
        for name in self.witnesses:
            witness = found.get(name)
            if witness is not None:
                value, ok, present = witness
                shown = np.repeat(present, layout.sizes)[positions]
                columns[f"value:{name}"] = np.where(shown, value[positions], np.nan)
                columns[f"ok:{name}"] = np.where(shown, ok[positions].astype(np.float64), np.nan)
            else:  # not compared: empty in the table
                columns[f"value:{name}"] = np.full(positions.size, np.nan)
                columns[f"ok:{name}"] = np.full(positions.size, np.nan)
        return columns

    def details(self) -> pd.DataFrame:
        """One row per compared number (or per disagreeing number above FULL_TABLE_LIMIT)."""
        if not self.chunks:
            return pd.DataFrame(columns=DETAIL_COLUMNS)
        return self.table({name: np.concatenate([chunk[name] for chunk in self.chunks]) for name in self.chunks[0]})

    def table(self, joined: dict[str, np.ndarray]) -> pd.DataFrame:
        """details.csv's columns from a chunk's columns."""
        oracle = joined["oracle"]
        table = pd.DataFrame({"case": self.case.name, "step": joined["step"], "quantity": joined["quantity"],
                              "param": joined["param"], "index": joined["index"]})
        reference = joined.get("value:reference", np.full(len(oracle), np.nan))
        with np.errstate(invalid="ignore", divide="ignore"):
            abs_err = np.abs(reference - oracle)
            rel_err = np.where(abs_err == 0, 0.0, abs_err / np.abs(oracle))
        finite = np.isfinite(reference) & np.isfinite(oracle)
        table["reference"] = reference
        table["oracle"] = oracle
        table["abs_err"] = np.where(finite, abs_err, np.nan)
        table["rel_err"] = np.where(finite, rel_err, np.nan)
        table["ulps"] = ulps_at_scale(reference, oracle, joined["scale"], self.case.dtype)
        table["tolerance"] = joined["tolerance"]
        table["ok"] = joined.get("ok:reference", np.zeros(len(oracle))) == 1
        for name, (value, ulps, ok) in WITNESS_COLUMNS.items():
            if name in self.witnesses:
                table[value] = joined[f"value:{name}"]
                table[ulps] = ulps_at_scale(joined[f"value:{name}"], oracle, joined["scale"], self.case.dtype)
                flags = joined[f"ok:{name}"]
                table[ok] = pd.array(np.where(np.isnan(flags), None, flags == 1), dtype="boolean")
        return table

    def array_table(self) -> pd.DataFrame:
        """One row per recorded array and witness, over every step."""
        rows = []
        for i, (quantity, key) in enumerate(self.items):
            for name in self.witnesses:
                totals = self.totals[name]
                if totals["steps"][i] == 0:
                    continue  # never compared (an array your code does not give)
                first = int(totals["first_disagreeing_step"][i])
                rows.append({"case": self.case.name, "quantity": quantity, "param": key, "witness": name,
                             **{figure: values[i].item() for figure, values in totals.items()},
                             "first_disagreeing_step": pd.NA if first < 0 else first,
                             "ok": bool(totals["disagreeing"][i] == 0)})
        table = pd.DataFrame(rows, columns=ARRAY_COLUMNS)
        return table.astype({"first_disagreeing_step": "Int64"})


def compare_runs(case: Case, oracle: list[Step], witnesses: dict[str, list[Step]], full_table: bool = True) -> Comparison:
    """Compare whole recordings (lists of steps), as `Comparison.add` does one step at a time."""
    comparison = Comparison(case, list(witnesses), full_table=full_table)
    for t, truth in enumerate(oracle):
        comparison.add(t, truth, {name: steps[t] for name, steps in witnesses.items() if t < len(steps)})
    return comparison


def first_wrong_text(comparison: Comparison) -> str:
    """Each witness's first wrong number, one line each ("" when everything agrees)."""
    return "\n".join(first.describe(comparison.case) for first in comparison.first.values())
