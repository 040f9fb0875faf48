"""Each typed layer's forward and backward (reference/layers.py) against the torch module people use,
on random batches, with every option; the corners written down in the docstrings; the tape's new
primitives against finite differences; and the loader's one-line refusals."""

import numpy as np
import pytest
import torch
from torch import nn

from cases import CaseError, loads_case
from reference import layers, tape
from reference.tape import Tape
from report.verify.tolerances import ENGINES_AGREE

ABS, REL = ENGINES_AGREE["float64"]
RNG = np.random.default_rng(13)


def close(ours: np.ndarray, torch_value: torch.Tensor) -> None:
    theirs = torch_value.detach().numpy()
    assert ours.shape == theirs.shape
    assert np.max(np.abs(ours - theirs), initial=0.0) <= ABS + REL * np.max(np.abs(theirs), initial=0.0)


def leaf(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, requires_grad=True)


CONV_OPTIONS = [{}, {"stride": 2}, {"padding": 1}, {"padding": [2, 0], "stride": [1, 2]}, {"dilation": 2},
                {"stride": 2, "padding": 1, "dilation": [2, 1]}]


@pytest.mark.parametrize("options", CONV_OPTIONS, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_nn_conv2d(options: dict, bias: bool) -> None:
    x = RNG.normal(size=(2, 3, 7, 6))
    module = nn.Conv2d(3, 4, (3, 2), bias=bias, dtype=torch.float64,
                       **{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    weight = module.weight.detach().numpy().copy()
    bias_value = module.bias.detach().numpy().copy() if bias else None
    x_t = leaf(x)
    z_t = module(x_t)
    grad_out = RNG.normal(size=z_t.shape)
    z_t.backward(torch.tensor(grad_out))
    close(layers.conv2d_forward(x, weight, bias_value, **options), z_t)
    grad_x, grad_weight, grad_bias = layers.conv2d_backward(grad_out, x, weight, **options)
    close(grad_x, x_t.grad)
    close(grad_weight, module.weight.grad)
    if bias:
        close(grad_bias, module.bias.grad)


def test_conv2d_equals_its_definition_written_as_loops() -> None:
    """z[b, o, h, w] = bias[o] + Σ_{c,i,j} weight[o, c, i, j] · xp[b, c, h·s + i·d, w·s + j·d], loop by loop."""
    x, weight, bias = RNG.normal(size=(2, 2, 5, 6)), RNG.normal(size=(3, 2, 2, 3)), RNG.normal(size=3)
    stride, padding, dilation = 2, 1, 2
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    z = layers.conv2d_forward(x, weight, bias, stride, padding, dilation)
    for b, o, h, w in np.ndindex(*z.shape):
        total = bias[o]
        for c, i, j in np.ndindex(*weight.shape[1:]):
            total += weight[o, c, i, j] * xp[b, c, h * stride + i * dilation, w * stride + j * dilation]
        assert z[b, o, h, w] == pytest.approx(total, abs=1e-12)


@pytest.mark.parametrize("options", [{}, {"stride": 2}, {"padding": 2}, {"dilation": 2, "stride": 3, "padding": 1},
                                     {"stride": [2]}], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_matches_nn_conv1d(options: dict, bias: bool) -> None:
    x = RNG.normal(size=(2, 3, 11))
    module = nn.Conv1d(3, 4, 3, bias=bias, dtype=torch.float64,
                       **{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    weight = module.weight.detach().numpy().copy()
    bias_value = module.bias.detach().numpy().copy() if bias else None
    x_t = leaf(x)
    z_t = module(x_t)
    grad_out = RNG.normal(size=z_t.shape)
    z_t.backward(torch.tensor(grad_out))
    close(layers.conv1d_forward(x, weight, bias_value, **options), z_t)
    grad_x, grad_weight, grad_bias = layers.conv1d_backward(grad_out, x, weight, **options)
    close(grad_x, x_t.grad)
    close(grad_weight, module.weight.grad)
    if bias:
        close(grad_bias, module.bias.grad)


POOL_OPTIONS = [(2, {}), (3, {"stride": 1}), (3, {"stride": 2, "padding": 1}), ([2, 3], {"stride": [1, 2]})]


@pytest.mark.parametrize(("kernel", "options"), POOL_OPTIONS, ids=str)
def test_max_pool2d_matches_nn_max_pool2d_ties_included(kernel, options: dict) -> None:
    x = RNG.integers(0, 3, size=(2, 2, 6, 7)).astype(np.float64)  # small integers: ties everywhere
    module = nn.MaxPool2d(tuple(kernel) if isinstance(kernel, list) else kernel,
                          **{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    x_t = leaf(x)
    y_t = module(x_t)
    grad_out = RNG.normal(size=y_t.shape)
    y_t.backward(torch.tensor(grad_out))
    close(layers.max_pool2d_forward(x, kernel, **options), y_t)
    close(layers.max_pool2d_backward(grad_out, x, kernel, **options), x_t.grad)


def test_max_pool2d_sends_a_tied_window_to_its_first_element() -> None:
    x = np.ones((1, 1, 2, 2))
    grad_x = layers.max_pool2d_backward(np.array([[[[5.0]]]]), x, 2)
    assert grad_x.tolist() == [[[[5.0, 0.0], [0.0, 0.0]]]]


@pytest.mark.parametrize(("kernel", "options"), [*POOL_OPTIONS, (3, {"padding": 1, "count_include_pad": False})],
                         ids=str)
def test_avg_pool2d_matches_nn_avg_pool2d(kernel, options: dict) -> None:
    x = RNG.normal(size=(2, 2, 6, 7))
    module = nn.AvgPool2d(tuple(kernel) if isinstance(kernel, list) else kernel,
                          **{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    x_t = leaf(x)
    y_t = module(x_t)
    grad_out = RNG.normal(size=y_t.shape)
    y_t.backward(torch.tensor(grad_out))
    close(layers.avg_pool2d_forward(x, kernel, **options), y_t)
    close(layers.avg_pool2d_backward(grad_out, x, kernel, **options), x_t.grad)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 3)], ids=["1d", "2d"])
@pytest.mark.parametrize("options", [{}, {"momentum": 0.4, "eps": 1e-3}, {"affine": False}], ids=str)
def test_batch_norm_matches_nn_batch_norm_in_training_and_evaluation(shape: tuple, options: dict) -> None:
    x, grad_out = RNG.normal(size=shape), RNG.normal(size=shape)
    module = (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(3, dtype=torch.float64, **options)
    affine = options.get("affine", True)
    if affine:
        with torch.no_grad():
            module.weight.copy_(torch.tensor(RNG.normal(size=3)))
            module.bias.copy_(torch.tensor(RNG.normal(size=3)))
    weight = module.weight.detach().numpy().copy() if affine else None
    bias = module.bias.detach().numpy().copy() if affine else None
    running = {"running_mean": RNG.normal(size=3), "running_var": RNG.uniform(0.5, 2, size=3)}
    with torch.no_grad():
        module.running_mean.copy_(torch.tensor(running["running_mean"]))
        module.running_var.copy_(torch.tensor(running["running_var"]))
    eps = {"eps": options["eps"]} if "eps" in options else {}
    momentum = {"momentum": options["momentum"]} if "momentum" in options else {}
    for training in (True, False):
        module.train(training)
        x_t = leaf(x)
        y_t = module(x_t)
        y_t.backward(torch.tensor(grad_out))
        close(layers.batch_norm_forward(x, weight, bias, *running.values(), training, **eps), y_t)
        grad_x, grad_weight, grad_bias = layers.batch_norm_backward(grad_out, x, weight, bias, *running.values(),
                                                                    training, **eps)
        close(grad_x, x_t.grad)
        if affine:
            close(grad_weight, module.weight.grad)
            close(grad_bias, module.bias.grad)
            module.weight.grad = module.bias.grad = None
        if training:  # torch updated its running statistics in this pass
            new_mean, new_var = layers.batch_norm_running(x, *running.values(), **momentum)
            close(new_mean, module.running_mean)
            close(new_var, module.running_var)
            running = {"running_mean": new_mean, "running_var": new_var}


@pytest.mark.parametrize(("shape", "normalized"), [((4, 5), (5,)), ((3, 2, 4), (2, 4)), ((3, 2, 4), (4,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_nn_layer_norm(shape: tuple, normalized: tuple, affine: bool) -> None:
    x, grad_out = RNG.normal(size=shape), RNG.normal(size=shape)
    module = nn.LayerNorm(normalized, elementwise_affine=affine, dtype=torch.float64)
    weight = bias = None
    if affine:
        weight, bias = RNG.normal(size=normalized), RNG.normal(size=normalized)
        with torch.no_grad():
            module.weight.copy_(torch.tensor(weight))
            module.bias.copy_(torch.tensor(bias))
    x_t = leaf(x)
    y_t = module(x_t)
    y_t.backward(torch.tensor(grad_out))
    close(layers.layer_norm_forward(x, weight, bias, normalized), y_t)
    grad_x, grad_weight, grad_bias = layers.layer_norm_backward(grad_out, x, weight, bias, normalized)
    close(grad_x, x_t.grad)
    if affine:
        close(grad_weight, module.weight.grad)
        close(grad_bias, module.bias.grad)


def test_embedding_sums_the_gradient_of_a_repeated_index_and_leaves_unused_rows_zero() -> None:
    indices = np.array([[1, 2, 1], [0, 1, 3]])
    module = nn.Embedding(5, 2, dtype=torch.float64)
    weight = module.weight.detach().numpy().copy()
    y_t = module(torch.tensor(indices))
    grad_out = RNG.normal(size=y_t.shape)
    y_t.backward(torch.tensor(grad_out))
    close(layers.embedding_forward(indices, weight), y_t)
    grad_weight = layers.embedding_backward(grad_out, indices, weight)
    close(grad_weight, module.weight.grad)
    assert np.allclose(grad_weight[1], grad_out[0, 0] + grad_out[0, 2] + grad_out[1, 1])
    assert not grad_weight[4].any()


def test_dropout_keeps_where_the_draws_reach_p_and_scales_by_one_over_one_minus_p() -> None:
    x, draws = np.ones((2, 3)), np.array([[0.1, 0.5, 0.9], [0.49, 0.51, 0.0]])
    assert layers.dropout_forward(x, draws, p=0.5).tolist() == [[0, 2, 2], [0, 2, 0]]
    assert layers.dropout_backward(x, x, draws, p=0.5).tolist() == [[0, 2, 2], [0, 2, 0]]
    assert layers.dropout_forward(x, draws, p=0.5, training=False).tolist() == x.tolist()


# ---- the tape's primitives for the layers, each against central differences ------------------

def numerical_gradient(function, value: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(value)
    for index in np.ndindex(*value.shape):
        moved = value.copy()
        moved[index] += h
        up = function(moved)
        moved[index] -= 2 * h
        grad[index] = (up - function(moved)) / (2 * h)
    return grad


PRIMITIVES = {
    "reshape": lambda v: tape.reshape(v, (3, -1)),
    "permute": lambda v: tape.permute(v, (2, 0, 3, 1)),
    "pad": lambda v: tape.pad(v, (1, 2), 0.0),
    "take": lambda v: tape.take(v, np.array([[0, 5, 5], [23, 0, 7]])),  # element 5 and 0 picked twice
    "max_first": lambda v: tape.max_first(v),
    "total over axes": lambda v: tape.total(v, (0, 2), keepdims=True),
}


@pytest.mark.parametrize("name", PRIMITIVES)
def test_tape_primitive_for_layers_matches_central_differences(name: str) -> None:
    value = RNG.normal(size=(2, 3, 2, 2))
    weights = None

    def loss_of(array: np.ndarray) -> tuple[float, np.ndarray | None]:
        nonlocal weights
        t = Tape()
        leaf_value = t.variable(array)
        out = PRIMITIVES[name](leaf_value)
        if weights is None:
            weights = RNG.normal(size=out.data.shape)
        loss = tape.total(out * weights)
        return float(loss.data), (t, leaf_value, loss)

    _, (t, leaf_value, loss) = loss_of(value)
    t.backward(loss)
    expected = numerical_gradient(lambda a: loss_of(a)[0], value)
    assert np.allclose(leaf_value.grad, expected, atol=1e-8)


# ---- the case file --------------------------------------------------------------------------

def case_text(layers_toml: str, inputs: str = "[1, 4, 4]", data: str = "", mode: str = "") -> str:
    data = data or "inputs = [[" + ", ".join(["0.5"] * 16) + "], [" + ", ".join(["-0.5"] * 8 + ["1.0"] * 8) + "]]"
    return f"""
name = "typed"
[model]
inputs = {inputs}
{mode}
[model.init]
seed = 1
scheme = "uniform"
{layers_toml}
[data]
{data}
targets = [0, 1]
[loss]
name = "cross_entropy"
[training]
optimizer = "sgd"
steps = 1
"""


DENSE_OUT = '[[model.layers]]\nunits = 2\nactivation = "identity"\n'
RNN_AFTER_IMAGE = '[[model.layers]]\ntype = "lstm"\nhidden_size = 2\n'
MALFORMED = [
    (RNN_AFTER_IMAGE + '[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT, "model.layers[0].type",
     "lstm takes a sequence (T, D) per sample; it receives 1×4×4"),
    ('[[model.layers]]\ntype = "conv2D"\nout_channels = 1\nkernel_size = 2\n[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT,
     "model.layers[0].type", "did you mean 'conv2d'"),
    (DENSE_OUT, "model.layers[0].type", "put a flatten layer before it"),
    ('[[model.layers]]\ntype = "conv2d"\nout_channels = 1\nkernel_size = 5\n[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT,
     "model.layers[0].kernel_size", "does not fit in 4×4"),
    ('[[model.layers]]\ntype = "conv2d"\nkernel_size = 2\n', "model.layers[0].out_channels", "missing"),
    ('[[model.layers]]\ntype = "max_pool2d"\nkernel_size = 2\npadding = 2\n', "model.layers[0].padding",
     "at most half the kernel"),
    ('[[model.layers]]\ntype = "flatten"\nweight = [1.0]\n' + DENSE_OUT, "model.layers[0].weight", "unknown key"),
    ('[[model.layers]]\ntype = "flatten"\n[[model.layers]]\ntype = "dropout"\np = 1.0\n' + DENSE_OUT,
     "model.layers[1].p", "0 ≤ p < 1"),
    ('[[model.layers]]\ntype = "flatten"\n[[model.layers]]\ntype = "layer_norm"\nnormalized_shape = 3\n' + DENSE_OUT,
     "model.layers[1].normalized_shape", "the last sizes of the input 16"),
    ('[[model.layers]]\ntype = "flatten"\n[[model.layers]]\ntype = "embedding"\nnum_embeddings = 3\nembedding_dim = 2\n'
     + DENSE_OUT, "model.layers[1].type", "must be the first layer"),
    ('[[model.layers]]\ntype = "batch_norm"\naffine = false\nweight = [1.0]\n[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT,
     "model.layers[0].weight", "affine = false"),
    ('[[model.layers]]\ntype = "batch_norm"\nrunning_var = [-1.0]\n[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT,
     "model.layers[0].running_var", "variances ≥ 0"),
    ('[[model.layers]]\ntype = "conv2d"\nout_channels = 1\nkernel_size = 2\n', "model.layers[0]",
     "end with a flatten layer and a dense layer"),
]


@pytest.mark.parametrize(("layers_toml", "field", "fragment"), MALFORMED, ids=[m[1] + " " + m[2] for m in MALFORMED])
def test_a_malformed_typed_layer_gets_one_line_naming_the_field(layers_toml: str, field: str, fragment: str) -> None:
    with pytest.raises(CaseError) as raised:
        loads_case(case_text(layers_toml), "typed.toml")
    message = str(raised.value)
    assert f"typed.toml: {field}: " in message and fragment in message, message
    assert "Traceback" not in message and "\n" not in message


def test_embedding_indices_outside_the_table_are_refused_with_the_row() -> None:
    layers_toml = ('[[model.layers]]\ntype = "embedding"\nnum_embeddings = 3\nembedding_dim = 2\n'
                   '[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT)
    with pytest.raises(CaseError, match=r"data.inputs: row 1, position 0: expected an index 0 to 2 into the embedding, got 3"):
        loads_case(case_text(layers_toml, "2", "inputs = [[0, 2], [3, 1]]"), "typed.toml")


def test_batch_norm_in_training_mode_refuses_a_batch_of_one_row() -> None:
    text = case_text('[[model.layers]]\ntype = "flatten"\n[[model.layers]]\ntype = "batch_norm"\n' + DENSE_OUT)
    with pytest.raises(CaseError, match=r"training.batch_size: layer 1 \(batch_norm, training mode\) sees a batch of one row"):
        loads_case(text.replace("steps = 1", "steps = 1\nbatch_size = 1"), "typed.toml")
    evaluation = case_text('[[model.layers]]\ntype = "flatten"\n[[model.layers]]\ntype = "batch_norm"\n' + DENSE_OUT,
                           mode='mode = "eval"')
    assert loads_case(evaluation.replace("steps = 1", "steps = 1\nbatch_size = 1"), "typed.toml").training is False


def test_image_rows_may_be_nested_or_flat_and_mean_the_same() -> None:
    flat = loads_case(case_text('[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT), "typed.toml")
    nested_rows = [np.asarray(row).reshape(1, 4, 4).tolist() for row in flat.x.reshape(2, -1)]
    nested = loads_case(case_text('[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT, data=f"inputs = {nested_rows}"),
                        "typed.toml")
    assert flat.x.shape == nested.x.shape == (2, 1, 4, 4) and np.array_equal(flat.x, nested.x)


def test_a_case_that_freezes_every_parameter_runs_in_every_engine() -> None:
    """A published backward pass has no update: all frozen, torch.optim gets no parameters."""
    import oracle
    import reference
    text = case_text('[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT).replace(
        "steps = 1", 'steps = 1\nfreeze = ["layers.1.weight", "layers.1.bias"]')
    case = loads_case(text, "typed.toml")
    torch_steps, ours = oracle.run(case), reference.run(case)
    assert np.array_equal(torch_steps[1].get("param", "layers.1.weight"), case.parameters()["layers.1.weight"])
    assert np.allclose(ours[1].get("grad", "layers.1.weight"), torch_steps[1].get("grad", "layers.1.weight"))


# ---- recurrent layers ----------------------------------------------------------------------------

RECURRENT_SETTINGS = [("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}), ("gru", {})]


@pytest.mark.parametrize(("kind", "options"), RECURRENT_SETTINGS, ids=str)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("output", ["all", "last"])
def test_recurrent_layer_matches_torch_through_time(kind: str, options: dict, bias: bool, output: str) -> None:
    from reference import recurrent
    rows, steps, inputs, hidden = 3, 4, 2, 5
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](inputs, hidden, batch_first=True, bias=bias,
                                                                  dtype=torch.float64, **options)
    x, h0, c0 = RNG.normal(size=(rows, steps, inputs)), RNG.normal(size=(rows, hidden)), RNG.normal(size=(rows, hidden))
    x_t = leaf(x)
    state = (torch.tensor(h0[None]), torch.tensor(c0[None])) if kind == "lstm" else torch.tensor(h0[None])
    every, _ = module(x_t, state)
    z_t = every if output == "all" else every[:, -1]
    grad_out = RNG.normal(size=z_t.shape)
    z_t.backward(torch.tensor(grad_out))
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    params = [getattr(module, name).detach().numpy() if bias or name.startswith("weight") else None for name in names]
    arguments = [*params, h0, *([c0] if kind == "lstm" else [])]
    close(getattr(recurrent, f"{kind}_forward")(x, *arguments, output=output, **options), z_t)
    grads = getattr(recurrent, f"{kind}_backward")(grad_out, x, *arguments, output=output, **options)
    close(grads[0], x_t.grad)
    for name, grad in zip(names, grads[1:], strict=True):
        if bias or name.startswith("weight"):
            close(grad, getattr(module, name).grad)
        else:
            assert grad is None


def test_tape_part_and_stack_send_each_slice_its_gradient() -> None:
    t = Tape()
    value = t.variable(RNG.normal(size=(2, 3, 4)))
    pieces = [tape.part(value, (slice(None), k)) for k in (2, 0, 2)]  # slice 2 used twice
    out = tape.total(tape.stack(pieces, axis=1) * np.arange(24.0).reshape(2, 3, 4))
    t.backward(out)
    weights = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(value.grad[:, 0], weights[:, 1])
    assert np.array_equal(value.grad[:, 1], np.zeros((2, 4)))
    assert np.array_equal(value.grad[:, 2], weights[:, 0] + weights[:, 2])


SEQUENCE_MALFORMED = [
    ('hidden_size = 2\noutput = "first"\n', "model.layers[0].output", "expected one of all, last"),
    ('hidden_size = 2\nh0 = [1.0]\n', "model.layers[0].h0", "expected 2 (hidden_size), got 1"),
    ('hidden_size = 2\nnonlinearity = "sigmoid"\n', "model.layers[0].nonlinearity", "expected one of tanh, relu"),
    ('hidden_size = 2\nbias_ih_l0 = false\n', "model.layers[0].bias_ih_l0", "bias = false on the layer"),
    ('hidden_size = 0\n', "model.layers[0].hidden_size", "expected an integer ≥ 1"),
]


@pytest.mark.parametrize(("settings", "field", "fragment"), SEQUENCE_MALFORMED, ids=[m[1] for m in SEQUENCE_MALFORMED])
def test_a_malformed_recurrent_layer_gets_one_line_naming_the_field(settings: str, field: str, fragment: str) -> None:
    layers_toml = ('[[model.layers]]\ntype = "rnn"\n' + settings + '[[model.layers]]\ntype = "flatten"\n' + DENSE_OUT)
    with pytest.raises(CaseError) as raised:
        loads_case(case_text(layers_toml, "[3, 2]", "inputs = [[[1, 2], [3, 4], [5, 6]], [[0, 1], [1, 0], [0, 0]]]"),
                   "typed.toml")
    message = str(raised.value)
    assert f"typed.toml: {field}: " in message and fragment in message, message


def test_evaluate_last_runs_the_last_recorded_step_in_evaluation_mode() -> None:
    import oracle
    import reference
    text = case_text('[[model.layers]]\ntype = "flatten"\n[[model.layers]]\ntype = "batch_norm"\n' + DENSE_OUT)
    trained = loads_case(text.replace("steps = 1", "steps = 2\nevaluate_last = true"), "typed.toml")
    assert [trained.training_at(t) for t in range(3)] == [True, True, False]
    ours, torch_steps = reference.run(trained), oracle.run(trained)
    # in evaluation mode the pass leaves the running statistics as step 2 found them, and normalises with them
    assert np.allclose(ours[2].get("pre_activation", "layers.1"), torch_steps[2].get("pre_activation", "layers.1"))
    mean, var = ours[2].get("buffer", "layers.1.running_mean"), ours[2].get("buffer", "layers.1.running_var")
    x = ours[2].get("pre_activation", "layers.0")
    weight, bias = ours[2].get("param", "layers.1.weight"), ours[2].get("param", "layers.1.bias")
    assert np.allclose(ours[2].get("pre_activation", "layers.1"), weight * (x - mean) / np.sqrt(var + 1e-5) + bias)
    with pytest.raises(CaseError, match=r"training.evaluate_last: expected true or false"):
        loads_case(text.replace("steps = 1", 'steps = 1\nevaluate_last = "yes"'), "typed.toml")
