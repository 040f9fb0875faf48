"""Random case files over the whole vocabulary, for property tests and measurements.

`random_case()` is a hypothesis strategy (hypothesis comes with the test extra) drawing the raw
TOML table of a case: depth 1–4, widths 1–16, batches 1–8 rows, every activation, loss,
optimizer and batch mode, float64 and float32, every option sometimes left to its default.
"""

import numpy as np
from hypothesis import strategies as st

from cases.vocabulary import ACTIVATIONS, INIT_SCHEMES, LOSS_LAST_ACTIVATION, LOSSES

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
