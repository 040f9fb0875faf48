"""Recurrent layers over a sequence, one layer, batch first, as torch's nn.RNN, nn.LSTM and nn.GRU. NumPy only.

x is (B, T, D): B sequences of T steps of D numbers. Parameters carry torch's names and layout:
weight_ih_l0 (G·H, D), weight_hh_l0 (G·H, H), bias_ih_l0 and bias_hh_l0 (G·H,) or None, with the G
gates stacked in torch's order — rnn: one; lstm: input i, forget f, cell g, output o; gru: reset r,
update z, new n. h0 (and the LSTM's c0) is the state before the first step, (B, H).

The layer's z is every step's hidden state (B, T, H) with output = "all", or the last one (B, H)
with output = "last" (ours: which of torch's outputs feeds the next layer).

Backward through time: the forward pass is run again keeping every step's gates and states, then
the steps are walked from the last to the first. At each step the gradient reaching h_t is the
part from the output (if the step's h is part of z) plus the part sent back from step t + 1
(grad_h), and for the LSTM the same for c_t (grad_c). Each weight's gradient is the sum over the
steps, since one matrix is used at every step.
"""

import numpy as np

from reference.activations import sigmoid_forward


def _split(gates: np.ndarray, count: int) -> list[np.ndarray]:
    """(B, count·H) -> count arrays (B, H), in torch's stacking order."""
    return np.split(gates, count, axis=1)


def _affine(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    return x @ weight.T if bias is None else x @ weight.T + bias


def _selected(hidden: np.ndarray, output: str) -> np.ndarray:
    return hidden if output == "all" else hidden[:, -1]


def _grad_hidden(grad_out: np.ndarray, shape: tuple[int, ...], output: str) -> np.ndarray:
    """∂L/∂h_t for every t from the output alone: grad_out, or grad_out at the last step and 0 before."""
    if output == "all":
        return grad_out
    grad = np.zeros(shape, grad_out.dtype)
    grad[:, -1] = grad_out
    return grad


def _bias_grads(grad_ih: np.ndarray | None, grad_hh: np.ndarray | None, bias_ih: np.ndarray | None):
    return (grad_ih, grad_hh) if bias_ih is not None else (None, None)


# ---- rnn ---------------------------------------------------------------------------------------

def _rnn_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, nonlinearity):
    states = [h0]
    for t in range(x.shape[1]):
        a = _affine(x[:, t], weight_ih_l0, bias_ih_l0) + _affine(states[-1], weight_hh_l0, bias_hh_l0)
        states.append(np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0))
    return states  # h0, h1, …, hT


def rnn_forward(x: np.ndarray, weight_ih_l0: np.ndarray, weight_hh_l0: np.ndarray, bias_ih_l0: np.ndarray | None,
                bias_hh_l0: np.ndarray | None, h0: np.ndarray, nonlinearity: str = "tanh", output: str = "all"
                ) -> np.ndarray:
    """h_t = f(x_t @ weight_ih.T + bias_ih + h_{t−1} @ weight_hh.T + bias_hh),   f = tanh or relu."""
    states = _rnn_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, nonlinearity)
    return _selected(np.stack(states[1:], axis=1), output)


def rnn_backward(grad_out, x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, nonlinearity="tanh",
                 output="all"):
    """From the last step to the first, with grad_h = ∂L/∂h_t (from the output and from step t + 1):

    grad_a        = grad_h · f'(a_t)             f' = 1 − h_t² (tanh), [h_t > 0] (relu)
    grad_x_t      = grad_a @ weight_ih                                              (B, D)
    grad_h_{t−1}  = grad_a @ weight_hh            (sent back to the step before)
    grad_weight_ih += grad_a.T @ x_t;   grad_weight_hh += grad_a.T @ h_{t−1}
    grad_bias_ih  += Σ_batch grad_a;    grad_bias_hh  += Σ_batch grad_a
    Returns (grad_x, grad_weight_ih_l0, grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0).
    """
    states = _rnn_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, nonlinearity)
    from_output = _grad_hidden(grad_out, (*x.shape[:2], h0.shape[1]), output)
    grad_x = np.zeros_like(x)
    grad_weight_ih, grad_weight_hh = np.zeros_like(weight_ih_l0), np.zeros_like(weight_hh_l0)
    grad_bias = np.zeros(weight_ih_l0.shape[0], x.dtype)
    grad_h = np.zeros_like(h0)
    for t in range(x.shape[1] - 1, -1, -1):
        h = states[t + 1]
        grad_h = grad_h + from_output[:, t]
        grad_a = grad_h * (1 - h**2) if nonlinearity == "tanh" else grad_h * (h > 0)
        grad_x[:, t] = grad_a @ weight_ih_l0
        grad_weight_ih += grad_a.T @ x[:, t]
        grad_weight_hh += grad_a.T @ states[t]
        grad_bias += grad_a.sum(axis=0)
        grad_h = grad_a @ weight_hh_l0
    return (grad_x, grad_weight_ih, grad_weight_hh, *_bias_grads(grad_bias, grad_bias.copy(), bias_ih_l0))


