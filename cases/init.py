"""Seeded initial weights for layers that leave them out ([model.init]).

Generated here, once, from NumPy's seeded generator, so that both engines start from identical
arrays. The bounds follow torch.nn.init's formulas (a test checks them against torch's own):

    xavier_uniform:  U(−b, b),  b = gain · √(6 / (fan_in + fan_out))
    kaiming_uniform: U(−b, b),  b = √(2 / (1 + a²)) · √(3 / fan_in)      (fan_in mode, leaky_relu gain)
    bias (xavier, kaiming): U(−1/√fan_in, 1/√fan_in), as torch.nn.Linear initialises it
    uniform, normal: weights and biases from U(low, high) or N(mean, std²)

Layers draw in order, input side first, weight before bias.
"""

import math
from typing import Any

import numpy as np

from cases.errors import Invalid
from cases.fields import Fields
from cases.vocabulary import INIT_SCHEMES


def read_init(fields: Fields, init: Any) -> dict[str, Any]:
    field = "model.init"
    if not isinstance(init, dict):
        raise Invalid(field, "expected a table")
    scheme = fields.choice(init, "scheme", f"{field}.scheme", INIT_SCHEMES, what="scheme")
    fields.keys(init, field, ["seed", "scheme", "zero_bias", *INIT_SCHEMES[scheme]])
    settings: dict[str, Any] = {
        "seed": fields.integer(init, "seed", f"{field}.seed", 0),
        "scheme": scheme,
        "zero_bias": fields.value(init, "zero_bias", f"{field}.zero_bias", (bool,), False),
    }
    for key, default in INIT_SCHEMES[scheme].items():
        settings[key] = fields.number(init, key, f"{field}.{key}", default)
    if scheme == "uniform" and settings["low"] >= settings["high"]:
        raise Invalid(f"{field}.high", f"expected a number above low = {settings['low']:g}")
    if scheme == "normal" and settings["std"] < 0:
        raise Invalid(f"{field}.std", "expected a number ≥ 0")
    return settings


def initial_weight(init: dict[str, Any], generator: np.random.Generator, units: int, fan_in: int,
                   shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A weight of `shape` (default units × fan_in), its bound from fan_in and units (the fan-out)."""
    shape = shape or (units, fan_in)
    scheme = init["scheme"]
    if scheme == "uniform":
        return generator.uniform(init["low"], init["high"], shape)
    if scheme == "normal":
        return generator.normal(init["mean"], init["std"], shape)
    bound = weight_bound(init, units, fan_in)
    return generator.uniform(-bound, bound, shape)


def weight_bound(init: dict[str, Any], units: int, fan_in: int) -> float:
    if init["scheme"] == "xavier_uniform":
        return init["gain"] * math.sqrt(6.0 / (fan_in + units))
    return math.sqrt(2.0 / (1 + init["a"] ** 2)) * math.sqrt(3.0 / fan_in)


def initial_bias(init: dict[str, Any], generator: np.random.Generator, units: int, fan_in: int) -> np.ndarray:
    if init["zero_bias"]:
        return np.zeros(units)
    if init["scheme"] == "uniform":
        return generator.uniform(init["low"], init["high"], units)
    if init["scheme"] == "normal":
        return generator.normal(init["mean"], init["std"], units)
    bound = 1.0 / math.sqrt(fan_in)
    return generator.uniform(-bound, bound, units)
