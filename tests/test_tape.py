"""The tape on its own: accumulation where values are reused, random graphs against torch
autograd, and the dot-product (adjoint) check ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ for every operation."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from reference import composites as c
from reference import tape as t
from reference.tape import Tape


def test_value_feeding_three_operations_collects_gradient_from_each() -> None:
    tape = Tape()
    x = tape.variable(np.array([0.5, -1.0, 2.0]), "x")
    f = t.total(x * x + 3.0 * x + t.exp(x))
    tape.backward(f)
    np.testing.assert_allclose(x.grad, 2 * x.data + 3 + np.exp(x.data), rtol=1e-15)


def test_assignment_instead_of_accumulation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def assign(variable: t.Variable, grad: np.ndarray) -> None:
        variable.grad = grad.copy()

    monkeypatch.setattr(t, "accumulate", assign)
    tape = Tape()
    x = tape.variable(np.array([0.5, -1.0, 2.0]), "x")
    tape.backward(t.total(x * x + 3.0 * x + t.exp(x)))
    assert not np.allclose(x.grad, 2 * x.data + 3 + np.exp(x.data))


def test_weight_used_in_two_layers_matches_torch() -> None:
    rng = np.random.default_rng(0)
    x_value, w_value, b_value = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    tape = Tape()
    x, w, b = tape.variable(x_value), tape.variable(w_value), tape.variable(b_value)
    hidden = c.tanh(x @ w.T + b)
    out = t.total(c.sigmoid(hidden @ w.T + b) * hidden)  # w and b in both layers; hidden used twice
    tape.backward(out)

    xt, wt, bt = (torch.tensor(v, requires_grad=True) for v in (x_value, w_value, b_value))
    hidden_t = torch.tanh(xt @ wt.T + bt)
    (torch.sigmoid(hidden_t @ wt.T + bt) * hidden_t).sum().backward()
    for ours, theirs in [(x, xt), (w, wt), (b, bt)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


# ---- random expression graphs with reuse, against torch autograd ----------------------------

UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "square": (lambda a: a**2, lambda a: a**2),
    "exp": (lambda a: t.exp(0.3 * a), lambda a: torch.exp(0.3 * a)),
    "log": (lambda a: t.log(a * a + 1.0), lambda a: torch.log(a * a + 1.0)),
    "sigmoid": (c.sigmoid, torch.sigmoid),
    "relu": (c.relu, torch.relu),
    "tanh": (c.tanh, torch.tanh),
    "abs": (t.absolute, torch.abs),
    "softmax": (c.softmax, lambda a: torch.softmax(a, dim=1)),
    "log_softmax": (c.log_softmax, lambda a: torch.log_softmax(a, dim=1)),
    "erf": (t.erf, torch.erf),
    "sqrt": (lambda a: t.sqrt(a * a + 0.5), lambda a: torch.sqrt(a * a + 0.5)),
    "expm1": (lambda a: t.expm1(0.3 * a), lambda a: torch.expm1(0.3 * a)),
    "elu": (lambda a: c.elu(a, 0.7), lambda a: torch.nn.functional.elu(a, 0.7)),
    "softplus": (lambda a: c.softplus(a, 2.0, 1.0), lambda a: torch.nn.functional.softplus(a, 2.0, 1.0)),
    "leaky_relu": (lambda a: c.leaky_relu(a, 0.2), lambda a: torch.nn.functional.leaky_relu(a, 0.2)),
    "gelu": (lambda a: c.gelu(a, "none"), lambda a: torch.nn.functional.gelu(a)),
    "gelu_tanh": (lambda a: c.gelu(a, "tanh"), lambda a: torch.nn.functional.gelu(a, approximate="tanh")),
    "row_sum": (lambda a: t.total(a, axis=1, keepdims=True) * a, lambda a: a.sum(dim=1, keepdim=True) * a),
    "rsub": (lambda a: 1.0 - a, lambda a: 1.0 - a),
    "rdiv": (lambda a: 1.0 / (a * a + 1.0), lambda a: 1.0 / (a * a + 1.0)),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "matmul": (lambda a, b: (a @ b.T) @ b, lambda a, b: (a @ b.T) @ b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "max": (t.maximum, torch.maximum),
    "min": (t.minimum, torch.minimum),
}


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list, int]:
    """A program: each instruction applies an operation to earlier values (reuse is common)."""
    program = []
    count = 3  # three leaves: two (3, 4) matrices and a (1, 4) row that broadcasts
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            program.append(("unary", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, count - 1))))
        else:
            program.append(("binary", draw(st.sampled_from(sorted(BINARY))),
                            draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))))
        count += 1
    return program, draw(st.integers(0, 2**32 - 1))


def evaluate(program: list, leaves: list, table: int) -> object:
    values = list(leaves)
    for instruction in program:
        if instruction[0] == "unary":
            values.append(UNARY[instruction[1]][table](values[instruction[2]]))
        else:
            values.append(BINARY[instruction[1]][table](values[instruction[2]], values[instruction[3]]))
    return values


@given(graphs())
def test_random_graph_with_reuse_matches_torch_autograd(graph: tuple[list, int]) -> None:
    program, seed = graph
    rng = np.random.default_rng(seed)
    data = [rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(1, 4))]

    tape = Tape()
    leaves = [tape.variable(d) for d in data]
    values = evaluate(program, leaves, 0)
    weights = [rng.normal(size=v.data.shape) for v in values]  # every value reaches the output
    out = t.total(leaves[0] * tape.constant(weights[0]))
    for value, weight in zip(values[1:], weights[1:], strict=True):
        out = out + t.total(value * tape.constant(weight))
    tape.backward(out)

    torch_leaves = [torch.tensor(d, requires_grad=True) for d in data]
    torch_values = evaluate(program, torch_leaves, 1)
    torch_out = sum((v * torch.tensor(w)).sum() for v, w in zip(torch_values, weights, strict=True))
    assume(np.isfinite(torch_out.item()))  # exp of exp can overflow: such a graph tests nothing
    torch_out.backward()
    for ours, theirs in zip(leaves, torch_leaves, strict=True):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12, equal_nan=False)


# ---- the dot-product check -----------------------------------------------------------------

BCE_TARGETS = np.array([[0.0, 1.0, 0.3, 0.8]] * 3)
OPERATIONS = {
    "binary_cross_entropy": (lambda p: t.binary_cross_entropy(p, BCE_TARGETS, -100.0, 1e-12), [(3, 4)]),
    "div (broadcast)": (lambda a, b: t.div(a, b), [(3, 4), (1, 4)]),
    "expm1": (lambda a: t.expm1(a), [(3, 4)]),
    "sqrt": (lambda a: t.sqrt(a), [(3, 4)]),
    "max (broadcast)": (lambda a, b: t.maximum(a, b), [(3, 4), (1, 4)]),
    "min": (lambda a, b: t.minimum(a, b), [(3, 4), (3, 4)]),
    "sum over rows": (lambda a: t.total(a, axis=1), [(3, 4)]),
    "sum over rows, kept": (lambda a: t.total(a, axis=1, keepdims=True), [(3, 4)]),
    "matmul (vector)": (lambda a, b: t.matmul(a, b), [(3, 4), (4,)]),
    "dot": (lambda a, b: t.matmul(a, b), [(4,), (4,)]),
    "matmul": (lambda a, b: t.matmul(a, b), [(3, 4), (4, 2)]),
    "transpose": (lambda a: t.transpose(a), [(3, 4)]),
    "add (broadcast)": (lambda a, b: t.add(a, b), [(3, 4), (4,)]),
    "sub": (lambda a, b: t.sub(a, b), [(3, 4), (3, 4)]),
    "mul (broadcast)": (lambda a, b: t.mul(a, b), [(3, 4), (1, 4)]),
    "neg": (lambda a: t.neg(a), [(3, 4)]),
    "pow": (lambda a: t.power(a, 3.0), [(3, 4)]),
    "exp": (lambda a: t.exp(a), [(3, 4)]),
    "log": (lambda a: t.log(a), [(3, 4)]),
    "abs": (lambda a: t.absolute(a), [(3, 4)]),
    "where": (lambda a, b: t.where(a.data > 0, a, b), [(3, 4), (1, 4)]),
    "sum": (lambda a: t.total(a), [(3, 4)]),
    "mean": (lambda a: t.mean(a), [(3, 4)]),
    "erf": (lambda a: t.erf(a), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_backward_is_the_adjoint_of_the_forward(name: str) -> None:
    """⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩: Jᵀ·u from the tape's backward, J·v from central differences."""
    operation, shapes = OPERATIONS[name]
    rng = np.random.default_rng(11)
    inputs = [rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape) for shape in shapes]
    if name in ("log", "sqrt"):
        inputs = [np.abs(x) for x in inputs]
    if name == "binary_cross_entropy":
        inputs = [rng.uniform(0.1, 0.9, size=shape) for shape in shapes]
    tangents = [rng.normal(size=shape) for shape in shapes]

    tape = Tape()
    leaves = [tape.variable(value) for value in inputs]
    out = operation(*leaves)
    u = rng.normal(size=out.data.shape)
    transposed = tape.records[-1].backward(u)  # Jᵀ·u for each input

    def f(values: list[np.ndarray]) -> np.ndarray:
        return operation(*[Tape().variable(value) for value in values]).data

    eps = 1e-6
    jv = (f([x + eps * v for x, v in zip(inputs, tangents, strict=True)])
          - f([x - eps * v for x, v in zip(inputs, tangents, strict=True)])) / (2 * eps)
    left = float(np.sum(u * jv))
    right = float(sum(np.sum(jt_u * v) for jt_u, v in zip(transposed, tangents, strict=True)))
    assert left == pytest.approx(right, rel=1e-7, abs=1e-9), f"{name}: ⟨u, Jv⟩ = {left}, ⟨Jᵀu, v⟩ = {right}"
