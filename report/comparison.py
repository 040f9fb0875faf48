"""Compare every witness with the oracle, step by step, array by array. No math of the model.

`Comparison.add(t, steps)` takes one step's recordings (the oracle's and each witness's) and
compares every recorded array in computation order (cases.quantities), with NumPy on whole
arrays. It keeps one row per recorded array over all steps (`arrays`), every element's row while the case is small
(`details`; above `FULL_TABLE_LIMIT` recorded numbers only the disagreeing elements), and for
each witness the first wrong number: the first disagreeing element in the order the
computation makes them. Everything after it is counted as its consequence.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cases import Case, Step, format_index
from cases.quantities import QUANTITIES
from report.tolerances import engines_agree

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


def ulp_distance(a: np.ndarray, b: np.ndarray, dtype: str) -> np.ndarray:
    """Number of representable `dtype` values between a and b (NaN where either is not finite)."""
    float_type = np.dtype(dtype)
    int_type = np.int64 if float_type == np.float64 else np.int32
    unsigned = np.uint64 if float_type == np.float64 else np.uint32
    a_bits = np.asarray(a, dtype=float_type).view(int_type)
    b_bits = np.asarray(b, dtype=float_type).view(int_type)
    # Map the sign-magnitude bit patterns onto one ordered integer line (−0 and +0 coincide).
    magnitude = np.iinfo(int_type).max
    a_line = np.where(a_bits < 0, -(a_bits & magnitude), a_bits)
    b_line = np.where(b_bits < 0, -(b_bits & magnitude), b_bits)
    # Subtract as unsigned: the true distance always fits, even across zero.
    high, low = np.maximum(a_line, b_line), np.minimum(a_line, b_line)
    with np.errstate(over="ignore"):  # only where a value is not finite, and those become NaN below
        distance = (high.view(unsigned) - low.view(unsigned)).astype(np.float64)
    finite = np.isfinite(np.asarray(a, dtype=np.float64)) & np.isfinite(np.asarray(b, dtype=np.float64))
    return np.where(finite, distance, np.nan)


def agrees(values: np.ndarray, oracle: np.ndarray, tolerance: np.ndarray | float) -> np.ndarray:
    """|values − oracle| ≤ tolerance, and never for NaN or Inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.isfinite(values) & np.isfinite(oracle) & (np.abs(values - oracle) <= tolerance)


def array_scale(array: np.ndarray) -> float:
    """max |value| over one recorded array: the scale of the normwise relative tolerance."""
    magnitudes = np.abs(np.asarray(array, dtype=np.float64))
    finite = magnitudes[np.isfinite(magnitudes)]
    return float(finite.max()) if finite.size else 0.0


def flat_indices(shape: tuple[int, ...]) -> list[str]:
    return [format_index(index) for index in np.ndindex(*shape)] if shape else [""]


def where(quantity: str, key: str, index: str = "") -> str:
    """How a message names a recorded number: "delta layers.0[0,1]", "grad layers.1.weight[0,0]"."""
    return quantity + (f" {key}" if key else "") + (f"[{index}]" if index else "")


@dataclass
class FirstWrong:
    """The first number a witness gets wrong, in the order the computation makes them."""

    witness: str
    step: int
    quantity: str
    key: str
    index: str
    value: float
    oracle: float
    tolerance: float
    before: str  # what agreed before it, in words
    consequences: int = 0  # disagreeing numbers after it
    hint: str = ""  # the classic mistake that explains it, if one fits (report/diagnose.py)
    evidence: str = ""
    counted_to: int | None = None  # the run stopped after this step: consequences counted up to it

    def describe(self, case: Case, digits: int | None = None) -> str:
        """One line: where, both values, the hint, what agreed before it, how much followed.

        Values in full (`repr`), or at `digits` significant digits for a page that must read the same
        on every machine."""
        label = {"reference": "the reference", "tape": "the tape", "yours": "yours"}[self.witness]
        symbol = QUANTITIES[self.quantity].symbol if self.quantity in QUANTITIES else self.quantity
        if self.key.startswith("layers.") and self.quantity in ("pre_activation", "activation", "grad_activation", "delta"):
            symbol += f" of a {case.layers[int(self.key.split('.')[1])].activation} layer"
        text = (f"{case.name}: first wrong number: {where(self.quantity, self.key, self.index)} at step {self.step} "
                f"({symbol}): {label} {shown(self.value, digits)}, torch {shown(self.oracle, digits)} "
                f"(tolerance {self.tolerance:.2g})")
        if not (np.isfinite(self.value) and np.isfinite(self.oracle)):
            text += " — not a finite number"
        if self.hint:
            text += f" — looks like {self.hint}" + (f" ({self.evidence})" if self.evidence else "")
        text += f"; before it, {self.before}"
        if self.consequences:
            text += f"; {self.consequences} later number{'s' if self.consequences != 1 else ''} disagree as a consequence"
            if self.counted_to is not None:
                text += f" (counted to step {self.counted_to})"
        return text


