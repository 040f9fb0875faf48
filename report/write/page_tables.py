"""The tables of a case page, each built from the run's recordings and comparison, formatted at
the precision that tells the story (report/write/format.py). No arithmetic on the values."""

import numpy as np

from cases import GraphCase, Step, format_index
from cases.quantities import STATE
from report.verify.comparison import array_scale
from report.verify.run import CaseResult
from report.write.format import Table, fixed, layer_symbol, published_digits, significant

MAX_SAMPLES = 8
MAX_ROWS = 48
MAX_ELEMENT_ROWS = 120
WITNESS_OK = ("ok", "tape_ok", "yours_ok")


def failing(result: CaseResult) -> set[tuple]:
    """(step, quantity, param, index) of every element some witness gets wrong."""
    table = result.details
    if not len(table):
        return set()
    bad = np.zeros(len(table), dtype=bool)
    for column in WITNESS_OK:
        if column in table:
            bad |= ~table[column].fillna(True).astype(bool).to_numpy()
    rows = table[bad]
    return set(zip(rows["step"], rows["quantity"], rows["param"], rows["index"], strict=True))


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def transposed(result: CaseResult, entries: list[tuple[str, str, str, tuple[int, ...] | int | None]], digits: int
               ) -> Table | None:
    """Rows = (label, quantity, key, unit) of step 0, columns = samples; unit None for a (B,) array,
    an int or an index within one sample (c, h, w) otherwise."""
    step = result.kept[0]["reference"]
    samples = list(step.batch[:MAX_SAMPLES])
    if len(entries) > MAX_ROWS:
        return None
    bad = failing(result)
    rows, failed = [], set()
    for label, quantity, key, unit in entries:
        array = np.asarray(step.get(quantity, key)) if (quantity, key) in step.values else None
        if array is None:
            continue
        scale = array_scale(array)
        within = () if unit is None else unit if isinstance(unit, tuple) else (unit,)
        cells = [fixed(array[(b, *within)], scale, digits) for b in range(len(samples))]
        indices = [format_index((b, *within)) for b in range(len(samples))]
        ok = not any((0, quantity, key, index) in bad for index in indices)
        if not ok:
            failed.add(len(rows))
        rows.append([label, *cells, mark(ok)])
    columns = ["", *[f"sample {int(i)}" for i in samples], "agree"]
    return Table(columns, rows, {""}, failed)


def forward_table(result: CaseResult, digits: int) -> Table | None:
    case = result.case
    step = result.kept[0]["reference"]
    x, y = case.x[step.batch][:MAX_SAMPLES], case.targets[step.batch][:MAX_SAMPLES]
    entries = []
    last = len(case.layers) - 1
    for i, layer in enumerate(case.layers):
        for u in np.ndindex(*layer.shape):
            where = format_index(u)
            if layer.activation != "identity":  # for identity, z is a
                entries.append((f"{layer_symbol('z', i)}[{where}]", "pre_activation", f"layers.{i}", u))
            entries.append((f"ŷ[{where}]" if i == last else f"{layer_symbol('a', i)}[{where}]",
                            "output" if i == last else "activation", "" if i == last else f"layers.{i}", u))
    terms = (result.kept[0]["reference"].values.get(("unreduced_loss", "")))
    if terms is not None:
        entries += [("ℓ", "unreduced_loss", "", None)] if terms.ndim == 1 else \
            [(f"ℓ[{k}]", "unreduced_loss", "", k) for k in range(terms.shape[1])]
    table = transposed(result, entries, digits)
    if table is None or case.inputs + case.outputs > MAX_ROWS:
        return None
    columns = {j: x[(slice(None), *j)] for j in np.ndindex(*case.input_shape)}
    inputs = [[f"x[{format_index(j)}]", *[fixed(v, array_scale(column), digits) for v in column], ""]
              for j, column in columns.items()]
    if case.class_targets:
        targets = [["class", *[str(int(v)) for v in y], ""]]
    else:
        targets = [[f"y[{k}]", *[fixed(v, array_scale(y[:, k]), digits) for v in y[:, k]], ""] for k in range(case.outputs)]
    # inputs first, targets just before the loss terms
    split = len(table.rows) - (0 if terms is None else (1 if terms.ndim == 1 else terms.shape[1]))
    rows = inputs + table.rows[:split] + targets + table.rows[split:]
    return Table(table.columns, rows, {""}, {i + len(inputs) + (len(targets) if i >= split else 0) for i in table.failing})


