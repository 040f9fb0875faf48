"""The case as a torch.nn model, trained as PyTorch users train: torch only, never the reference.

nn.Linear (and nn.Conv2d, nn.MaxPool2d, nn.BatchNorm1d/2d, nn.LayerNorm, nn.Embedding, …) with the
case's weights, torch's own activation modules and loss modules,
loss.backward() for the gradients and torch.optim for the updates. Options the case leaves out
are left out here too, so torch applies its own defaults. δ = ∂L/∂z and ∂L/∂a are read from
autograd with `retain_grad()` on the same tensors the model computes; the unreduced loss is
torch's loss module with reduction='none'; the optimizer's state is read from `optimizer.state`.
"""

import itertools
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import nn

from cases import Case, GraphCase, Step
from cases.case import Layer
from cases.layer_types import LAYER_TYPES
from cases.quantities import pass_quantities
from cases.vocabulary import SUMMED
from oracle import graph
from oracle.arrays import DTYPES, numpy

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
              "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}


def activation_module(name: str, options: dict) -> nn.Module:
    modules = {"identity": nn.Identity, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid,
               "tanh": nn.Tanh, "softplus": nn.Softplus, "gelu": nn.GELU, "elu": nn.ELU}
    if name == "softmax":
        return nn.Softmax(dim=1)
    return modules[name](**options)


class HalfSumOfSquares(nn.Module):
    """½ Σ (ŷ − y)²: half of nn.MSELoss with the given reduction ('sum' or 'none')."""

    def __init__(self, reduction: str) -> None:
        super().__init__()
        self.squares = nn.MSELoss(reduction=reduction)

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.squares(y_hat, y)


def loss_module(name: str, options: dict, reduction: str | None = None) -> nn.Module:
    """torch's loss for the case, with the case's reduction (or `reduction`, e.g. 'none')."""
    summed = name in SUMMED
    reduction = reduction or ("sum" if summed else "mean")
    modules = {
        "sse": lambda: nn.MSELoss(reduction=reduction),
        "half_sse": lambda: HalfSumOfSquares(reduction),
        "mse": lambda: nn.MSELoss(reduction=reduction),
        "mae": lambda: nn.L1Loss(reduction=reduction),
        "huber": lambda: nn.HuberLoss(reduction=reduction, **options),
        "bce": lambda: nn.BCELoss(reduction=reduction),
        "bce_with_logits": lambda: nn.BCEWithLogitsLoss(reduction=reduction),
        "cross_entropy": lambda: nn.CrossEntropyLoss(reduction=reduction),
    }
    return modules[name]()


class GivenDropout(nn.Module):
    """Dropout with the case's mask: y = x · [draws ≥ p] / (1 − p) in training, x in evaluation.

    The one place the oracle does not call a torch module's own forward: nn.Dropout draws its mask
    from torch's generator, which NumPy cannot share, so the mask comes from the case
    (cases.Case.dropout_draws) and is applied with torch operations. p and its default are
    nn.Dropout's own; autograd differentiates the product."""

    def __init__(self, options: dict) -> None:
        super().__init__()
        self.p = nn.Dropout(**{key: value for key, value in options.items() if key == "p"}).p
        self.draws: torch.Tensor | None = None  # set before each forward pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return x * (self.draws >= self.p).to(x.dtype) / (1 - self.p)


def layer_module(layer: Layer, in_shape: tuple[int, ...], dtype: torch.dtype) -> nn.Module:
    """The torch module for one layer of the case, built with the case's options only (MODULES below)."""
    options = {key: tuple(value) if isinstance(value, list) else value for key, value in layer.options.items()}
    return MODULES[layer.type](layer, options, in_shape, dtype)


def recurrent_module(layer: Layer, options: dict, in_shape: tuple[int, ...], dtype: torch.dtype) -> nn.RNNBase:
    """nn.RNN, nn.LSTM or nn.GRU, batch first; our own options (which output, h0, c0) are not torch's."""
    kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[layer.type]
    return kind(in_shape[1], batch_first=True, dtype=dtype,
                **{key: value for key, value in options.items() if key not in ("output", "h0", "c0")})


