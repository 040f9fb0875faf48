"""One worked example per case: the blocks of its page, rendered later as Markdown and HTML.

A page is a list of blocks: headings, paragraphs, tables (DataFrames) and pictures. Every
number comes from the engines' recordings or the case file; the only arithmetic here is the
presentation of the forward table (ŷ − y, its square) that the tutorials print.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cases import Case, Step
from report.run import CaseResult

MAX_FORWARD_COLUMNS = 40
MAX_FORWARD_ROWS = 20
MAX_ELEMENT_ROWS = 120
REGRESSION_LOSSES = ("sse", "half_sse", "mse", "mae", "huber")


@dataclass
class Page:
    name: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", level, text))

    def text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def table(self, frame: pd.DataFrame, failing: pd.Series | None = None) -> None:
        """A table; `failing` marks rows to highlight (True = failing)."""
        self.blocks.append(("table", frame, failing))

    def picture(self, file: str, caption: str) -> None:
        self.blocks.append(("picture", file, caption))


def number(value: float | None, digits: int = 12) -> str:
    """A number as printed in the report ("" for a missing one or NaN)."""
    if value is None or pd.isna(value):
        return ""
    return f"{value:.{digits}g}"


def trainable_scalar_of(case: Case) -> str | None:
    """The parameter of a case that trains exactly one number, else None."""
    trained = [name for name in case.parameters() if name not in case.freeze]
    return trained[0] if [case.parameters()[name].size for name in trained] == [1] else None


def element_names(case: Case) -> dict[str, str]:
    """"layers.1.weight[0,0]" -> "w5" for every alias the case defines."""
    return {element: alias for alias, element in case.names.items()}


def layer_description(case: Case) -> pd.DataFrame:
    rows = []
    fan_in = case.inputs
    for i, layer in enumerate(case.layers):
        options = ", ".join(f"{k} = {v}" for k, v in layer.activation_options.items())
        rows.append({"layer": f"layers.{i}", "shape": f"{layer.units} × {fan_in}",
                     "activation": layer.activation + (f" ({options})" if options else ""),
                     "bias": "yes" if layer.bias is not None else "no",
                     "frozen": ", ".join(sorted(n.split(".")[-1] for n in case.freeze
                                                if n.startswith(f"layers.{i}.")))})
        fan_in = layer.units
    return pd.DataFrame(rows)


def forward_table(case: Case, step: Step) -> pd.DataFrame | None:
    """The tutorials' forward table, one row per sample of the batch, with totals."""
    x = case.x[step.batch]
    columns: dict[str, list] = {"sample": [int(i) for i in step.batch]}
    for j in range(case.inputs):
        columns[f"x[{j}]"] = list(x[:, j])
    last = len(case.layers) - 1
    for i, layer in enumerate(case.layers):
        for j in range(layer.units):
            if layer.activation != "identity":
                columns[f"z{i}[{j}]"] = list(step.pre_activations[i][:, j])
            columns[f"{'ŷ' if i == last else f'a{i}'}[{j}]"] = list(step.activations[i][:, j])
    targets = case.targets[step.batch]
    totals: dict[str, float] = {}
    if case.class_targets:
        columns["class"] = [int(t) for t in targets]
    else:
        for k in range(case.outputs):
            columns[f"y[{k}]"] = list(targets[:, k])
    if case.loss in REGRESSION_LOSSES:
        error = step.output - targets
        for k in range(case.outputs):
            columns[f"error[{k}] = ŷ − y"] = list(error[:, k])
        columns["absolute error Σ"] = list(np.abs(error).sum(axis=1))
        columns["square error Σ"] = list((error**2).sum(axis=1))
        totals = {"absolute error Σ": float(np.abs(error).sum()), "square error Σ": float((error**2).sum())}
    elif case.loss == "bce":
        y_hat = step.output
        cross_entropy = -(targets * np.log(y_hat) + (1 - targets) * np.log(1 - y_hat))
        columns["cross-entropy −(y ln ŷ + (1−y) ln(1−ŷ))"] = list(cross_entropy.sum(axis=1))
        totals = {"cross-entropy −(y ln ŷ + (1−y) ln(1−ŷ))": float(cross_entropy.sum())}
    if len(columns) > MAX_FORWARD_COLUMNS or len(step.batch) > MAX_FORWARD_ROWS:
        return None
    frame = pd.DataFrame(columns)
    if totals and len(frame) > 1:
        total_row = {column: "" for column in frame.columns}
        total_row["sample"] = "total"
        total_row.update(totals)
        frame = pd.concat([frame.astype(object), pd.DataFrame([total_row])], ignore_index=True)
    return frame.map(lambda v: number(v) if isinstance(v, float) else v)