def backward_table(result: CaseResult, digits: int) -> Table | None:
    case = result.case
    entries = []
    for i in range(len(case.layers) - 1, -1, -1):
        units = list(np.ndindex(*case.layers[i].shape))
        if ("grad_activation", f"layers.{i}") in result.kept[0]["reference"].values:
            name = "∂L/∂ŷ" if i == len(case.layers) - 1 else f"∂L/∂{layer_symbol('a', i)}"
            entries += [(f"{name}[{format_index(u)}]", "grad_activation", f"layers.{i}", u) for u in units]
        entries += [(f"{layer_symbol('δ', i)}[{format_index(u)}]", "delta", f"layers.{i}", u) for u in units]
    entries += [(f"∂L/∂x[{format_index(j)}]", "input_grad", "", j) for j in np.ndindex(*case.input_shape)]
    return transposed(result, entries, digits)


def aliases(result: CaseResult) -> dict[str, str]:
    return {element: alias for alias, element in result.case.names.items()}


def published_lookup(result: CaseResult) -> dict[tuple, float]:
    table = result.expectations
    return {(r.quantity, r.step, r.param, r["index"]): r.published for _, r in table.iterrows()} if len(table) else {}


def element_table(result: CaseResult, quantity: str, step: int, digits: int) -> Table | None:
    """Every parameter element's gradient or value at `step`, with every witness and the published number."""
    case = result.case
    if sum(p.size for p in case.parameters().values()) > MAX_ELEMENT_ROWS:
        return None
    kept = result.kept[step]
    names, published, bad = aliases(result), published_lookup(result), failing(result)
    fd = result.finite_differences
    fd_values = {(r.param, r["index"]): r.finite_diff for _, r in fd.iterrows() if r.quantity == "grad"} if len(fd) else {}
    rows, failed = [], set()
    for param, initial in case.parameters().items():
        truth = kept["oracle"].get(quantity, param)
        scale = array_scale(truth)
        for position in np.ndindex(*truth.shape):
            index = format_index(position)
            element = f"{param}[{index}]"
            claim = published.get((quantity, step, param, index))
            shown = digits if claim is None else max(digits, published_digits(claim) + 1)
            row = [names.get(element, ""), element]
            row.append(fixed(initial[position], array_scale(initial), digits) if quantity == "param" else "")
            for engine in ("reference", "tape", "yours"):
                recording = kept.get(engine)
                row.append(fixed(recording.get(quantity, param)[position], scale, shown)
                           if recording is not None and (quantity, param) in recording.values else "")
            row.append(fixed(fd_values[(param, index)], scale, shown)
                       if quantity == "grad" and step == 0 and (param, index) in fd_values else "")
            row.append(fixed(truth[position], scale, shown))
            row.append("" if claim is None else repr(claim))
            ok = (step, quantity, param, index) not in bad
            if not ok:
                failed.add(len(rows))
            rows.append([*row, mark(ok)])
    columns = ["name", "element", "initial", "reference", "tape", "yours", "finite diff", "torch", "published", "agree"]
    return Table(columns, rows, {"name", "element"}, failed)


def state_table(result: CaseResult, digits: int) -> Table | None:
    case = result.case
    step = min(1, case.steps)
    kept: dict[str, Step] = result.kept[step]
    names = [q for q in STATE if any(q == quantity for quantity, _ in kept["oracle"].values)]
    if sum(p.size for p in case.parameters().values()) > MAX_ELEMENT_ROWS:
        return None
    bad = failing(result)
    rows, failed = [], set()
    for param in case.parameters():
        arrays = {q: np.asarray(kept["reference"].values[(q, param)]) for q in names if (q, param) in kept["oracle"].values}
        if not arrays:
            continue
        for position in np.ndindex(*case.parameters()[param].shape):
            index = format_index(position)
            cells = [fixed(a if a.ndim == 0 else a[position], array_scale(a), digits) for a in arrays.values()]
            ok = not any((step, q, param, format_index(() if arrays[q].ndim == 0 else position)) in bad for q in arrays)
            if not ok:
                failed.add(len(rows))
            rows.append([f"{param}[{index}]", *cells, mark(ok)])
    return Table(["element", *names, "agree"], rows, {"element"}, failed)


def buffer_table(result: CaseResult, digits: int) -> Table | None:
    """Batch norm's running statistics at each step the page keeps: the reference's values, ✓ where
    torch's agree at every one of them."""
    case = result.case
    buffers = case.buffers()
    if not buffers or sum(b.size for b in buffers.values()) > MAX_ELEMENT_ROWS:
        return None
    steps = sorted(result.kept)
    bad = failing(result)
    rows, failed = [], set()
    for name in buffers:
        arrays = [np.asarray(result.kept[t]["reference"].values[("buffer", name)]) for t in steps]
        for position in np.ndindex(*buffers[name].shape):
            index = format_index(position)
            ok = not any((t, "buffer", name, index) in bad for t in steps)
            if not ok:
                failed.add(len(rows))
            rows.append([f"{name}[{index}]", *[fixed(a[position], array_scale(a), digits) for a in arrays], mark(ok)])
    return Table(["element", *[f"step {t}" for t in steps], "agree"], rows, {"element"}, failed)