# ---- lstm --------------------------------------------------------------------------------------

def _lstm_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, c0):
    """Every step's gates (i, f, g, o) and states (h, c), h0 and c0 first."""
    hs, cs, gates = [h0], [c0], []
    for t in range(x.shape[1]):
        a = _affine(x[:, t], weight_ih_l0, bias_ih_l0) + _affine(hs[-1], weight_hh_l0, bias_hh_l0)
        a_i, a_f, a_g, a_o = _split(a, 4)
        i, f, g, o = sigmoid_forward(a_i), sigmoid_forward(a_f), np.tanh(a_g), sigmoid_forward(a_o)
        cs.append(f * cs[-1] + i * g)
        hs.append(o * np.tanh(cs[-1]))
        gates.append((i, f, g, o))
    return hs, cs, gates


def lstm_forward(x: np.ndarray, weight_ih_l0: np.ndarray, weight_hh_l0: np.ndarray, bias_ih_l0: np.ndarray | None,
                 bias_hh_l0: np.ndarray | None, h0: np.ndarray, c0: np.ndarray, output: str = "all") -> np.ndarray:
    """i, f, g, o = σ, σ, tanh, σ of (x_t @ weight_ih.T + bias_ih + h_{t−1} @ weight_hh.T + bias_hh), split in four;
    c_t = f · c_{t−1} + i · g;   h_t = o · tanh(c_t)."""
    hs, _, _ = _lstm_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, c0)
    return _selected(np.stack(hs[1:], axis=1), output)


def lstm_backward(grad_out, x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, c0, output="all"):
    """From the last step to the first, grad_h and grad_c reaching step t from the output and from t + 1:

    grad_o = grad_h · tanh(c_t)                     grad_c += grad_h · o · (1 − tanh²(c_t))
    grad_i = grad_c · g;   grad_g = grad_c · i;   grad_f = grad_c · c_{t−1};   grad_c_{t−1} = grad_c · f
    grad_a = [grad_i · i(1 − i), grad_f · f(1 − f), grad_g · (1 − g²), grad_o · o(1 − o)]   (B, 4H)
    grad_x_t = grad_a @ weight_ih;   grad_h_{t−1} = grad_a @ weight_hh
    grad_weight_ih += grad_a.T @ x_t;   grad_weight_hh += grad_a.T @ h_{t−1};   biases += Σ_batch grad_a
    Returns (grad_x, grad_weight_ih_l0, grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0).
    """
    hs, cs, gates = _lstm_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, c0)
    from_output = _grad_hidden(grad_out, (*x.shape[:2], h0.shape[1]), output)
    grad_x = np.zeros_like(x)
    grad_weight_ih, grad_weight_hh = np.zeros_like(weight_ih_l0), np.zeros_like(weight_hh_l0)
    grad_bias = np.zeros(weight_ih_l0.shape[0], x.dtype)
    grad_h, grad_c = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(x.shape[1] - 1, -1, -1):
        i, f, g, o = gates[t]
        tanh_c = np.tanh(cs[t + 1])
        grad_h = grad_h + from_output[:, t]
        grad_o = grad_h * tanh_c
        grad_c = grad_c + grad_h * o * (1 - tanh_c**2)
        grad_i, grad_g, grad_f = grad_c * g, grad_c * i, grad_c * cs[t]
        grad_a = np.concatenate([grad_i * i * (1 - i), grad_f * f * (1 - f), grad_g * (1 - g**2),
                                 grad_o * o * (1 - o)], axis=1)
        grad_x[:, t] = grad_a @ weight_ih_l0
        grad_weight_ih += grad_a.T @ x[:, t]
        grad_weight_hh += grad_a.T @ hs[t]
        grad_bias += grad_a.sum(axis=0)
        grad_h, grad_c = grad_a @ weight_hh_l0, grad_c * f
    return (grad_x, grad_weight_ih, grad_weight_hh, *_bias_grads(grad_bias, grad_bias.copy(), bias_ih_l0))