def published_lookup(result: CaseResult) -> dict[tuple, tuple[float, bool]]:
    """(quantity, step, param, index) -> (published value, reproduced?), for the element tables."""
    return {(row.quantity, row.step, row.param, row.index): (row.published, row.ok)
            for row in result.expectations.itertuples()}


def element_table(result: CaseResult, quantity: str, step: int, with_before: bool = False) -> pd.DataFrame:
    """Every parameter element's gradient or value at `step`: reference | oracle | published | ulps."""
    table = result.details
    rows = table[(table["quantity"] == quantity) & (table["step"] == step)]
    aliases = element_names(result.case)
    published = published_lookup(result)
    before = result.details[(result.details["quantity"] == "param") & (result.details["step"] == 0)]
    before_values = dict(zip(before["param"] + "[" + before["index"] + "]", before["reference"], strict=True))
    out = []
    for row in rows.itertuples():
        element = f"{row.param}[{row.index}]"
        entry = {"name": aliases.get(element, ""), "element": element}
        if with_before:
            entry["before"] = number(before_values[element])
        claim = published.get((quantity, step, row.param, row.index))
        entry["reference"] = number(row.reference)
        if quantity == "grad" and "reference_tape" in rows:
            entry["tape"] = number(row.reference_tape)
        if quantity == "grad" and "finite_diff" in rows:
            entry["finite diff"] = number(row.finite_diff, 10)
        entry.update({
            "oracle": number(row.oracle),
            "ulps": number(row.ulps, 6), "engines agree": "✓" if witnesses_ok(row) else "✗",
            "published": "" if claim is None else number(claim[0]),
            "published reproduced": "" if claim is None else ("✓" if claim[1] else "✗"),
        })
        out.append(entry)
    return pd.DataFrame(out)


def witnesses_ok(row) -> bool:
    """reference, tape and finite differences (where each is present) all agree with the oracle."""
    tape_ok = getattr(row, "tape_ok", True)
    fd_ok = getattr(row, "fd_ok", True)
    return bool(row.ok) and bool(tape_ok) and (fd_ok is pd.NA or bool(fd_ok))


def witness_summary(result: CaseResult) -> pd.DataFrame:
    """One row per witness of the gradients: how far from the oracle, at most."""
    table = result.details
    grads = table[table["quantity"].isin(["grad", "input_grad"])]
    rows = [{"witness": "hand-derived formulas (reference)", "compared": len(grads),
             "largest difference": number(grads["abs_err"].max(), 3), "largest ulps": number(grads["ulps"].max(), 6),
             "tolerance": "engines"}]
    if "reference_tape" in table:
        rows.append({"witness": "the tape replayed backwards (reference)", "compared": len(grads),
                     "largest difference": number((grads["reference_tape"] - grads["oracle"]).abs().max(), 3),
                     "largest ulps": number(grads["tape_ulps"].max(), 6), "tolerance": "engines"})
    if "finite_diff" in table:
        fd = grads[grads["finite_diff"].notna()]
        rows.append({"witness": "central finite differences, float64, step 0", "compared": len(fd),
                     "largest difference": number(fd["fd_abs_err"].max(), 3), "largest ulps": "",
                     "tolerance": "finite differences"})
    return pd.DataFrame(rows)