MODULES: dict[str, Callable[[Layer, dict, tuple[int, ...], torch.dtype], nn.Module]] = {  # layer type -> its module
    "dense": lambda layer, options, in_shape, dtype: nn.Linear(in_shape[0], layer.size, bias=layer.bias is not None,
                                                               dtype=dtype),
    "conv1d": lambda layer, options, in_shape, dtype: nn.Conv1d(in_shape[0], bias=layer.bias is not None, dtype=dtype,
                                                                **options),
    "conv2d": lambda layer, options, in_shape, dtype: nn.Conv2d(in_shape[0], bias=layer.bias is not None, dtype=dtype,
                                                                **options),
    "max_pool2d": lambda layer, options, in_shape, dtype: nn.MaxPool2d(**options),
    "avg_pool2d": lambda layer, options, in_shape, dtype: nn.AvgPool2d(**options),
    "flatten": lambda layer, options, in_shape, dtype: nn.Flatten(),
    "batch_norm": lambda layer, options, in_shape, dtype: (nn.BatchNorm1d if len(in_shape) == 1 else nn.BatchNorm2d)(
        in_shape[0], dtype=dtype, **options),
    "layer_norm": lambda layer, options, in_shape, dtype: nn.LayerNorm(dtype=dtype, **options),
    "embedding": lambda layer, options, in_shape, dtype: nn.Embedding(dtype=dtype, **options),
    "dropout": lambda layer, options, in_shape, dtype: GivenDropout(options),
    "rnn": recurrent_module, "lstm": recurrent_module, "gru": recurrent_module,
}


def initial_states(layer: Layer, dtype: torch.dtype) -> dict:
    """A recurrent layer's h0 (c0) as the case gives them, one row for every sample; absent: torch's zeros."""
    if not LAYER_TYPES[layer.type].recurrent:
        return {}
    given = {name: torch.tensor(layer.options[name], dtype=dtype) for name in ("h0", "c0") if name in layer.options}
    return {"given": given, "output": layer.options.get("output", "all"), "lstm": layer.type == "lstm"}


def recurrent(module: nn.RNNBase, x: torch.Tensor, states: dict) -> torch.Tensor:
    """nn.RNN/LSTM/GRU on (B, T, D), batch first: every step's h (B, T, H), or the last one (B, H)."""
    given, rows = states["given"], len(x)
    hidden = module.hidden_size
    def state(name: str) -> torch.Tensor:
        value = given.get(name, torch.zeros(hidden, dtype=module.weight_ih_l0.dtype))
        return value.expand(1, rows, hidden).contiguous()  # (layers, B, H)
    if given:
        initial = (state("h0"), state("c0")) if states["lstm"] else state("h0")
        output, _ = module(x, initial)
    else:
        output, _ = module(x)
    return output if states["output"] == "all" else output[:, -1]


class Network(nn.Module):
    """The case's layers named layers.0, layers.1, … so parameter and buffer names match the case's."""

    def __init__(self, case: Case) -> None:
        super().__init__()
        dtype = DTYPES[case.dtype]
        self.layers = nn.ModuleList()
        self.activations = nn.ModuleList()
        self.states: list[dict] = []  # a recurrent layer's h0 (and c0) and which output feeds the next layer
        for i, layer in enumerate(case.layers):
            module = layer_module(layer, case.layer_input_shape(i), dtype)
            with torch.no_grad():
                for name, value in [*layer.params.items(), *layer.buffers.items()]:
                    getattr(module, name).copy_(torch.tensor(value))
            self.layers.append(module)
            self.activations.append(activation_module(layer.activation, layer.activation_options))
            self.states.append(initial_states(layer, dtype))
        self.train(case.training)

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every layer's pre-activation z and activation a, each keeping its .grad; the last a is the output."""
        pre_activations, activations = [], []
        for layer, activation, states in zip(self.layers, self.activations, self.states, strict=True):
            z = recurrent(layer, x, states) if isinstance(layer, nn.RNNBase) else layer(x)
            x = activation(z)
            if z.requires_grad:
                z.retain_grad()
                x.retain_grad()
            pre_activations.append(z)
            activations.append(x)
        return pre_activations, activations

    def set_dropout(self, case: Case, step: int, x: torch.Tensor) -> None:
        """Give each dropout layer the case's draws for this step, in the shape of what it will receive."""
        dropouts = [i for i, layer in enumerate(case.layers) if layer.type == "dropout"]
        for i in dropouts:
            shape = (len(x), *case.layer_input_shape(i))
            self.layers[i].draws = torch.tensor(case.dropout_draws(i, step, shape))