def witness_table(result: CaseResult) -> Table:
    labels = {"reference": "hand-derived formulas (reference)", "tape": "the tape replayed backwards (reference)",
              "yours": "your implementation"}
    if isinstance(result.case, GraphCase):  # its reference is the tape
        labels["reference"] = "the tape replayed backwards (reference)"
    rows, failed = [], set()
    for name in result.witnesses:
        arrays = result.arrays[result.arrays["witness"] == name]
        disagreeing = result.disagreeing.get(name, 0)
        state = result.failures.get(name) or ("every number agrees" if not disagreeing else
                                              f"{disagreeing:,} numbers disagree")
        if name in result.failures or disagreeing:
            failed.add(len(rows))
        rows.append([labels[name], f"{int(arrays['count'].sum()):,}", state])
    fd = result.finite_differences
    if len(fd):
        for array, group in fd.groupby(["quantity", "param"], sort=False):
            elements = group[group["index"] != "direction"]
            direction = group[group["index"] == "direction"]
            name = array[1] or "the inputs"
            ok = bool(group["fd_ok"].fillna(True).all())
            if not ok:
                failed.add(len(rows))
            sampled = f"{len(elements)} of {int(elements['of'].iloc[0]):,} elements" if len(elements) else ""
            kinks = int(group["kink"].sum())
            result = ("every one agrees" if ok else f"{int((~group['fd_ok'].fillna(True)).sum())} disagree") + (
                f"; {kinks} across a kink of the loss, where a difference is no witness" if kinks else "")
            rows.append([f"finite differences, {name}", (sampled + (", seeded" if len(elements) < elements["of"].iloc[0] else "")
                                                       + (" and one ±1 direction" if len(direction) else "")), result])
    return Table(["witness", "compared", "result"], rows, {"witness", "compared", "result"}, failed)


def nudge_table(result: CaseResult) -> Table:
    extras = result.extras
    nudge = extras.nudge
    quotients = [significant(nudge.quotients[0], 8), "", significant(nudge.quotients[1], 8)]
    rows = [[significant(w, 8), significant(ours, 10), significant(theirs, 10), q]
            for w, ours, theirs, q in zip(nudge.weights, nudge.losses, extras.nudge_oracle, quotients, strict=True)]
    return Table(["weight", "loss (reference)", "loss (torch)", "(loss − loss at start) / (weight − start)"], rows)


def compact(array: np.ndarray, digits: int) -> str:
    values = np.asarray(array, dtype=np.float64).ravel()
    scale = array_scale(values)
    text = ", ".join(fixed(v, scale, digits) for v in values)
    return text if values.size == 1 else f"[{text}]"


def tape_tables(result: CaseResult, digits: int) -> tuple[Table, Table]:
    names = aliases(result)

    def label(name: str | None, value: np.ndarray) -> str:
        if name is None:
            return compact(value, digits)
        whole = f"{name}[{','.join('0' * value.ndim)}]" if value.size == 1 else ""
        return names.get(whole, name)

    calls = result.extras.trace
    forward = [[str(c.number), f"v{c.number} = {c.operation}({', '.join(label(n, v) for n, v in c.inputs)})",
                compact(c.value, digits)] for c in calls]
    replay = [[str(c.number), f"v{c.number} = {c.operation}(…)", compact(c.grad_out, digits),
               "; ".join(f"{label(n, v)} += {compact(g, digits)}" for (n, v), g in
                         zip([(n, v) for n, v in c.inputs if n is not None], [g for _, g in c.sends], strict=True))]
              for c in reversed(calls) if c.grad_out is not None]
    return (Table(["#", "call", "value"], forward, {"call"}),
            Table(["#", "call", "grad_out", "sends back"], replay, {"call", "sends back"}))


def off_by(error: float, tolerance: float) -> str:
    """The larger engine's distance from the published number; below 1 % of the tolerance it is
    rounding of the last digits, which differs between machines, so it is not printed."""
    return significant(error, 2) if error >= 0.01 * tolerance else "< 1% of tolerance"


def published_table(result: CaseResult) -> Table:
    table = result.expectations
    with_yours = "yours" in table
    rows, failed = [], set()
    for i, r in enumerate(table.itertuples()):
        shown = published_digits(r.published) + 1
        scale = abs(r.published) or abs(r.oracle)
        state = "✓" if r.ok and (not with_yours or r.yours_ok) else "✗"
        if state == "✗":
            failed.add(i)
        rows.append([r.name, r.note, str(r.step), repr(r.published), fixed(r.reference, scale, shown),
                     fixed(r.yours, scale, shown) if with_yours else "", fixed(r.oracle, scale, shown),
                     off_by(max(r.reference_err, r.oracle_err), r.tolerance), significant(r.tolerance, 2), state])
    return Table(["name", "note", "step", "published", "reference", "yours", "torch", "off by", "tolerance", "ok"],
                 rows, {"name", "note", "ok"}, failed)