# ---- gru ---------------------------------------------------------------------------------------

def _gru_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0):
    """Every step's (r, z, n, the hidden part of n's input) and the states, h0 first."""
    hs, gates = [h0], []
    for t in range(x.shape[1]):
        input_r, input_z, input_n = _split(_affine(x[:, t], weight_ih_l0, bias_ih_l0), 3)
        hidden_r, hidden_z, hidden_n = _split(_affine(hs[-1], weight_hh_l0, bias_hh_l0), 3)
        r, z = sigmoid_forward(input_r + hidden_r), sigmoid_forward(input_z + hidden_z)
        n = np.tanh(input_n + r * hidden_n)
        hs.append((1 - z) * n + z * hs[-1])
        gates.append((r, z, n, hidden_n))
    return hs, gates


def gru_forward(x: np.ndarray, weight_ih_l0: np.ndarray, weight_hh_l0: np.ndarray, bias_ih_l0: np.ndarray | None,
                bias_hh_l0: np.ndarray | None, h0: np.ndarray, output: str = "all") -> np.ndarray:
    """r = σ(x W_ir + b_ir + h W_hr + b_hr);  z = σ(x W_iz + b_iz + h W_hz + b_hz);
    n = tanh(x W_in + b_in + r · (h W_hn + b_hn));  h_t = (1 − z) · n + z · h_{t−1}   (torch's GRU: r
    multiplies the hidden part of n's input, bias included)."""
    hs, _ = _gru_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0)
    return _selected(np.stack(hs[1:], axis=1), output)


def gru_backward(grad_out, x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, output="all"):
    """From the last step to the first, grad_h reaching step t from the output and from t + 1:

    grad_n = grad_h · (1 − z);   grad_z = grad_h · (h_{t−1} − n);   grad_h_{t−1} = grad_h · z + …
    grad_input_n = grad_n · (1 − n²);   grad_hidden_n = grad_input_n · r;   grad_r = grad_input_n · hidden_n
    grad_input  = [grad_r · r(1 − r), grad_z · z(1 − z), grad_input_n]     (B, 3H), for x's weights
    grad_hidden = [grad_r · r(1 − r), grad_z · z(1 − z), grad_hidden_n]    (B, 3H), for h's weights
    grad_x_t = grad_input @ weight_ih;   grad_h_{t−1} = grad_h · z + grad_hidden @ weight_hh
    grad_weight_ih += grad_input.T @ x_t;   grad_weight_hh += grad_hidden.T @ h_{t−1}
    grad_bias_ih += Σ_batch grad_input;      grad_bias_hh += Σ_batch grad_hidden
    Returns (grad_x, grad_weight_ih_l0, grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0).
    """
    hs, gates = _gru_steps(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0)
    from_output = _grad_hidden(grad_out, (*x.shape[:2], h0.shape[1]), output)
    grad_x = np.zeros_like(x)
    grad_weight_ih, grad_weight_hh = np.zeros_like(weight_ih_l0), np.zeros_like(weight_hh_l0)
    grad_bias_ih = np.zeros(weight_ih_l0.shape[0], x.dtype)
    grad_bias_hh = np.zeros(weight_hh_l0.shape[0], x.dtype)
    grad_h = np.zeros_like(h0)
    for t in range(x.shape[1] - 1, -1, -1):
        r, z, n, hidden_n = gates[t]
        grad_h = grad_h + from_output[:, t]
        grad_n, grad_z = grad_h * (1 - z), grad_h * (hs[t] - n)
        grad_input_n = grad_n * (1 - n**2)
        grad_r = grad_input_n * hidden_n
        gate_grads = [grad_r * r * (1 - r), grad_z * z * (1 - z)]
        grad_input = np.concatenate([*gate_grads, grad_input_n], axis=1)
        grad_hidden = np.concatenate([*gate_grads, grad_input_n * r], axis=1)
        grad_x[:, t] = grad_input @ weight_ih_l0
        grad_weight_ih += grad_input.T @ x[:, t]
        grad_weight_hh += grad_hidden.T @ hs[t]
        grad_bias_ih += grad_input.sum(axis=0)
        grad_bias_hh += grad_hidden.sum(axis=0)
        grad_h = grad_h * z + grad_hidden @ weight_hh_l0
    return (grad_x, grad_weight_ih, grad_weight_hh, *_bias_grads(grad_bias_ih, grad_bias_hh, bias_ih_l0))
