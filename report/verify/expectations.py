"""Published numbers ([[expect]]) against every engine that recorded them."""

import numpy as np
import pandas as pd

from cases import Case, Expect, Step, format_index
from report.verify.tolerances import published_tolerance

EXPECTATION_COLUMNS = ["case", "quantity", "step", "param", "index", "published", "reference", "oracle",
                       "tolerance", "ok", "name", "reference_err", "oracle_err", "note", "to_ulps"]


def select(step: Step, expect: Expect) -> np.ndarray | None:
    """The recorded array (or element) an expectation names, or None if the engine has none."""
    array = step.values.get((expect.quantity, expect.key))
    if array is None:
        return None
    array = np.asarray(array)
    return array if expect.index is None else np.asarray(array[expect.index])


def check(case: Case, expect: Expect, steps: dict[str, Step]) -> list[dict]:
    """One row per published element: the engines' values, their errors, and ok.

    ok: the reference and the oracle both within the tolerance (and a user's implementation,
    when present, in `yours_ok`). A published number finer than the case's dtype can show is
    checked to a few ulps of it (report/verify/tolerances.py, `to_ulps`).
    """
    arrays = {name: select(step, expect) for name, step in steps.items()}
    shape = arrays["oracle"].shape
    whole = np.abs(np.asarray(steps["oracle"].get(expect.quantity, expect.key), dtype=np.float64))
    tolerance = published_tolerance(expect.tolerance, float(np.max(whole, initial=0.0, where=np.isfinite(whole))),
                                    case.dtype)
    published = np.broadcast_to(expect.value, shape)
    rows = []
    for position in np.ndindex(*shape):
        index = position if expect.index is None else expect.index
        value = float(published[position])
        row = {"case": case.name, "quantity": expect.quantity, "step": expect.step, "param": expect.key,
               "index": format_index(index), "published": value, "tolerance": tolerance,
               "name": expect.label, "note": expect.note, "to_ulps": tolerance > expect.tolerance}
        for name in ("reference", "oracle", "yours"):
            if name not in arrays:
                continue
            found = arrays[name]
            engine_value = float(found[position]) if found is not None and found.shape == shape else np.nan
            row[name] = engine_value
            row[f"{name}_err"] = abs(engine_value - value)
            row[f"{name}_ok"] = bool(np.isfinite(engine_value) and row[f"{name}_err"] <= tolerance)
        row["ok"] = all(row.get(f"{name}_ok", True) for name in ("reference", "oracle"))
        rows.append(row)
    return rows


def table(rows: list[dict], with_yours: bool) -> pd.DataFrame:
    columns = EXPECTATION_COLUMNS + (["yours", "yours_err", "yours_ok"] if with_yours else [])
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"ok": bool, "to_ulps": bool}) if len(frame) else frame
