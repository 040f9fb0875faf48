"""Turn two recordings of a case into tables: one row per compared scalar. No math of the model.

`details(case, reference, oracle)` compares the engines; `expectations(case, reference, oracle)`
checks the case's published numbers against both.
"""

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cases import Case, Expect, Step, format_index
from report.tolerances import FINITE_DIFFERENCES, engines_agree

DETAIL_COLUMNS = ["case", "step", "quantity", "param", "index", "reference", "oracle",
                  "abs_err", "rel_err", "ulps", "tolerance", "ok"]
EXPECTATION_COLUMNS = ["case", "quantity", "step", "param", "index", "published", "reference",
                       "oracle", "tolerance", "ok", "name", "reference_err", "oracle_err", "note"]


def recorded(case: Case, step: Step) -> Iterator[tuple[str, str, np.ndarray]]:
    """(quantity, param, array) for everything an engine records at one step, in report order."""
    layers = len(case.layers)
    names = list(case.parameters())
    yield "loss", "", np.asarray(step.loss)
    for i in range(layers):
        yield "pre_activation", f"layers.{i}", step.pre_activations[i]
        if i < layers - 1:
            yield "activation", f"layers.{i}", step.activations[i]
    yield "output", "", step.output
    for name in names:
        yield "grad", name, step.grads[name]
    yield "input_grad", "", step.input_grad
    for name in names:
        yield "param", name, step.params[name]


def select(step: Step, expect: Expect) -> np.ndarray:
    """The recorded array (or element) an expectation names."""
    if expect.quantity == "loss":
        array = np.asarray(step.loss)
    elif expect.quantity == "output":
        array = step.output
    elif expect.quantity == "input_grad":
        array = step.input_grad
    elif expect.quantity in ("activation", "pre_activation"):
        layer = int(expect.param.split(".")[1])
        array = (step.activations if expect.quantity == "activation" else step.pre_activations)[layer]
    else:
        array = (step.grads if expect.quantity == "grad" else step.params)[expect.param]
    return array if expect.index is None else np.asarray(array[expect.index])


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
    distance = (high.view(unsigned) - low.view(unsigned)).astype(np.float64)
    finite = np.isfinite(np.asarray(a, dtype=np.float64)) & np.isfinite(np.asarray(b, dtype=np.float64))
    return np.where(finite, distance, np.nan)


