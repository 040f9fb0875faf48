"""One worked example per case: the blocks of its page, rendered later as Markdown and HTML.

Every number comes from the run (the engines' recordings, the comparison, the extras) or from
the case file; nothing is computed here but the choice of what to print and at what precision
(report/write/format.py).
"""

from dataclasses import dataclass, field

from cases import Case
from cases.fields import shape_text
from cases.quantities import STATE
from report.verify.catalog import SCAN_STEPS
from report.verify.run import CaseResult
from report.verify.tolerances import PUBLISHED_ULPS
from report.write.format import DIGITS, Table, fraction, plural, significant
from report.write.network_picture import why_no_picture
from report.write.page_tables import (
    backward_table,
    buffer_table,
    element_table,
    forward_table,
    nudge_table,
    published_table,
    state_table,
    tape_tables,
    witness_table,
)

MAX_BATCHES_SHOWN = 8


@dataclass
class Page:
    name: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", level, text))

    def text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def table(self, table: Table | None, otherwise: str = "") -> None:
        if table is not None and table.rows:
            self.blocks.append(("table", table))
        elif otherwise:
            self.text(otherwise)

    def picture(self, png: str, svg: str, caption: str) -> None:
        self.blocks.append(("picture", png, svg, caption))

    def code(self, text: str, language: str = "") -> None:
        self.blocks.append(("code", text, language))


@dataclass(frozen=True)
class Links:
    """Where the page's files are, relative to the page: '' when not written."""

    details: str = ""
    case_file: str = ""
    pictures: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # kind -> (png, svg, caption)


def why_no_tables(result: CaseResult) -> str:
    where = "details.csv" if result.full_table else \
        "arrays.csv (each array's largest errors; details.csv lists the disagreeing elements, --every-number all)"
    return f"Too large to print here; every value is compared, see {where}."


