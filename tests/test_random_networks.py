"""Property: random networks in the whole vocabulary agree between the engines.

Depth 1–4, widths 1–16, batches 1–8 rows, every activation, loss, optimizer and batch mode,
float64 and float32. A failure prints the minimal case as a ready-to-save TOML file:
save it and run `python -m report FILE`.

What is compared: in float64, every number at every step with plain or momentum SGD, and the
step-0 forward pass, loss and gradients with the adaptive optimizers; in float32, the step-0
forward pass (pre-activations, activations, output). The rest is ill-conditioned beyond the
tolerance with neither engine wrong, so no tolerance can separate a bug from rounding there.
Measured:
- Adagrad, Adam and RMSprop divide by √(Σg²) or √v: a gradient that is 1e-17 in one engine and
  0 in the other (both within 1e-12 of the truth) moves a parameter by lr·g/(|g| + eps), here
  1e-9 in float64 after one Adagrad step at lr 0.1 (tolerance 6e-11).
- float32, a saturated output tanh (y = −0.99889): pre-activations one ulp apart from the
  engines' summation orders become first-layer gradients 6.4e-5 apart relative (tolerance
  1e-5), since 1 − y² = 0.0022 magnifies the ulp ~450-fold.
- float32, bce after a saturated sigmoid: torch's sigmoid(9.231254) is 0.9999021, the
  reference's correctly rounded value 0.99990207, one ulp apart; ln(1 − ŷ) magnifies that
  ~10⁴-fold and the losses differ by 3.5e-5 relative (tolerance 1e-5).
The update rules themselves are checked against torch.optim on shared gradients for 30 steps
(tests/test_optimizers.py) and over 25 steps of every built-in opt-* case, in both dtypes.

Profiles (HYPOTHESIS_PROFILE): `ci` (default, quick) and `thorough` (for local runs).
"""

from pathlib import Path

import numpy as np
import tomli_w
from helpers import agreement_message
from hypothesis import assume, given
from hypothesis import strategies as st

import oracle
import reference
from cases import Step, loads_case
from cases.quantities import STATE
from cases.vocabulary import ACTIVATIONS, INIT_SCHEMES, LOSS_LAST_ACTIVATION, LOSSES
from report.comparison import compare_runs

HIDDEN = [name for name in ACTIVATIONS if name != "softmax"]
# Every option is sometimes left out, so that torch's default is compared with the reference's.
ACTIVATION_OPTIONS = {
    "leaky_relu": st.fixed_dictionaries({}, optional={"negative_slope": st.sampled_from([0.01, 0.1, 0.3])}),
    "softplus": st.fixed_dictionaries({}, optional={"beta": st.sampled_from([0.5, 1.0, 2.0]),
                                                    "threshold": st.sampled_from([1.0, 20.0])}),
    "gelu": st.fixed_dictionaries({}, optional={"approximate": st.sampled_from(["none", "tanh"])}),
    "elu": st.fixed_dictionaries({}, optional={"alpha": st.sampled_from([0.5, 1.0, 1.5])}),
}
INIT_OPTIONS = {"uniform": {"low": -0.8, "high": 0.8}, "normal": {"std": 0.5}, "xavier_uniform": {},
                "kaiming_uniform": {}}
OPTIMIZER_OPTIONS = {
    "sgd": st.fixed_dictionaries({}, optional={
        "momentum": st.sampled_from([0.5, 0.9]), "dampening": st.sampled_from([0.0, 0.2]),
        "weight_decay": st.sampled_from([0.0, 0.01])}),
    "adam": st.fixed_dictionaries({}, optional={
        "betas": st.sampled_from([[0.9, 0.999], [0.8, 0.9]]), "eps": st.sampled_from([1e-8, 1e-6]),
        "weight_decay": st.sampled_from([0.0, 0.05]), "amsgrad": st.booleans()}),
    "adamw": st.fixed_dictionaries({}, optional={
        "betas": st.sampled_from([[0.9, 0.999], [0.8, 0.9]]), "weight_decay": st.sampled_from([0.0, 0.1]),
        "amsgrad": st.booleans()}),
    "rmsprop": st.fixed_dictionaries({}, optional={
        "alpha": st.sampled_from([0.9, 0.99]), "momentum": st.sampled_from([0.0, 0.5]),
        "centered": st.booleans(), "weight_decay": st.sampled_from([0.0, 0.01])}),
    "adagrad": st.fixed_dictionaries({}, optional={
        "lr_decay": st.sampled_from([0.0, 0.01]), "initial_accumulator_value": st.sampled_from([0.0, 0.1]),
        "weight_decay": st.sampled_from([0.0, 0.01])}),
}


