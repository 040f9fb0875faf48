"""The case as a torch.nn model, trained as PyTorch users train: torch only, never the reference.

nn.Linear layers with the case's weights, torch's own activation modules and loss functions,
loss.backward() for the gradients and torch.optim for the updates. Options the case leaves out
are left out here too, so torch applies its own defaults.
"""

from collections.abc import Callable

import torch
from torch import nn

from cases import Case, Step

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def activation_module(name: str, options: dict) -> nn.Module:
    modules = {
        "identity": nn.Identity,
        "relu": nn.ReLU,
        "leaky_relu": nn.LeakyReLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "softplus": nn.Softplus,
        "gelu": nn.GELU,
        "elu": nn.ELU,
    }
    if name == "softmax":
        return nn.Softmax(dim=1)
    return modules[name](**options)


def loss_function(name: str, options: dict):
    """torch's loss with the case's reduction; losses in ON_LOGITS receive the last z."""
    if name == "half_sse":
        sum_of_squares = nn.MSELoss(reduction="sum")
        return lambda y_hat, y: 0.5 * sum_of_squares(y_hat, y)
    losses = {
        "sse": lambda: nn.MSELoss(reduction="sum"),
        "mse": lambda: nn.MSELoss(reduction="mean"),
        "mae": lambda: nn.L1Loss(reduction="mean"),
        "huber": lambda: nn.HuberLoss(reduction="mean", **options),
        "bce": lambda: nn.BCELoss(reduction="mean"),
        "bce_with_logits": lambda: nn.BCEWithLogitsLoss(reduction="mean"),
        "cross_entropy": lambda: nn.CrossEntropyLoss(reduction="mean"),
    }
    return losses[name]()


ON_LOGITS = ("bce_with_logits", "cross_entropy")


class Network(nn.Module):
    """Dense layers named layers.0, layers.1, … so parameter names match the case's."""

    def __init__(self, case: Case) -> None:
        super().__init__()
        dtype = DTYPES[case.dtype]
        self.layers = nn.ModuleList()
        self.activations = nn.ModuleList()
        fan_in = case.inputs
        for layer in case.layers:
            linear = nn.Linear(fan_in, layer.units, bias=layer.bias is not None, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.weight))
                if layer.bias is not None:
                    linear.bias.copy_(torch.from_numpy(layer.bias))
            self.layers.append(linear)
            self.activations.append(activation_module(layer.activation, layer.activation_options))
            fan_in = layer.units

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every layer's pre-activation z and activation a; the last a is the output."""
        pre_activations, activations = [], []
        for linear, activation in zip(self.layers, self.activations, strict=True):
            z = linear(x)
            x = activation(z)
            pre_activations.append(z)
            activations.append(x)
        return pre_activations, activations


def run(case: Case, on_step: Callable[[int], None] | None = None) -> list[Step]:
    """Run the case for `case.steps` updates with torch; record steps 0 … steps.

    `on_step(t)` is called after step t is recorded (progress display only).
    """
    model = Network(case)
    criterion = loss_function(case.loss, case.loss_options)
    trained = [p for name, p in model.named_parameters() if name not in case.freeze]
    optimizer_class = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "rmsprop": torch.optim.RMSprop,
        "adagrad": torch.optim.Adagrad,
    }[case.optimizer]
    optimizer = optimizer_class(trained, **case.optimizer_options)
    x_all = torch.from_numpy(case.x)
    y_all = torch.from_numpy(case.targets)

    steps: list[Step] = []
    for t, batch in enumerate(case.batches):
        index = torch.from_numpy(batch)
        x = x_all[index].clone().requires_grad_(True)
        y = y_all[index]
        params = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
        model.zero_grad(set_to_none=True)  # frozen parameters too: they are not in the optimizer

        pre_activations, activations = model(x)
        prediction = pre_activations[-1] if case.loss in ON_LOGITS else activations[-1]
        loss = criterion(prediction, y)
        loss.backward()

        steps.append(Step(
            batch=batch,
            pre_activations=[z.detach().numpy().copy() for z in pre_activations],
            activations=[a.detach().numpy().copy() for a in activations],
            loss=loss.item(),
            grads={name: p.grad.numpy().copy() for name, p in model.named_parameters()},
            params=params,
            input_grad=x.grad.numpy().copy(),
        ))
        if on_step is not None:
            on_step(t)
        if t < case.steps:
            optimizer.step()
    return steps
