"""The page of a graph case: the circuit, every input's and node's value and gradient at step 0,
the published numbers, the witnesses. Numbers come from the run; nothing is computed here."""

from report.verify.run import CaseResult
from report.write.circuit import SYMBOLS, shown, why_no_circuit
from report.write.format import Table, plural, significant
from report.write.page_tables import failing, mark, published_table, witness_table
from report.write.pages import Links, Page, page_start, where_the_numbers_are


def formula(node) -> str:
    """"u = k × x", "s = sigmoid(z)", "p = pow(x, 2)"."""
    args = [a if isinstance(a, str) else significant(a, 6) for a in node.args]
    if len(args) == 2 and node.operation in SYMBOLS:
        return f"{node.name} = {args[0]} {SYMBOLS[node.operation]} {args[1]}"
    extra = [f"{significant(v, 6)}" for v in node.options.values()]
    return f"{node.name} = {node.operation}({', '.join(args + extra)})"


MAX_NODES_SHOWN = 200  # rows of a large circuit's table: the inputs, the first and last nodes, any that disagree


def node_table(result: CaseResult) -> Table:
    case, step = result.case, result.kept[0]["reference"].values
    bad = failing(result)
    rows, failed = [], set()
    entries = [(name, "trainable input" if name in case.trainable else "constant",
                ("param", name) if name in case.trainable else None) for name in case.values]
    entries += [(node.name, formula(node), ("value", node.name)) for node in case.nodes]
    if len(entries) > MAX_NODES_SHOWN:  # the first and the last, and every one that disagrees
        wrong = {key[2] for key in bad if key[0] == 0}
        half = MAX_NODES_SHOWN // 2
        entries = [entry for k, entry in enumerate(entries)
                   if k < half or k >= len(entries) - half or entry[0] in wrong]
    for name, what, item in entries:
        value = step[item] if item is not None else case.values[name]
        grad = step.get(("grad", name))
        ok = not any(key[0] == 0 and key[2] == name for key in bad)
        if not ok:
            failed.add(len(rows))
        rows.append([name, what, shown(value), "" if grad is None else shown(grad), mark(ok)])
    return Table(["name", "computes", "value", f"∂{case.output}/∂ (gradient)" if case.gradient is None else
                  "∂L/∂ (gradient)", "agree"], rows, {"name", "computes"}, failed)


def graph_page(result: CaseResult, links: Links, digits: int) -> Page:
    case = result.case
    page = page_start(result)
    page.heading("The circuit")
    output = f"the output {case.output}" + ("" if case.gradient is None else
                                            f", given the upstream gradient {shown(case.gradient)}")
    page.text(f"{plural(len(case.values), 'input')}, {plural(len(case.nodes), 'node')}; differentiated: {output}. "
              "Reference: the project's tape (NumPy); oracle: torch tensors and torch functions with backward().")
    if "circuit" in links.pictures:
        page.picture(*links.pictures["circuit"])
    elif why_no_circuit(case):
        page.text(why_no_circuit(case) + ".")
    page.heading("Every value and gradient at step 0")
    page.text("Values from the reference; ✓ where torch agrees. A value feeding several nodes collects the "
              "gradient of each.")
    page.table(node_table(result))
    shown_here = len(case.values) + len(case.nodes)
    if shown_here > MAX_NODES_SHOWN:
        page.text(f"{plural(shown_here, 'value')}: the first and the last {MAX_NODES_SHOWN // 2} are shown, and any "
                  "that disagrees; every one is in details.csv.")
    if len(result.expectations):
        page.heading("Published numbers")
        page.table(published_table(result))
    page.heading("Witnesses")
    page.text("Torch autograd against the tape, every value and gradient at every step, and central finite "
              "differences in float64 at step 0 for every trainable input. Tolerances: report/verify/tolerances.py.")
    page.table(witness_table(result))
    if case.steps:
        page.heading("Training")
        losses = result.losses["reference"]
        page.text(f"Plain SGD on the trainable inputs at learning rate {case.learning_rate:g} for {case.steps} steps: "
                  f"{case.output} from {significant(losses[0], digits)} to {significant(losses[-1], digits)}.")
        if "loss" in links.pictures:
            page.picture(*links.pictures["loss"])
    where_the_numbers_are(page, result, links)
    return page