FAILURES = Path(".hypothesis") / "failing-cases"


def rounded(array: np.ndarray) -> list:
    return np.round(array, 3).tolist()


@st.composite
def random_case(draw: st.DrawFn) -> dict:
    loss = draw(st.sampled_from(list(LOSSES)))
    depth = draw(st.integers(1, 4))
    inputs = draw(st.integers(1, 16))
    widths = [draw(st.integers(1, 16)) for _ in range(depth)]
    if loss == "cross_entropy":
        widths[-1] = max(widths[-1], 2)
    last_choices = LOSS_LAST_ACTIVATION.get(loss, list(ACTIVATIONS))
    layers = []
    for i, units in enumerate(widths):
        activation = draw(st.sampled_from(last_choices if i == depth - 1 else HIDDEN))
        layer = {"units": units, "activation": activation}
        if activation in ACTIVATION_OPTIONS:
            layer.update(draw(ACTIVATION_OPTIONS[activation]))
        if draw(st.booleans()):
            layer["bias"] = False
        layers.append(layer)

    rows = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(0, 1.5, (rows, inputs))
    outputs = widths[-1]
    if loss in ("bce", "bce_with_logits"):
        targets = rounded(rng.uniform(0, 1, (rows, outputs)))
    elif loss == "cross_entropy" and draw(st.booleans()):
        targets = rng.integers(0, outputs, rows).tolist()
    elif loss == "cross_entropy":
        targets = rounded(rng.dirichlet(np.ones(outputs), rows))
    else:
        targets = rounded(rng.normal(0, 1, (rows, outputs)))

    optimizer = draw(st.sampled_from(list(OPTIMIZER_OPTIONS)))
    training = {"optimizer": optimizer, "learning_rate": draw(st.sampled_from([0.001, 0.01, 0.1])),
                **draw(OPTIMIZER_OPTIONS[optimizer])}
    batch_size = draw(st.integers(0, rows))
    if draw(st.booleans()):
        training["steps"] = draw(st.integers(1, 6))
    else:
        training["epochs"] = draw(st.integers(1, 2))
    training["batch_size"] = batch_size
    if draw(st.booleans()):
        training["shuffle_seed"] = draw(st.integers(0, 1000))

    scheme = draw(st.sampled_from(list(INIT_SCHEMES)))
    return {
        "name": "hypothesis-case",
        "title": "random network found by hypothesis",
        "dtype": draw(st.sampled_from(["float64", "float32"])),
        "model": {"inputs": inputs, "init": {"seed": draw(st.integers(0, 1000)), "scheme": scheme, **INIT_OPTIONS[scheme]},
                  "layers": layers},
        "data": {"inputs": rounded(x), "targets": targets},
        "loss": {"name": loss, **({"delta": 0.7} if loss == "huber" and draw(st.booleans()) else {})},
        "training": training,
    }


@given(random_case())
def test_random_network_agrees_with_oracle(raw: dict) -> None:
    text = tomli_w.dumps(raw)
    case = loads_case(text, "hypothesis-case.toml")
    oracle_steps = oracle.run(case)
    witnesses = {"reference": reference.run(case), "tape": reference.run(case, mode="tape")}
    if case.dtype == "float32":
        forward = ("pre_activation", "activation", "output")
        oracle_steps = [only(oracle_steps[0], lambda quantity: quantity in forward)]
    elif case.optimizer != "sgd":
        oracle_steps = [only(oracle_steps[0], lambda quantity: quantity not in ("param", *STATE))]
    # Training that diverges to inf in torch too says nothing about the engines; non-finite
    # values never compare equal, so such an example is discarded, not passed.
    assume(all(np.isfinite(v).all() for step in oracle_steps for v in step.values.values()))
    comparison = compare_runs(case, oracle_steps, witnesses)
    if comparison.first:
        saved = FAILURES / "hypothesis-case.toml"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(text, encoding="utf-8")
        raise AssertionError(f"{agreement_message(comparison)}\n\nThe case is saved as {saved}; "
                             f"reproduce it with `python -m report {saved}`. Its text:\n\n{text}")


def only(step: Step, keep) -> Step:
    """The step with only the quantities `keep` accepts (the comparison walks the oracle's)."""
    return Step(step.batch, {item: value for item, value in step.values.items() if keep(item[0])})
