"""Pictures for the case pages (matplotlib, PNG): loss curves and the one-weight "60x" picture."""

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cases import format_index  # noqa: E402
from reference.finite_differences import nudged_losses  # noqa: E402
from report.pages import trainable_scalar_of  # noqa: E402
from report.run import CaseResult  # noqa: E402

PNG_METADATA = {"Software": None}  # keeps the file identical across matplotlib patch versions


def loss_curve(result: CaseResult, path: str) -> None:
    steps = np.arange(len(result.reference))
    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    axes.plot(steps, [s.loss for s in result.reference], label="reference (NumPy)", linewidth=2.5, color="#1f77b4")
    axes.plot(steps, [s.loss for s in result.oracle], label="oracle (PyTorch)", linestyle="--", linewidth=1.5,
              color="#ff7f0e")
    axes.set_xlabel("step (updates made)")
    full_batch = all(len(batch) == len(result.case.x) for batch in result.case.batches)
    axes.set_ylabel(f"loss ({result.case.loss})" + ("" if full_batch else " on the step's batch"))
    axes.set_title(f"{result.case.name}: loss per step" + ("" if full_batch else " (each step sees its own batch)"))
    losses = np.array([s.loss for s in result.reference])
    if np.all(losses > 0) and losses.max() / max(losses.min(), 1e-300) > 100:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, metadata=PNG_METADATA)
    plt.close(figure)


def weight_sweep(result: CaseResult, path: str) -> None:
    """Loss as a function of the one trained weight, with the tangent at the case's value."""
    case = result.case
    name = trainable_scalar_of(case)
    assert name is not None
    index = (0,) * case.parameters()[name].ndim
    current = float(case.parameters()[name][index])
    slope = float(result.reference[0].grads[name][index])
    loss_here = result.reference[0].loss
    span = max(abs(current), 1.0)
    offsets = np.linspace(-span, span, 201)
    weights = current + offsets
    losses = nudged_losses(case, name, index, list(offsets))
    element = f"{name}[{format_index(index)}]"
    label = {target: alias for alias, target in case.names.items()}.get(element, element)

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    axes.plot(weights, losses, linewidth=2.5, label=f"loss L({label})")
    near = np.abs(weights - current) <= span / 2
    axes.plot(weights[near], loss_here + slope * (weights[near] - current), linestyle="--", color="#d62728",
              label=f"tangent at {label} = {current:g}: slope dL/d{label} = {slope:.6g}")
    axes.plot([current], [loss_here], "o", color="#d62728")
    axes.annotate(f"L = {loss_here:.6g}\nslope {slope:.6g}", (current, loss_here), textcoords="offset points",
                  xytext=(12, -30))
    axes.set_xlabel(label)
    axes.set_ylabel(f"loss ({case.loss})")
    axes.set_title(f"{case.name}: the loss moves {slope:.6g}× as fast as {label}")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper center")
    figure.tight_layout()
    figure.savefig(path, metadata=PNG_METADATA)
    plt.close(figure)