def row_ranges(rows) -> str:
    """0, 1, 2, 3, 7 -> "0–3, 7": consecutive rows as a range."""
    runs: list[list[int]] = []
    for row in map(int, rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return ", ".join(str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}" for a, b in runs)


def verdict_text(result: CaseResult) -> str:
    case = result.case
    expected = result.expectations
    to_ulps = int(expected["to_ulps"].sum()) if len(expected) else 0
    published = (f"published numbers reproduced: {fraction(int(expected['ok'].sum()), len(expected))}"
                 if len(expected) else "no published numbers to reproduce")
    text = (f"**Verdict: {result.verdict}.** {plural(result.compared, 'number')} compared over "
            f"{plural(case.steps + 1, 'recorded step')} ({case.dtype}); {published}.")
    if to_ulps:
        text += (f" {plural(to_ulps, 'published number')} printed finer than {case.dtype} can show, checked to "
                 f"{PUBLISHED_ULPS} ulps.")
    if "yours" in result.witnesses:
        text += f" **Your implementation: {result.yours_verdict}.**"
    if result.blind:
        text += (" This case cannot see " + "; ".join(f"{spot.mistake} (`mistakes/{spot.entry.file}`; "
                                                         f"{spot.entry.case} can)" for spot in result.blind) + ".")
    return text


def network_text(case: Case) -> str:
    options = ", ".join(f"{k} = {v}" for k, v in case.optimizer_options.items()) or "torch's defaults"
    rows = case.schedule.size
    inputs = case.inputs if len(case.input_shape) == 1 else shape_text(case.input_shape)
    indices = " (integer indices into the embedding)" if case.index_inputs else ""
    mode = "" if case.training else " Mode: evaluation (batch norm on its running statistics, dropout off)."
    if case.training and case.evaluate_last:
        mode = (f" Steps 0 to {case.steps - 1} train (batch statistics, dropout on); step {case.steps}, after the "
                "last update, evaluates the trained model (model.eval(): running statistics, no dropout).")
    return (f"Inputs: {inputs}{indices}.{mode} Loss: `{case.loss}`. Optimizer: `{case.optimizer}` ({options}). "
            f"Updates: {case.steps}, on {'the full batch' if case.schedule.full_batch else f'batches of {rows}'} "
            f"of the {plural(len(case.x), 'sample')}.")


def layer_table(case: Case) -> Table:
    """One row per layer; a network of dense layers only keeps the dense columns."""
    if any(layer.type != "dense" for layer in case.layers):
        return typed_layer_table(case)
    rows = []
    for i, layer in enumerate(case.layers):
        rows.append([f"layers.{i}", shape_text(layer.weight.shape).replace("×", " × "), activation_text(layer),
                     "yes" if layer.bias is not None else "no", frozen_text(case, i)])
    return Table(["layer", "weight", "activation", "bias", "frozen"], rows, {"layer", "activation", "bias", "frozen"})


def typed_layer_table(case: Case) -> Table:
    rows = []
    for i, layer in enumerate(case.layers):
        settings = ", ".join(f"{k} = {v}" for k, v in layer.options.items() if k != "units")
        parameters = ", ".join(f"{name} {shape_text(value.shape)}" for name, value in layer.params.items()) or "—"
        rows.append([f"layers.{i}", layer.type + (f" ({settings})" if settings else ""), shape_text(layer.shape),
                     parameters, activation_text(layer), frozen_text(case, i)])
    return Table(["layer", "type", "output per sample", "parameters", "activation", "frozen"], rows,
                 {"layer", "type", "parameters", "activation", "frozen"})


def activation_text(layer) -> str:
    options = ", ".join(f"{k} = {v}" for k, v in layer.activation_options.items())
    return layer.activation + (f" ({options})" if options else "")


def frozen_text(case: Case, i: int) -> str:
    return ", ".join(sorted(n.split(".")[-1] for n in case.freeze if n.startswith(f"layers.{i}.")))


def page_start(result: CaseResult) -> Page:
    """A case page's top, for every kind of case: the title, the source, the verdict, the problems."""
    case = result.case
    page = Page(case.name)
    page.heading(f"{case.name}: {case.title}", 1)
    if case.source:
        page.text(f"Source: {case.source}")
    page.text(verdict_text(result))
    if result.message():
        page.text(f"**Problems:** {result.message()}")
    return page


def where_the_numbers_are(page: Page, result: CaseResult, links: Links) -> None:
    """A case page's last section: links to its rows of details.csv and to its case file."""
    case = result.case
    page.heading("Where the numbers are")
    where = []
    if links.details:
        where.append(f"every compared value: [details.csv]({links.details}) (rows with case = {case.name}"
                     + ("" if result.full_table else "; this case is large, so only disagreeing elements are listed "
                        "there and one row per array in arrays.csv") + ")")
    where.append(f"the case file: [{case.path}]({links.case_file})" if links.case_file else f"the case file: {case.path}")
    page.text("; ".join(where).capitalize() + ".")


def case_page(result: CaseResult, links: Links, digits: int = DIGITS) -> Page:
    case = result.case
    page = page_start(result)
    if "slope" in links.pictures:
        page.picture(*links.pictures["slope"])

    page.heading("The network")
    page.text(network_text(case))
    page.table(layer_table(case))
    if "network" in links.pictures:
        page.picture(*links.pictures["network"])
    elif why_no_picture(case):
        page.text(f"No picture of the network: {why_no_picture(case)}.")
    if "maps" in links.pictures:
        page.picture(*links.pictures["maps"])

    step0 = result.kept[0]
    page.heading("Forward pass at step 0")
    page.text("Columns are the samples of the batch; a⁽¹⁾ is the first layer's activation (the input is a⁽⁰⁾ = x). "
              "Values from the reference; ✓ where every witness agrees with torch.")
    page.table(forward_table(result, digits), why_no_tables(result))
    page.text(f"Loss at step 0: L = {significant(step0['reference'].loss, max(digits, 9))} "
              f"(torch {significant(step0['oracle'].loss, max(digits, 9))}).")
    page.heading("Backward pass at step 0")
    page.text("δ = ∂L/∂z, the gradient at each layer's pre-activation, and ∂L/∂a at its activation, from the loss down.")
    page.table(backward_table(result, digits), why_no_tables(result))

    if len(result.expectations):
        page.heading("Published numbers")
        page.table(published_table(result))

    sections = [("grad", 0, "Gradients at step 0"), ("param", min(1, case.steps), "Parameters after the first update (step 1)")]
    if case.steps > 1:
        sections.append(("param", case.steps, f"Parameters after the last update (step {case.steps})"))
    for quantity, step, title in sections:
        page.heading(title)
        page.table(element_table(result, quantity, step, digits),
                   f"{plural(sum(p.size for p in case.parameters().values()), 'element')}: too many to print here.")
    if any(q in STATE for (q, _) in result.kept[min(1, case.steps)]["oracle"].values):
        page.heading("The optimizer's state after the first update")
        page.text("Named as torch.optim names it in `optimizer.state`; values from the reference, ✓ where torch agrees.")
        page.table(state_table(result, digits), "Too large to print here.")

    if case.buffers():
        page.heading("Batch norm's running statistics")
        page.text("After t training-mode forward passes (step t records them before its own pass): running_mean ← "
                  "(1 − momentum)·running_mean + momentum·μ, running_var ← (1 − momentum)·running_var + "
                  "momentum·σ²·n/(n − 1). Values from the reference; ✓ where torch agrees at every step shown."
                  if case.training else "Evaluation mode: the running statistics normalise and never change.")
        page.table(buffer_table(result, digits), "Too many to print here.")

    page.heading("Witnesses of every gradient")
    page.text("Torch autograd against: the reference's hand-derived backward formulas, the reference's tape "
              "replayed backwards (built from primitives only), central finite differences in float64 at step 0, "
              "and your implementation when one is given. Tolerances: report/verify/tolerances.py.")
    page.table(witness_table(result))

    if result.extras is not None and result.extras.nudge is not None:
        page.heading("The numerical derivative, as the tutorial computes it")
        page.table(nudge_table(result))
        nudge = result.extras.nudge
        page.text(f"Central difference: (L(W + 0.0001) − L(W − 0.0001)) / 0.0002 = {significant(nudge.central, 8)}; "
                  f"back-propagation gives {significant(result.extras.sweep.slope, 8)}.")

    if result.extras is not None and result.extras.trace is not None:
        forward, replay = tape_tables(result, digits)
        page.heading("The tape at step 0: the stack of calls, in forward order")
        page.table(forward)
        page.heading("The backward replay: last call first, each sending its gradient to its inputs")
        page.text("A value used by several calls receives a contribution from each (`+=`).")
        page.table(replay)

    if not case.schedule.full_batch:
        page.heading("Batches")
        shown = [f"step {t}: rows {row_ranges(batch)}"
                 for t, batch in enumerate(case.schedule.first(MAX_BATCHES_SHOWN))]
        more = f"; … ({len(case.schedule)} in all)" if len(case.schedule) > MAX_BATCHES_SHOWN else ""
        page.text("Rows of the data used at each step (the batch of the update that follows): "
                  + "; ".join(shown) + more + ".")

    if case.steps > 1:
        page.heading("Training")
        losses = result.losses["reference"]
        page.text(f"Loss: step 0 {significant(losses[0], digits)}, step {case.steps} {significant(losses[-1], digits)} "
                  "(reference; ✓ every step agrees with torch)." if result.witness_agrees("reference") else
                  f"Loss: step 0 {significant(losses[0], digits)}, step {case.steps} {significant(losses[-1], digits)}.")
        if "loss" in links.pictures:
            page.picture(*links.pictures["loss"])

    failing = result.details[~result.details["ok"]] if len(result.details) else result.details
    if len(failing):
        page.heading("Disagreements (first 20)")
        rows = [[str(r.step), r.quantity, r.param, r.index, repr(r.reference), repr(r.oracle), significant(r.abs_err, 3),
                 significant(r.tolerance, 3)] for r in failing.head(20).itertuples()]
        page.table(Table(["step", "quantity", "param", "index", "reference", "torch", "abs err", "tolerance"], rows,
                         {"quantity", "param", "index"}, set(range(len(rows)))))

    where_the_numbers_are(page, result, links)
    return page


def catalog_page(checked: list, digits: int = DIGITS, results: list | None = None) -> Page:
    """The classic mistakes: each one's diff against the reference and the numbers that betray it; with
    the cases' results, which mistakes each case calls but cannot see."""
    page = Page("catalog")
    page.heading("Classic back-propagation mistakes", 1)
    page.text(f"{plural(len(checked), 'mistake')} from `mistakes/`, each run as a user's implementation on the case "
              "that exposes it. The checker must catch it, find its first wrong number where `mistakes/catalog.toml` "
              f"says, and explain it: {sum(c.ok for c in checked)} of {len(checked)} do.")
    rows = [[str(i), c.entry.title, c.entry.case, "✓" if c.caught else "✗", "✓" if c.located else "✗",
             "✓" if c.explained else "✗"] for i, c in enumerate(checked, 1)]
    page.table(Table(["#", "mistake", "case", "caught", "located", "explained"], rows, {"mistake", "case"},
                     {i for i, c in enumerate(checked) if not c.ok}))
    blind = [r for r in results or [] if r.blind]
    if blind:
        number = {c.entry.file: i for i, c in enumerate(checked, 1)}
        page.heading("What each case cannot see")
        page.text("A case sees a mistake only where its numbers depend on it: one sample cannot tell a batch mean "
                  "from a sum, a learning rate with no momentum cannot show a momentum buffer started wrong. Each "
                  "mistake above was run on every built-in case that calls its functions; these cases call them "
                  "and never notice (a long case is searched in its first "
                  f"{plural(SCAN_STEPS, 'step')}). Their agreement says nothing about those functions' mistakes.")
        page.table(Table(["case", "cannot see"],
                         [[f"[{r.case.name}](cases/{r.case.name}.md)",
                           "; ".join(f"{number[spot.entry.file]}. {spot.mistake}" for spot in r.blind)] for r in blind],
                         {"case", "cannot see"}))
    for i, c in enumerate(checked, 1):
        page.heading(f"{i}. {c.entry.title}")
        page.text(f"`mistakes/{c.entry.file}`, on the case [{c.entry.case}](cases/{c.entry.case}.md):")
        page.code(c.diff, "diff" if c.diff.startswith("---") else "python")
        first = c.result.first_wrong.get("yours")
        page.text("The checker: " + (first.describe(c.result.case, digits) if first else "not caught."))
        if c.expected:
            page.table(Table(["engine", "quantity", "step", "expected", "value", "ok", "note"],
                             [[claim["engine"], claim["quantity"], str(claim["step"]), repr(claim["value"]),
                               significant(value, 10), "✓" if ok else "✗", claim.get("note", "")]
                              for claim, value, ok in c.expected], {"engine", "quantity", "note"}))
    return page
