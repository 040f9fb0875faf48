"""The picture of a small dense network, drawn as Mazur draws his: the inputs, each layer's
neurons with their activation for the batch's first sample, every weight on its edge with its
gradient ∂L/∂w below it (blue when positive, red when negative), at step 0. Every number comes
from the run (the reference's recording). Networks wider than MAX_UNITS are not drawn."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cases import Case, Step
from report.write.format import significant
from report.write.plots import save

MAX_UNITS = 12  # neurons per layer that still read on a slide
MAX_LABELLED_EDGES = 12  # beyond this the edges carry no numbers (they are in the page's tables), only their gradient's sign


def why_no_picture(case: Case) -> str:
    """Why there is no picture, or "" when there is one."""
    typed = sorted({layer.type for layer in case.layers if layer.type != "dense"})
    if typed:
        return f"the picture draws dense layers only; this network has {', '.join(typed)}"
    widest = max([case.inputs, *(layer.size for layer in case.layers)])
    return (f"a layer of {widest} units: too wide to draw (at most {MAX_UNITS}); every value is in the tables"
            if widest > MAX_UNITS else "")


def colour(value: float) -> str:
    return "#1f77b4" if value > 0 else "#d62728" if value < 0 else "#555555"


def label_edge(axes, start: tuple[float, float], end: tuple[float, float], weight: float, grad: float) -> None:
    """w above the edge, ∂L/∂w below it, written along it: near the start of an edge going down,
    near the end of one going up, midway on a level one, so that crossing edges keep apart."""
    (x0, y0), (x1, y1) = start, end
    at = 0.5 if y1 == y0 else 0.22 if y1 > y0 else 0.78
    x, y = x0 + at * (x1 - x0), y0 + at * (y1 - y0)
    (px0, py0), (px1, py1) = axes.transData.transform([(x0, y0), (x1, y1)])  # the edge as drawn, in points
    angle = np.degrees(np.arctan2(py1 - py0, px1 - px0))
    normal = np.array([-(py1 - py0), px1 - px0]) / np.hypot(px1 - px0, py1 - py0) * 6
    for text, side, shade in ((f"w {significant(weight, 4)}", 1, "black"), (f"∂ {significant(grad, 3)}", -1, colour(grad))):
        axes.annotate(text, (x, y), xytext=(side * normal[0], side * normal[1]), textcoords="offset points",
                      fontsize=8, ha="center", va="center", rotation=angle, rotation_mode="anchor", color=shade)


def network(case: Case, recording: Step, png: Path, svg: Path) -> None:
    """Draw the network with a step's recording (the inputs are the batch's first row)."""
    step = recording.values
    sizes = [case.inputs, *(layer.size for layer in case.layers)]
    first = {0: np.asarray(case.x[recording.batch[0]])}
    for i in range(len(case.layers)):
        key = ("output", "") if i == len(case.layers) - 1 else ("activation", f"layers.{i}")
        first[i + 1] = np.asarray(step[key])[0]
    edges = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    labelled = edges <= MAX_LABELLED_EDGES
    figure = Figure(figsize=(max(6.0, 3.2 * len(sizes)), max(3.2, 1.1 * max(sizes) + 1)))
    axes = figure.add_subplot()
    axes.axis("off")
    axes.set_xlim(-0.5, len(sizes) - 0.5)
    axes.set_ylim(max(sizes) - 0.3, -0.9)

    def y_of(unit: int, size: int) -> float:
        return unit + (max(sizes) - size) / 2

    for i, layer in enumerate(case.layers):
        weight = np.asarray(step[("param", f"layers.{i}.weight")])
        grad = np.asarray(step[("grad", f"layers.{i}.weight")])
        for j in range(layer.size):
            for k in range(sizes[i]):
                x0, y0, x1, y1 = i + 0.12, y_of(k, sizes[i]), i + 0.88, y_of(j, layer.size)
                axes.plot([x0, x1], [y0, y1], color=colour(float(grad[j, k])), linewidth=1.0, alpha=0.7)
                if labelled:
                    label_edge(axes, (x0, y0), (x1, y1), float(weight[j, k]), float(grad[j, k]))
    for i, size in enumerate(sizes):
        for unit in range(size):
            value = first[i]
            text = significant(float(value[unit]), 4)
            axes.text(i, y_of(unit, size), text, ha="center", va="center", fontsize=9,
                      bbox={"boxstyle": "circle,pad=0.45", "facecolor": "#eef3fb" if i else "#f2f2f2",
                            "edgecolor": "#1f3b73" if i else "#888888"})
        label = "inputs" if i == 0 else f"layers.{i - 1}: {case.layers[i - 1].activation}"
        axes.text(i, -0.75, label, ha="center", va="bottom", fontsize=10)
    axes.set_title(f"{case.name}: activations of the first sample, weights and ∂L/∂w at step 0", fontsize=11)
    save(figure, png, svg)
