"""The words a case file may use, and the options each word accepts.

Options are spelled as torch spells them. A case lists only the options it wants to change;
the defaults are each engine's own (the reference writes torch's defaults in its function
signatures, the oracle lets torch apply them), so a wrong default in the reference is caught —
provided some case leaves the option out (a test checks that one does, for every option).
"""

from cases.layer_types import NUMBER

# activation name -> {option: accepted Python types}
ACTIVATIONS: dict[str, dict[str, tuple[type, ...]]] = {
    "identity": {},
    "relu": {},
    "leaky_relu": {"negative_slope": NUMBER},
    "sigmoid": {},
    "tanh": {},
    "softplus": {"beta": NUMBER, "threshold": NUMBER},
    "gelu": {"approximate": (str,)},
    "elu": {"alpha": NUMBER},
    "softmax": {},
}
GELU_APPROXIMATIONS = ("none", "tanh")

# Layer types are declared in cases/layer_types.py (LAYER_TYPES: options, parameters, what their
# building blocks take); every layer also takes `activation` (default identity except for dense,
# where it is required).
# [model] mode: "train" (batch norm on batch statistics, dropout on) or "eval", as model.train()/.eval()
MODES = ("train", "eval")

# loss name -> {option: types}
LOSSES: dict[str, dict[str, tuple[type, ...]]] = {
    "sse": {},
    "half_sse": {},
    "mse": {},
    "mae": {},
    "huber": {"delta": NUMBER},
    "bce": {},
    "bce_with_logits": {},
    "cross_entropy": {},
}
# Losses whose reduction is a sum over the batch (and the outputs); the others take a mean.
SUMMED = frozenset({"sse", "half_sse"})
# Losses whose terms ℓ are one per row (B,), and whose targets may be class indices (B,): cross-entropy
# sums each row's classes inside its term. The others have a term per element, (B, K).
PER_ROW = frozenset({"cross_entropy"})
# Losses that take the last layer's pre-activation z (logits) instead of its output a; they fold
# the last activation (identity, or softmax for cross_entropy) into their gradient. Written only here.
ON_LOGITS = frozenset({"bce_with_logits", "cross_entropy"})
# losses that need a particular last-layer activation
LOSS_LAST_ACTIVATION: dict[str, tuple[str, ...]] = {
    "bce": ("sigmoid",),
    "bce_with_logits": ("identity",),
    "cross_entropy": ("softmax", "identity"),
}

# optimizer name -> {option: types}; learning_rate is common to all
OPTIMIZERS: dict[str, dict[str, tuple[type, ...]]] = {
    "sgd": {"momentum": NUMBER, "dampening": NUMBER, "nesterov": (bool,), "weight_decay": NUMBER},
    "adam": {"betas": (list,), "eps": NUMBER, "weight_decay": NUMBER, "amsgrad": (bool,)},
    "adamw": {"betas": (list,), "eps": NUMBER, "weight_decay": NUMBER, "amsgrad": (bool,)},
    "rmsprop": {"alpha": NUMBER, "eps": NUMBER, "weight_decay": NUMBER, "momentum": NUMBER, "centered": (bool,)},
    "adagrad": {"lr_decay": NUMBER, "weight_decay": NUMBER, "initial_accumulator_value": NUMBER, "eps": NUMBER},
}

# [model.init]: scheme -> its options and their defaults
INIT_SCHEMES: dict[str, dict[str, float]] = {
    "uniform": {"low": 0.0, "high": 1.0},
    "normal": {"mean": 0.0, "std": 1.0},
    "xavier_uniform": {"gain": 1.0},
    "kaiming_uniform": {"a": 0.0},
}

DTYPES = ("float64", "float32")

# Graph cases (cases/graph.py): operation -> (number of arguments, {option: types}). Each engine
# writes the operation with its own library (the reference's tape, torch's functions).
GRAPH_OPERATIONS: dict[str, tuple[int, dict[str, tuple[type, ...]]]] = {
    "add": (2, {}), "sub": (2, {}), "mul": (2, {}), "div": (2, {}), "max": (2, {}), "min": (2, {}),
    "dot": (2, {}), "matmul": (2, {}),
    "neg": (1, {}), "pow": (1, {"exponent": NUMBER}), "exp": (1, {}), "log": (1, {}), "sqrt": (1, {}),
    "abs": (1, {}), "tanh": (1, {}), "sigmoid": (1, {}), "relu": (1, {}), "sum": (1, {}), "mean": (1, {}),
}
