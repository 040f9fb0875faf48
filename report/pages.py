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


def number(value: float, digits: int = 12) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:.{digits}g}"


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
        entry.update({
            "reference": number(row.reference), "oracle": number(row.oracle),
            "ulps": number(row.ulps, 6), "engines agree": "✓" if row.ok else "✗",
            "published": "" if claim is None else number(claim[0]),
            "published reproduced": "" if claim is None else ("✓" if claim[1] else "✗"),
        })
        out.append(entry)
    return pd.DataFrame(out)


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

