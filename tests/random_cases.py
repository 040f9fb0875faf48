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


def _window_output(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@st.composite
def random_typed_case(draw: st.DrawFn) -> dict:
    """A random network of the typed layers: images (C, H, W) through conv2d, pooling and batch norm,
    flattened into dense, layer norm and dropout; or integer indices through an embedding and up to
    two recurrent layers (rnn, lstm, gru). Options
    are sometimes left to torch's defaults, as above."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = draw(st.integers(3, 5))  # batch norm over two rows gives ±1 whatever they are (see layer_norm below)
    layers: list[dict] = []
    if draw(st.booleans()):  # images
        shape = (draw(st.integers(1, 3)), draw(st.integers(3, 7)), draw(st.integers(3, 7)))
        inputs: int | list[int] = list(shape)
        # six decimals, not three: with three, a value equal to the mean of the others recurs, and batch
        # norm puts it exactly on relu's kink in one engine and 1e-16 beside it in another
        x = np.round(rng.normal(0, 1, (rows, *shape)), 6).tolist()
        channels, height, width = shape
        for kind in draw(st.lists(st.sampled_from(["conv2d", "max_pool2d", "avg_pool2d", "batch_norm"]),
                                  min_size=1, max_size=3)):
            layer: dict = {"type": kind}
            if kind == "max_pool2d" and any(earlier["type"].endswith("pool2d") for earlier in layers):
                continue  # see tests/test_random_networks.py: ties that only rounding breaks
            if kind == "batch_norm":
                layer.update(draw(st.fixed_dictionaries({}, optional={
                    "momentum": st.sampled_from([0.1, 0.5]), "eps": st.sampled_from([1e-5, 1e-3]),
                    "affine": st.booleans()})))
                layers.append(layer)
                continue
            kernel = draw(st.integers(1, min(3, height, width)))
            stride = draw(st.integers(1, 2))
            padding = draw(st.integers(0, kernel // 2))
            dilation = draw(st.integers(1, 2)) if kind != "avg_pool2d" else 1
            out = [_window_output(n, kernel, stride, padding, dilation) for n in (height, width)]
            if min(out) < 1:
                continue
            layer.update({"kernel_size": kernel, "stride": stride, "padding": padding})
            if kind != "avg_pool2d" and dilation > 1:
                layer["dilation"] = dilation
            if kind == "avg_pool2d" and draw(st.booleans()):
                layer["count_include_pad"] = False
            if kind == "conv2d":
                channels = draw(st.integers(1, 3))
                layer.update({"out_channels": channels, "activation": draw(st.sampled_from(HIDDEN))})
                if draw(st.booleans()):
                    layer["bias"] = False
            height, width = out
            layers.append(layer)
        layers.append({"type": "flatten"})
        features = channels * height * width
    else:  # indices into an embedding
        length = draw(st.integers(1, 4))
        count = draw(st.integers(max(rows, length), 6))
        inputs = length
        # indices distinct along each row and each column: batch or layer norm over equal values
        # divides their rounding by √eps (and puts relu's kink at the mercy of the last bit)
        x = ((rng.permutation(count)[:rows, None] + np.arange(length)) % count).tolist()
        size = draw(st.integers(1, 3))
        layers.append({"type": "embedding", "num_embeddings": count, "embedding_dim": size})
        features = length * size
        for kind in draw(st.lists(st.sampled_from(["rnn", "lstm", "gru"]), max_size=2)):
            hidden = draw(st.integers(1, 3))
            layer = {"type": kind, "hidden_size": hidden,
                     **draw(st.fixed_dictionaries({}, optional={"bias": st.booleans(), "h0": st.just([0.3] * hidden)}))}
            if kind == "rnn" and draw(st.booleans()):
                layer["nonlinearity"] = "relu"
            layers.append(layer)
            features = length * hidden
        if layers[-1]["type"] in ("rnn", "lstm", "gru") and draw(st.booleans()):
            layers[-1]["output"] = "last"
            features = layers[-1]["hidden_size"]
        else:
            layers.append({"type": "flatten"})
    for kind in draw(st.lists(st.sampled_from(["dense", "layer_norm", "batch_norm", "dropout"]), max_size=3)):
        if kind == "layer_norm" and (features < 3 or layers[-1].get("type") == "layer_norm"):
            continue  # over two numbers x̂ = ±1 whatever they are: no gradient to speak of, only rounding
        if kind == "dense":
            features = draw(st.integers(2, 6))
            layers.append({"units": features, "activation": draw(st.sampled_from(HIDDEN))})
        elif kind == "dropout":
            layers.append({"type": "dropout", "p": draw(st.sampled_from([0.0, 0.3, 0.5])), "seed": draw(st.integers(0, 9))})
        else:
            layers.append({"type": kind, "activation": draw(st.sampled_from(HIDDEN))})
    # A bias feeding a normalisation only shifts what the normalisation subtracts again: its gradient
    # is 0 in exact arithmetic and each engine's rounding (1e-12 measured) cannot be told from a bug
    # by an absolute tolerance. Practitioners drop such a bias (bias=False before batch norm); so do we.
    normalised = [i for i, layer in enumerate(layers) if layer.get("type") in ("batch_norm", "layer_norm")]
    for layer in layers[:max(normalised, default=0)]:
        if layer.get("type", "dense") in ("dense", "conv2d"):
            layer["bias"] = False
    loss = draw(st.sampled_from(["mse", "cross_entropy"]))
    outputs = draw(st.integers(2, 4))
    layers.append({"units": outputs, "activation": "identity"})
    targets = rng.integers(0, outputs, rows).tolist() if loss == "cross_entropy" else \
        rounded(rng.normal(0, 1, (rows, outputs)))
    return {
        "name": "hypothesis-typed-case",
        "title": "random network of typed layers found by hypothesis",
        "dtype": draw(st.sampled_from(["float64", "float32"])),
        "model": {"inputs": inputs, "mode": draw(st.sampled_from(["train", "eval"])),
                  "init": {"seed": draw(st.integers(0, 1000)), "scheme": "uniform", "low": -0.8, "high": 0.8},
                  "layers": layers},
        "data": {"inputs": x, "targets": targets},
        "loss": {"name": loss},
        "training": {"optimizer": "sgd", "learning_rate": draw(st.sampled_from([0.01, 0.1])),
                     "steps": draw(st.integers(1, 4)), **({"momentum": 0.9} if draw(st.booleans()) else {})},
    }
