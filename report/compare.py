"""Turn two recordings of a case into tables: one row per compared scalar. No math of the model.

`details(case, reference, oracle)` compares the engines; `expectations(case, reference, oracle)`
checks the case's published numbers against both.
"""

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cases import Case, Expect, Step, format_index
from report.tolerances import engines_agree

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


def details(case: Case, reference: list[Step], oracle: list[Step]) -> pd.DataFrame:
    """The engines compared scalar by scalar; `ok` is false for any disagreement or NaN/Inf."""
    steps, quantities, params, indices, ref_values, ora_values, scales = [], [], [], [], [], [], []
    for t, (ref_step, ora_step) in enumerate(zip(reference, oracle, strict=True)):
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
    ref_flat = np.concatenate(ref_values)
    ora_flat = np.concatenate(ora_values)
    measured = errors(ref_flat, ora_flat, case.dtype)
    atol, rtol = engines_agree(case)
    tolerance = atol + rtol * np.concatenate(scales)
    ok = np.isfinite(ref_flat) & np.isfinite(ora_flat) & (measured["abs_err"] <= tolerance)
    return pd.DataFrame({
        "case": case.name, "step": steps, "quantity": quantities, "param": params,
        "index": indices, "reference": ref_flat, "oracle": ora_flat, **measured,
        "tolerance": tolerance, "ok": ok,
    }, columns=DETAIL_COLUMNS)


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