def errors(reference: np.ndarray, oracle: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    """abs_err, rel_err (against |oracle|) and ulps, with NaN wherever a value is not finite."""
    reference = np.asarray(reference, dtype=np.float64)
    oracle = np.asarray(oracle, dtype=np.float64)
    finite = np.isfinite(reference) & np.isfinite(oracle)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_err = np.where(finite, np.abs(reference - oracle), np.nan)
        rel_err = np.where(abs_err == 0, 0.0, abs_err / np.abs(oracle))
    return {"abs_err": abs_err, "rel_err": np.where(finite, rel_err, np.nan),
            "ulps": ulp_distance(reference, oracle, dtype)}


def array_scale(array: np.ndarray) -> float:
    """max |value| over one recorded array: the scale of the normwise relative tolerance."""
    magnitudes = np.abs(np.asarray(array, dtype=np.float64))
    finite = magnitudes[np.isfinite(magnitudes)]
    return float(finite.max()) if finite.size else 0.0


def _flat_indices(shape: tuple[int, ...]) -> list[str]:
    return [format_index(index) for index in np.ndindex(*shape)] if shape else [""]


def details(case: Case, reference: list[Step], oracle: list[Step], tape: list[Step] | None = None,
            finite: tuple[dict[str, np.ndarray], np.ndarray] | None = None) -> pd.DataFrame:
    """The engines compared scalar by scalar; `ok` is false for any disagreement or NaN/Inf.

    With `tape` (the reference run in tape mode) and `finite` (step-0 central differences:
    parameter gradients and input gradient), each is compared with the oracle in columns of
    its own: reference_tape, tape_ulps, tape_ok; finite_diff, fd_abs_err, fd_tolerance, fd_ok
    (finite differences exist for step-0 gradients only; elsewhere those cells are empty).
    """
    steps, quantities, params, indices, ref_values, ora_values, scales = [], [], [], [], [], [], []
    tape_values, fd_values = [], []
    tape_steps = tape if tape is not None else [None] * len(reference)
    for t, (ref_step, ora_step, tape_step) in enumerate(zip(reference, oracle, tape_steps, strict=True)):
        tape_arrays = recorded(case, tape_step) if tape_step is not None else None
        for (quantity, param, ref_array), (_, _, ora_array) in zip(
                recorded(case, ref_step), recorded(case, ora_step), strict=True):
            if ref_array.shape != ora_array.shape:
                raise ValueError(f"{case.name}: step {t}: {quantity} {param}: the engines recorded "
                                 f"shapes {ref_array.shape} and {ora_array.shape}")
            count = ref_array.size
            steps.extend([t] * count)
            quantities.extend([quantity] * count)
            params.extend([param] * count)
            indices.extend(_flat_indices(ref_array.shape))
            ref_values.append(np.asarray(ref_array, dtype=np.float64).ravel())
            ora_values.append(np.asarray(ora_array, dtype=np.float64).ravel())
            scales.append(np.full(count, array_scale(ora_array)))
            if tape_arrays is not None:
                tape_values.append(np.asarray(next(tape_arrays)[2], dtype=np.float64).ravel())
            fd_values.append(_finite_difference(finite, t, quantity, param, count))
    ref_flat = np.concatenate(ref_values)
    ora_flat = np.concatenate(ora_values)
    scale = np.concatenate(scales)
    atol, rtol = engines_agree(case)
    tolerance = atol + rtol * scale
    table = pd.DataFrame({
        "case": case.name, "step": steps, "quantity": quantities, "param": params,
        "index": indices, "reference": ref_flat, "oracle": ora_flat,
        **errors(ref_flat, ora_flat, case.dtype),
        "tolerance": tolerance, "ok": agrees(ref_flat, ora_flat, tolerance),
    }, columns=DETAIL_COLUMNS)
    if tape_values:
        tape_flat = np.concatenate(tape_values)
        table["reference_tape"] = tape_flat
        table["tape_ulps"] = ulp_distance(tape_flat, ora_flat, case.dtype)
        table["tape_ok"] = agrees(tape_flat, ora_flat, tolerance)
    if finite is not None:
        fd_flat = np.concatenate(fd_values)
        present = ~np.isnan(fd_flat)
        fd_abs, fd_rel = FINITE_DIFFERENCES[case.dtype]
        fd_tolerance = np.where(present, fd_abs + fd_rel * scale, np.nan)
        table["finite_diff"] = fd_flat
        table["fd_abs_err"] = np.where(present, np.abs(fd_flat - ora_flat), np.nan)
        table["fd_tolerance"] = fd_tolerance
        fd_ok = pd.array(agrees(fd_flat, ora_flat, fd_tolerance), dtype="boolean")
        fd_ok[~present] = pd.NA
        table["fd_ok"] = fd_ok
    return table


def agrees(values: np.ndarray, oracle: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """|values − oracle| ≤ tolerance, and never for NaN or Inf."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & np.isfinite(oracle) & (np.abs(values - oracle) <= tolerance)


def witnesses_agree(table: pd.DataFrame) -> pd.Series:
    """Per row: reference, tape (if present) and finite differences (where present) all agree."""
    ok = table["ok"].astype(bool)
    if "tape_ok" in table:
        ok &= table["tape_ok"].astype(bool)
    if "fd_ok" in table:
        ok &= table["fd_ok"].fillna(True).astype(bool)
    return ok


def _finite_difference(finite: tuple[dict[str, np.ndarray], np.ndarray] | None, step: int,
                       quantity: str, param: str, count: int) -> np.ndarray:
    """The central-difference values for one recorded array, NaN where there are none."""
    if finite is None or step != 0 or quantity not in ("grad", "input_grad"):
        return np.full(count, np.nan)
    grads, input_grad = finite
    return np.asarray(grads[param] if quantity == "grad" else input_grad, dtype=np.float64).ravel()


def expectations(case: Case, reference: list[Step], oracle: list[Step]) -> pd.DataFrame:
    """Each published number against both engines: ok when both are within its tolerance."""
    rows = []
    for expect in case.expects:
        ref_array = select(reference[expect.step], expect)
        ora_array = select(oracle[expect.step], expect)
        published = np.broadcast_to(expect.value, ref_array.shape)
        for position in np.ndindex(*ref_array.shape):
            index = position if expect.index is None else expect.index
            pub, ref, ora = (float(published[position]), float(ref_array[position]),
                             float(ora_array[position]))
            ref_err, ora_err = abs(ref - pub), abs(ora - pub)
            ok = bool(np.isfinite([ref, ora]).all() and ref_err <= expect.tolerance
                      and ora_err <= expect.tolerance)
            rows.append({
                "case": case.name, "quantity": expect.quantity, "step": expect.step,
                "param": expect.param, "index": format_index(index), "published": pub,
                "reference": ref, "oracle": ora, "tolerance": expect.tolerance, "ok": ok,
                "name": expect.label, "reference_err": ref_err, "oracle_err": ora_err, "note": expect.note,
            })
    return pd.DataFrame(rows, columns=EXPECTATION_COLUMNS)
