"""Feature maps: for a network on images, the first sample's picture at each layer that keeps the
(C, H, W) layout — the input, each convolution's and pooling's output — one small image per
channel, and beside it the gradient δ = ∂L/∂z that came back to that layer, at step 0. Values
are the reference's recording (every one also compared with torch); a map of at most 8 × 8
pixels carries its numbers. Blue is positive, red negative, white zero, each map scaled to its
own largest magnitude."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cases import Case, Step
from report.write.format import significant
from report.write.plots import save

MAX_CHANNELS = 6  # channels drawn per layer; the rest are in the tables
MAX_PIXELS = 32  # maps larger than this on a side are not drawn
NUMBERED = 8  # maps up to this size on a side carry their numbers


def drawable(case: Case) -> bool:
    """True when the network takes images small enough to draw."""
    return len(case.input_shape) == 3 and max(case.input_shape[1:]) <= MAX_PIXELS


def maps(case: Case, step: Step) -> list[tuple[str, np.ndarray, np.ndarray | None, str]]:
    """(label, the first sample's maps (C, H, W), their gradient or None, its name) for the input and
    each layer whose output is an image."""
    first = 0
    input_grad = step.values.get(("input_grad", ""))
    rows = [("input x", np.asarray(case.x[step.batch[first]]),
             None if input_grad is None else np.asarray(input_grad)[first], "∂L/∂x")]
    for i, layer in enumerate(case.layers):
        if len(layer.shape) != 3:
            continue
        key = f"layers.{i}"
        value = step.values[("activation", key)] if ("activation", key) in step.values else step.values[("pre_activation", key)]
        delta = step.values.get(("delta", key))
        label = f"{key}: {layer.type}" + (f" → {layer.activation}" if layer.activation != "identity" else "")
        rows.append((label, np.asarray(value)[first], None if delta is None else np.asarray(delta)[first], "δ = ∂L/∂z"))
    return rows


def feature_maps(case: Case, step: Step, png: Path, svg: Path) -> None:
    rows = maps(case, step)
    columns = max(min(len(value), MAX_CHANNELS) for _, value, _, _ in rows)
    figure = Figure(figsize=(max(7.0, 2.0 * 2 * columns + 1.5), 2.1 * len(rows) + 0.9))
    grid = figure.add_gridspec(len(rows), 2 * columns)
    for r, (label, value, grad, grad_name) in enumerate(rows):
        for k in range(min(len(value), MAX_CHANNELS)):
            draw(figure.add_subplot(grid[r, k]), value[k], f"{label}\nchannel {k}" if k == 0 else f"channel {k}")
            if grad is not None:
                draw(figure.add_subplot(grid[r, columns + k]), grad[k], f"{grad_name}\nchannel {k}" if k == 0 else
                     f"channel {k}")
    figure.suptitle(f"{case.name}\nthe first sample's maps at step 0 (left), the gradient that came back (right)",
                    fontsize=11)
    save(figure, png, svg)


def draw(axes, image: np.ndarray, title: str) -> None:
    scale = float(np.max(np.abs(image))) or 1.0
    axes.imshow(image, cmap="RdBu", vmin=-scale, vmax=scale, interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(title, fontsize=8)
    if max(image.shape) <= NUMBERED:
        small = max(image.shape) <= 4
        for (h, w), number in np.ndenumerate(image):
            text = f"{number:.0f}" if abs(number) >= 10 else significant(float(number), 3 if small else 2)
            axes.text(w, h, text, ha="center", va="center", fontsize=7 if small else 5,
                      color="white" if abs(number) > 0.6 * scale else "black")