def load_state(model: Network, optimizer: torch.optim.Optimizer | None, trained: list, recorded: Step) -> None:
    """The model and optimizer as they were at a recorded step: its parameters and running statistics
    copied in, its optimizer state given to `optimizer.load_state_dict`, as a user resumes training."""
    with torch.no_grad():
        for name, value in [*model.named_parameters(), *model.named_buffers()]:
            found = recorded.values.get(("param", name), recorded.values.get(("buffer", name)))
            if found is not None:
                value.copy_(torch.tensor(found))
    if optimizer is None:
        return
    saved = recorded.optimizer_state()
    state_dict = optimizer.state_dict()
    state_dict["state"] = {
        i: {quantity: torch.tensor(float(value)) if quantity == "step" else torch.tensor(value)
            for quantity, value in saved[name].items()}
        for i, (name, _) in enumerate(trained) if name in saved}
    optimizer.load_state_dict(state_dict)


def steps(case: Case, start: tuple[int, Step] | None = None) -> Iterator[Step]:
    """The recording of step 0, 1, … case.steps with torch (see cases.Step), one at a time.

    `start` = (t, a recording of step t) begins at step t from that recording's parameters, running
    statistics and optimizer state (report/verify/arbiter.py runs float32 steps again in float64 this way)."""
    if isinstance(case, GraphCase):  # a circuit of torch functions (oracle/graph.py)
        yield from graph.steps(case, start)
        return
    model = Network(case)
    criterion = loss_module(case.loss, case.loss_options)
    unreduced = loss_module(case.loss, case.loss_options, reduction="none")
    named = list(model.named_parameters())
    trained = [(name, p) for name, p in named if name not in case.freeze]
    # every parameter frozen (one backward pass, no update): torch.optim refuses an empty list, so no optimizer
    optimizer = OPTIMIZERS[case.optimizer]([p for _, p in trained], **case.optimizer_options) if trained else None
    x_all = torch.tensor(case.x)
    y_all = torch.tensor(case.targets)
    last = len(case.layers) - 1
    buffer_names = set(case.buffers())  # running_mean, running_var (not num_batches_tracked: unused with a momentum)
    layer_parameters = [list(layer.named_parameters()) for layer in model.layers]  # the same tensors at every step

    first = 0
    if start is not None:
        first, recorded = start
        load_state(model, optimizer, trained, recorded)
    for t, batch in itertools.islice(enumerate(case.schedule), first, None):
        index = torch.tensor(batch)
        x = x_all[index].clone()
        if not case.index_inputs:
            x.requires_grad_(True)
        y = y_all[index]
        values = {("param", name): numpy(p) for name, p in named}
        if buffer_names:
            values.update({("buffer", name): numpy(b) for name, b in model.named_buffers() if name in buffer_names})
        if t > 0:
            for name, p in trained:
                values.update({(key, name): numpy(value) if torch.is_tensor(value) else np.asarray(value)
                               for key, value in optimizer.state[p].items()})
        for _, p in named:  # model.zero_grad(set_to_none=True), frozen parameters too: they are not in the optimizer
            p.grad = None

        model.set_dropout(case, t, x)
        if model.training != case.training_at(t):
            model.train(case.training_at(t))
        pre_activations, activations = model(x)
        prediction = pre_activations[-1] if case.on_logits else activations[-1]
        loss = criterion(prediction, y)
        with torch.no_grad():
            terms = unreduced(prediction, y)
        loss.backward()

        # on logits the loss takes the last z: the last a is not on the way to it and has no gradient
        grad_activations = [None if i == last and case.on_logits else numpy(a.grad) for i, a in enumerate(activations)]
        values.update(pass_quantities(
            [numpy(z) for z in pre_activations], [numpy(a) for a in activations], numpy(terms), loss.item(),
            grad_activations, [numpy(z.grad) for z in pre_activations],
            {f"layers.{i}.{name}": numpy(p.grad) for i, named_here in enumerate(layer_parameters) for name, p in named_here},
            None if case.index_inputs else numpy(x.grad)))
        yield Step(batch, values)
        if t < case.steps and optimizer is not None:
            optimizer.step()


def run(case: Case) -> list[Step]:
    """Every step's recording in a list (`steps` one at a time holds one step in memory)."""
    return list(steps(case))


def loss_at(case: Case, params: dict[str, np.ndarray], rows: np.ndarray) -> float:
    """The loss of the batch `rows` with the given parameters (for the nudge and sweep tables)."""
    model = Network(case)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(params[name]))
        x = torch.tensor(case.x[rows])
        model.set_dropout(case, 0, x)
        pre_activations, activations = model(x)
        prediction = pre_activations[-1] if case.on_logits else activations[-1]
        return loss_module(case.loss, case.loss_options)(prediction, torch.tensor(case.targets[rows])).item()
