"""The picture of a graph case, drawn as CS231n draws circuits: inputs on the left, one gate per
node, the output on the right; beside each value its forward value above (black) and its
gradient ∂output/∂value below (blue when positive, red when negative), at step 0. Every number
drawn comes from the run (the reference's recording, which agrees with torch or is flagged)."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cases import GraphCase
from report.write.format import significant
from report.write.plots import save

SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "pow": "x^{p}", "dot": "·", "matmul": "@"}
MAX_NODES = 40  # larger graphs are listed in the table only
MAX_SHOWN = 4  # elements printed for a vector or matrix


def why_no_circuit(case: GraphCase) -> str:
    return (f"{len(case.nodes)} nodes: too many to draw (at most {MAX_NODES}); every value is in the table"
            if len(case.nodes) > MAX_NODES else "")


def shown(value: np.ndarray | None) -> str:
    if value is None:
        return ""
    flat = np.asarray(value, dtype=np.float64).ravel()
    text = ", ".join(significant(v, 4) for v in flat[:MAX_SHOWN]) + (", …" if flat.size > MAX_SHOWN else "")
    return text if np.ndim(value) == 0 else f"[{text}]"


def gate_label(operation: str, args: tuple, options: dict) -> str:
    label = SYMBOLS.get(operation, operation).replace("{p}", significant(options.get("exponent", 0.0), 4))
    numbers = [significant(a, 4) for a in args if not isinstance(a, str)]
    return label + ("\n" + ", ".join(numbers) if numbers else "")


def positions(case: GraphCase) -> dict[str, tuple[int, int]]:
    """name -> (column, row): inputs in column 0, each node one column right of its latest argument."""
    column = {name: 0 for name in case.values}
    for node in case.nodes:
        column[node.name] = 1 + max((column[a] for a in node.args if isinstance(a, str)), default=0)
    rows: dict[int, int] = {}
    placed = {}
    for name, c in column.items():
        placed[name] = (c, rows.get(c, 0))
        rows[c] = rows.get(c, 0) + 1
    return placed


def circuit(case: GraphCase, step: dict, png: Path, svg: Path) -> None:
    """Draw the circuit with `step`'s values: (quantity, name) -> array, as an engine records it."""
    where = positions(case)
    columns = 1 + max(c for c, _ in where.values())
    tallest = 1 + max(r for _, r in where.values())
    figure = Figure(figsize=(max(6.0, 2.3 * columns), max(3.0, 1.25 * tallest)))
    axes = figure.add_subplot()
    axes.set_xlim(-0.6, columns - 0.2)
    axes.set_ylim(tallest - 0.4, -0.7)
    axes.axis("off")

    def value_of(name: str):
        if name in case.trainable:
            return step.get(("param", name))
        return step.get(("value", name), case.values.get(name))

    for node in case.nodes:  # wires first, under the gates
        x1, y1 = where[node.name]
        for arg in node.args:
            if isinstance(arg, str):
                x0, y0 = where[arg]
                axes.annotate("", (x1 - 0.17, y1), (x0 + 0.17, y0),
                              arrowprops={"arrowstyle": "-|>", "color": "#555555", "linewidth": 1.2})
    for name, (x, y) in where.items():
        node = next((n for n in case.nodes if n.name == name), None)
        if node is None:
            box = {"boxstyle": "round,pad=0.3", "facecolor": "#eef3fb" if name in case.trainable else "#f2f2f2",
                   "edgecolor": "#1f3b73" if name in case.trainable else "#888888"}
            axes.text(x, y, name, ha="center", va="center", fontsize=11, bbox=box)
        else:
            axes.text(x, y, gate_label(node.operation, node.args, node.options), ha="center", va="center", fontsize=10,
                      bbox={"boxstyle": "circle,pad=0.35", "facecolor": "white", "edgecolor": "#333333"})
            axes.text(x, y + 0.33, name + (" (output)" if name == case.output else ""), ha="center", va="top",
                      fontsize=8, color="#555555")
        axes.text(x + 0.2, y - 0.1, shown(value_of(name)), ha="left", va="bottom", fontsize=9, color="black")
        grad = step.get(("grad", name))
        if grad is not None:
            sign = float(np.sum(grad))
            axes.text(x + 0.2, y + 0.1, shown(grad), ha="left", va="top", fontsize=9,
                      color="#1f77b4" if sign > 0 else "#d62728" if sign < 0 else "#555555")
    axes.set_title(f"{case.name}: value above, ∂{case.output}/∂ below (step 0)" if case.gradient is None else
                   f"{case.name}: value above, ∂L/∂ below, L = Σ gradient · {case.output} (step 0)", fontsize=11)
    save(figure, png, svg)