def nudge_table(case: Case, name: str) -> pd.DataFrame:
    """The tutorial's numerical derivative: move the weight by ±0.0001 and watch the loss."""
    from reference.finite_differences import nudged_losses

    nudge = 0.0001
    index = (0,) * case.parameters()[name].ndim
    start = float(case.parameters()[name][index])
    before, here, after = nudged_losses(case, name, index, [-nudge, 0.0, nudge])
    return pd.DataFrame({
        "weight": [number(start - nudge), number(start), number(start + nudge)],
        "loss": [number(before, 10), number(here, 10), number(after, 10)],
        "(loss − loss at start) / (weight − start)": [number((before - here) / -nudge, 8), "",
                                                       number((after - here) / nudge, 8)],
    })


MAX_TAPE_RECORDS = 40
MAX_TAPE_ELEMENTS = 6


def tape_tables(case: Case, params: dict, x, y) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The tape of step 0: calls in forward order, then the backward replay, for small cases."""
    from reference.network_tape import record_forward

    tape, leaves, value, _, _ = record_forward(case, params, x, y)
    if len(tape.records) > MAX_TAPE_RECORDS or any(r.output.data.size > MAX_TAPE_ELEMENTS for r in tape.records):
        return None
    tape.backward(value)
    aliases = element_names(case)
    names: dict[int, str] = {}
    for leaf_name, leaf in leaves.items():
        whole = f"{leaf_name}[{','.join('0' * leaf.data.ndim)}]" if leaf.data.size == 1 else ""
        names[id(leaf)] = aliases.get(whole, leaf_name)
    for k, record in enumerate(tape.records, 1):
        names[id(record.output)] = f"v{k}"

    def label(variable) -> str:
        return names.get(id(variable), compact(variable.data))

    forward = pd.DataFrame([{
        "#": k, "call": f"{names[id(r.output)]} = {r.operation}({', '.join(label(v) for v in r.inputs)})",
        "value": compact(r.output.data)} for k, r in enumerate(tape.records, 1)])
    replay = pd.DataFrame([{
        "#": k, "call": f"{names[id(r.output)]} = {r.operation}(…)", "grad_out": compact(r.output.grad),
        "sends back": "; ".join(f"{label(v)} += {compact(g)}" for v, g in zip(r.inputs, r.local_grads, strict=True)
                                if names.get(id(v)) is not None)}
        for k, r in reversed(list(enumerate(tape.records, 1))) if r.output.grad is not None])
    return forward, replay


def compact(array) -> str:
    values = np.asarray(array, dtype=np.float64).ravel()
    text = ", ".join(number(v, 8) for v in values)
    return text if values.size == 1 else f"[{text}]"


def case_page(result: CaseResult, pictures: dict[str, str]) -> Page:
    case = result.case
    page = Page(case.name)
    page.heading(f"{case.name}: {case.title}", 1)
    if case.source:
        page.text(f"Source: {case.source}")
    summary = (f"**Verdict: {result.verdict}.** {len(result.details)} numbers compared over "
               f"{case.steps + 1} recorded steps ({case.dtype}); largest difference "
               f"{number(result.details['ulps'].max(), 6)} ulps; published numbers reproduced: "
               f"{int(result.expectations['ok'].sum())}/{len(result.expectations)}.")
    page.text(summary)
    if result.message():
        page.text(f"**Problems:** {result.message()}")

    page.heading("The network")
    options = ", ".join(f"{k} = {v}" for k, v in case.optimizer_options.items()) or "torch defaults"
    page.text(f"Inputs: {case.inputs}. Loss: `{case.loss}`. Optimizer: `{case.optimizer}` ({options}). "
              f"Updates: {case.steps}, on batches of {len(case.batches[0])} of the {len(case.x)} samples.")
    page.table(layer_description(case))

    page.heading("Forward pass at step 0 (reference values; the oracle's are compared below)")
    forward = forward_table(case, result.reference[0])
    if forward is None:
        page.text("Too wide or too long to print here; every value is in details.csv.")
    else:
        page.table(forward)
    page.text(f"Loss at step 0: reference {number(result.reference[0].loss)}, oracle "
              f"{number(result.oracle[0].loss)}.")

    if len(result.expectations):
        page.heading("Published numbers")
        expected = result.expectations
        frame = pd.DataFrame({
            "name": expected["name"], "note": expected["note"], "quantity": expected["quantity"], "step": expected["step"],
            "index": expected["index"], "published": expected["published"].map(number),
            "reference": expected["reference"].map(number), "oracle": expected["oracle"].map(number),
            "off by": [number(max(a, b), 3) for a, b in zip(expected["reference_err"], expected["oracle_err"],
                                                             strict=True)],
            "tolerance": expected["tolerance"].map(lambda v: number(v, 3)),
            "ok": expected["ok"].map(lambda ok: "✓" if ok else "✗"),
        })
        page.table(frame, ~expected["ok"].reset_index(drop=True))

    sections = [("grad", 0, "Gradients at step 0", False),
                ("param", 1, "Parameters after the first update (step 1)", True)]
    if case.steps > 1:
        sections.append(("param", case.steps, f"Parameters after the last update (step {case.steps})", True))
    for quantity, step, title, with_before in sections:
        frame = element_table(result, quantity, step, with_before)
        page.heading(title)
        if len(frame) > MAX_ELEMENT_ROWS:
            page.text(f"{len(frame)} elements: too many to print here; every value is in details.csv.")
        else:
            page.table(frame, (frame["engines agree"] == "✗") | (frame["published reproduced"] == "✗"))

    page.heading("Four witnesses of every gradient")
    page.text("The oracle (PyTorch autograd) against: the reference's hand-derived backward formulas, the "
              "reference's tape replayed backwards (tape.py), and central finite differences in float64 "
              "(finite_differences.py, step 0 only). Tolerances: report/tolerances.py.")
    page.table(witness_summary(result))

    scalar = trainable_scalar_of(case)
    if scalar is not None:
        page.heading("The numerical derivative, as the tutorial computes it")
        nudges = nudge_table(case, scalar)
        page.table(nudges)
        page.text(f"Central difference: ({nudges['loss'][2]} − {nudges['loss'][0]}) / 0.0002 = "
                  f"{number((float(nudges['loss'][2]) - float(nudges['loss'][0])) / 0.0002, 8)}; "
                  f"back-propagation gives {number(result.reference[0].grads[scalar].item())}.")

    batch = case.batches[0]
    taped = tape_tables(case, case.parameters(), case.x[batch], case.targets[batch])
    if taped is not None:
        page.heading("The tape at step 0: the stack of calls, in forward order")
        page.table(taped[0])
        page.heading("The backward replay: last call first, each sending its gradient to its inputs")
        page.text("A value used by several calls receives a contribution from each (`+=`).")
        page.table(taped[1])

    if any(len(batch) < len(case.x) for batch in case.batches):
        page.heading("Batches")
        shown = [f"step {t}: rows {', '.join(str(i) for i in batch)}" for t, batch in enumerate(case.batches[:8])]
        more = f"; … ({len(case.batches)} in all)" if len(case.batches) > 8 else ""
        page.text("Rows of the data used at each step (the batch of the update that follows): "
                  + "; ".join(shown) + more + ".")

    if case.steps > 1:
        page.heading("Training")
        losses = [step.loss for step in result.reference]
        page.text(f"Loss: step 0 {number(losses[0])}, step {case.steps} {number(losses[-1])} "
                  f"(reference; the oracle agrees within the tolerance at every step).")
    for file, caption in pictures.items():
        page.picture(file, caption)

    failing = result.details[~result.details["ok"]]
    if len(failing):
        page.heading("Disagreements (first 20)")
        page.table(failing.head(20).drop(columns=["case"]).map(
            lambda v: number(v) if isinstance(v, float) else v), pd.Series([True] * min(20, len(failing))))
    page.heading("Where the numbers are")
    page.text(f"Every compared value: details.csv (rows with case = {case.name}). Case file: {case.path}.")
    return page

