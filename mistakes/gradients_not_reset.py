"""Gradients accumulated from one step to the next: never reset to zero (torch's zero_grad forgotten)."""

from reference.network import forward_backward as one_pass

_previous: dict = {}


def forward_backward(case, params, x, y):
    result = one_pass(case, params, x, y)
    for name, grad in result.grads.items():
        _previous[name] = _previous.get(name, 0) + grad
        result.grads[name] = _previous[name]
    return result