def shown(value: float, digits: int | None) -> str:
    return repr(value) if digits is None else f"{value:.{digits}g}"


def phase_before(case: Case, step: int, quantity: str) -> str:
    """What agreed before the first wrong number, from where it sits in the computation."""
    earlier = f"steps 0 to {step - 1} agree" if step > 1 else ("step 0 agrees" if step == 1 else "")
    if quantity == "param" or quantity in ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "square_avg",
                                           "grad_avg", "momentum_buffer", "sum"):
        return f"{earlier}; the update that made step {step} is the first to differ" if earlier else "the initial parameters differ"
    here = {"pre_activation": "the parameters agree", "activation": "the parameters agree",
            "output": "the parameters agree", "unreduced_loss": "the forward pass agrees",
            "loss": "the forward pass agrees"}.get(quantity, "the forward pass and the loss agree")
    return f"{earlier}; at step {step} {here}" if earlier else f"at step {step} {here}"


@dataclass
class Comparison:
    case: Case
    witnesses: list[str]  # besides the oracle: "reference", and "tape", "yours" when present
    full_table: bool = True
    tolerance: tuple[float, float] = (0.0, 0.0)
    columns: dict[str, list[np.ndarray]] = field(default_factory=dict)
    labels: dict[str, list] = field(default_factory=dict)
    arrays: dict[tuple[str, str, str], dict] = field(default_factory=dict)  # (quantity, key, witness) -> over steps
    first: dict[str, FirstWrong] = field(default_factory=dict)
    disagreeing: dict[str, int] = field(default_factory=dict)
    compared: int = 0
    missing: dict[str, set] = field(default_factory=dict)
    disagreeing_rows: int = 0

    def __post_init__(self) -> None:
        self.tolerance = engines_agree(self.case)
        self.order = self.case.order()
        for name in ("step", "quantity", "param", "index"):
            self.labels[name] = []
        self.disagreeing = {w: 0 for w in self.witnesses}
        self.missing = {w: set() for w in self.witnesses}

    def add(self, t: int, oracle: Step, witnesses: dict[str, Step]) -> None:
        """Compare one step: every array the oracle recorded, in computation order."""
        atol, rtol = self.tolerance
        for item in sorted(oracle.values, key=self.order):
            quantity, key = item
            truth = np.asarray(oracle.values[item], dtype=np.float64)
            scale = array_scale(truth)
            tolerance = atol + rtol * scale
            per_witness = {}
            for name in self.witnesses:
                step = witnesses.get(name)
                found = None if step is None else step.values.get(item)
                if found is None or np.shape(found) != truth.shape:
                    if step is None:
                        per_witness[name] = None  # this witness stopped: its failure is reported on its own
                        continue
                    self.missing[name].add((quantity, key, None if found is None else np.shape(found)))
                    if name == "yours":  # a whole pass of your own need not give every quantity
                        per_witness[name] = None
                        continue
                    found = np.full(truth.shape, np.nan)
                value = np.asarray(found, dtype=np.float64)
                ok = agrees(value, truth, tolerance)
                per_witness[name] = (value, ok)
                self.record_array(t, quantity, key, name, value, truth, ok, scale)
            self.compared += truth.size
            self.record_elements(t, quantity, key, truth, tolerance, per_witness)

    def record_array(self, t: int, quantity: str, key: str, name: str, value: np.ndarray, truth: np.ndarray,
                     ok: np.ndarray, scale: float) -> None:
        bad = int(ok.size - np.count_nonzero(ok))
        with np.errstate(invalid="ignore"):
            difference = np.abs(value - truth)
        finite = difference[np.isfinite(difference)]
        largest = float(finite.max()) if finite.size else 0.0
        ulps = ulp_distance(value, truth, self.case.dtype)
        row = self.arrays.setdefault((quantity, key, name), {
            "case": self.case.name, "quantity": quantity, "param": key, "witness": name, "steps": 0, "count": 0,
            "max_abs_err": 0.0, "max_normwise_err": 0.0, "max_ulps": np.nan, "disagreeing": 0,
            "first_disagreeing_step": pd.NA, "ok": True})
        row["steps"] += 1
        row["count"] += truth.size
        row["max_abs_err"] = max(row["max_abs_err"], largest if finite.size == difference.size else np.inf)
        row["max_normwise_err"] = max(row["max_normwise_err"], 0.0 if largest == 0 else largest / scale if scale else np.inf)
        if np.isfinite(ulps).any():
            row["max_ulps"] = float(np.nanmax([row["max_ulps"], np.nanmax(ulps)]))
        if bad:
            row["disagreeing"] += bad
            row["ok"] = False
            if row["first_disagreeing_step"] is pd.NA:
                row["first_disagreeing_step"] = t
        if bad:
            self.disagreeing[name] += bad
            if name in self.first:
                self.first[name].consequences += bad
            else:
                flat = int(np.flatnonzero(~ok.ravel())[0])
                index = np.unravel_index(flat, truth.shape) if truth.shape else ()
                atol, rtol = self.tolerance
                self.first[name] = FirstWrong(
                    name, t, quantity, key, format_index(tuple(int(i) for i in index)),
                    float(value.ravel()[flat]), float(truth.ravel()[flat]), atol + rtol * scale,
                    phase_before(self.case, t, quantity), consequences=bad - 1)

    def record_elements(self, t: int, quantity: str, key: str, truth: np.ndarray, tolerance: float,
                        per_witness: dict) -> None:
        keep = np.ones(truth.size, dtype=bool)
        if not self.full_table:
            keep = np.zeros(truth.size, dtype=bool)
            for found in per_witness.values():
                if found is not None:
                    keep |= ~found[1].ravel()
            if not keep.any() or self.disagreeing_rows >= MAX_DISAGREEING_ROWS:
                return
            self.disagreeing_rows += int(keep.sum())
        count = int(keep.sum())
        indices = flat_indices(truth.shape)
        self.labels["step"].append(np.full(count, t))
        self.labels["quantity"].append(np.full(count, quantity, dtype=object))
        self.labels["param"].append(np.full(count, key, dtype=object))
        self.labels["index"].append(np.asarray(indices, dtype=object)[keep])
        self._column("oracle", truth.ravel()[keep])
        self._column("tolerance", np.full(count, tolerance))
        for name in self.witnesses:
            found = per_witness.get(name)
            if found is not None:
                self._column(f"value:{name}", found[0].ravel()[keep])
                self._column(f"ok:{name}", found[1].ravel()[keep].astype(np.float64))
            else:  # not compared: empty in the table
                self._column(f"value:{name}", np.full(count, np.nan))
                self._column(f"ok:{name}", np.full(count, np.nan))

    def _column(self, name: str, values: np.ndarray) -> None:
        self.columns.setdefault(name, []).append(values)

    def details(self) -> pd.DataFrame:
        """One row per compared number (or per disagreeing number above FULL_TABLE_LIMIT)."""
        if not self.labels["step"]:
            return pd.DataFrame(columns=DETAIL_COLUMNS)
        joined = {name: np.concatenate(parts) for name, parts in {**self.labels, **self.columns}.items()}
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
        table["ulps"] = ulp_distance(reference, oracle, self.case.dtype)
        table["tolerance"] = joined["tolerance"]
        table["ok"] = joined.get("ok:reference", np.zeros(len(oracle))) == 1
        for name, (value, ulps, ok) in WITNESS_COLUMNS.items():
            if name in self.witnesses:
                table[value] = joined[f"value:{name}"]
                table[ulps] = ulp_distance(joined[f"value:{name}"], oracle, self.case.dtype)
                flags = joined[f"ok:{name}"]
                table[ok] = pd.array(np.where(np.isnan(flags), None, flags == 1), dtype="boolean")
        return table

    def array_table(self) -> pd.DataFrame:
        """One row per recorded array and witness, over every step."""
        table = pd.DataFrame(list(self.arrays.values()), columns=ARRAY_COLUMNS)
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
