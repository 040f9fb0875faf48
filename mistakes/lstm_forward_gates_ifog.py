"""The LSTM's gates read in the order i, f, o, g, as several textbooks write them; torch stacks i, f, g, o."""

import numpy as np


def lstm_forward(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, h0, c0, output="all"):
    h, c, states = h0, c0, []
    for t in range(x.shape[1]):
        a = x[:, t] @ weight_ih_l0.T + h @ weight_hh_l0.T
        if bias_ih_l0 is not None:
            a = a + bias_ih_l0 + bias_hh_l0
        a_i, a_f, a_o, a_g = np.split(a, 4, axis=1)
        i, f, g, o = 1 / (1 + np.exp(-a_i)), 1 / (1 + np.exp(-a_f)), np.tanh(a_g), 1 / (1 + np.exp(-a_o))
        c = f * c + i * g
        h = o * np.tanh(c)
        states.append(h)
    hidden = np.stack(states, axis=1)
    return hidden if output == "all" else hidden[:, -1]
