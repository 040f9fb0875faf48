"""Pictures for the case pages, as PNG (200 dpi, crisp when projected) and SVG: the loss at every
step, and for a case that trains one number the loss against that number with its tangent (the
tutorial's "60x" picture). Everything drawn was computed in the run."""

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from cases import format_index
from report.verify.run import CaseResult

matplotlib.rcParams["svg.hashsalt"] = "backprop-reference"  # the same SVG ids on every run
PNG_METADATA = {"Software": None}  # the same bytes across matplotlib patch versions
SVG_METADATA = {"Date": None, "Creator": None}
DPI = 200


def save(figure: Figure, png: Path, svg: Path) -> None:
    figure.tight_layout()
    figure.savefig(png, dpi=DPI, metadata=PNG_METADATA)
    figure.savefig(svg, metadata=SVG_METADATA)


def loss_curve(result: CaseResult, png: Path, svg: Path) -> None:
    """Loss per step for every engine, and the published losses as points."""
    case = result.case
    figure = Figure(figsize=(7, 4))
    axes = figure.add_subplot()
    steps = np.arange(len(result.losses["reference"]))
    axes.plot(steps, result.losses["reference"], label="reference (NumPy)", linewidth=2.5, color="#1f77b4")
    if "yours" in result.losses and len(result.losses["yours"]):
        axes.plot(np.arange(len(result.losses["yours"])), result.losses["yours"], label="yours", linewidth=1.5,
                  color="#2ca02c")
    axes.plot(steps, result.losses["oracle"], label="torch", linestyle="--", linewidth=1.5, color="#ff7f0e")
    table = result.expectations
    claims = table[table["quantity"] == "loss"] if len(table) else table
    for row in claims.itertuples():
        axes.plot([row.step], [row.published], "o", markersize=9, markerfacecolor="none", color="#d62728")
        axes.annotate(f"published {row.published:g} at step {row.step}", (row.step, row.published),
                      textcoords="offset points", xytext=(-10, 12), ha="right", color="#d62728")
    axes.set_xlabel("step (updates made)")
    full = case.schedule.full_batch
    axes.set_ylabel(f"loss ({case.loss})" + ("" if full else " on the step's batch"))
    axes.set_title(f"{case.name}: loss per step" + ("" if full else " (each step sees its own batch)"))
    losses = result.losses["reference"]
    if np.all(losses > 0) and losses.max() / max(losses.min(), 1e-300) > 100:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend()
    save(figure, png, svg)


def weight_sweep(result: CaseResult, png: Path, svg: Path) -> None:
    """Loss as a function of the one trained weight, with the tangent at the case's value."""
    case, extras = result.case, result.extras
    sweep, name = extras.sweep, extras.scalar
    index = (0,) * case.parameters()[name].ndim
    current = float(case.parameters()[name][index])
    loss_here = result.losses["reference"][0]
    element = f"{name}[{format_index(index)}]"
    label = {target: alias for alias, target in case.names.items()}.get(element, element)

    figure = Figure(figsize=(7, 4.5))
    axes = figure.add_subplot()
    axes.plot(sweep.weights, sweep.losses, linewidth=2.5, label=f"loss L({label})")
    near = np.abs(sweep.weights - current) <= (sweep.weights[-1] - sweep.weights[0]) / 4
    axes.plot(sweep.weights[near], sweep.tangent[near], linestyle="--", color="#d62728",
              label=f"tangent at {label} = {current:g}: slope dL/d{label} = {sweep.slope:.6g}")
    axes.plot([current], [loss_here], "o", color="#d62728")
    axes.annotate(f"L = {loss_here:.6g}\nslope {sweep.slope:.6g}", (current, loss_here), textcoords="offset points",
                  xytext=(12, -30))
    axes.set_xlabel(label)
    axes.set_ylabel(f"loss ({case.loss})")
    axes.set_title(f"{case.name}: the loss moves {sweep.slope:.6g}× as fast as {label}")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper center")
    save(figure, png, svg)
