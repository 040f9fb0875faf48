"""The words a case file may use, and the options each word accepts.

Options are spelled as torch spells them. A case lists only the options it wants to change;
the defaults are each engine's own (the reference writes torch's defaults in its function
signatures, the oracle lets torch apply them), so a wrong default in the reference is caught.
"""

# activation name -> {option: accepted Python types}
ACTIVATIONS: dict[str, dict[str, tuple[type, ...]]] = {
    "identity": {},
    "relu": {},
    "leaky_relu": {"negative_slope": (float, int)},
    "sigmoid": {},
    "tanh": {},
    "softplus": {"beta": (float, int), "threshold": (float, int)},
    "gelu": {"approximate": (str,)},
    "elu": {"alpha": (float, int)},
    "softmax": {},
}
GELU_APPROXIMATIONS = ("none", "tanh")

# loss name -> {option: types}
LOSSES: dict[str, dict[str, tuple[type, ...]]] = {
    "sse": {},
    "half_sse": {},
    "mse": {},
    "mae": {},
    "huber": {"delta": (float, int)},
    "bce": {},
    "bce_with_logits": {},
    "cross_entropy": {},
}
# losses that need a particular last-layer activation
LOSS_LAST_ACTIVATION: dict[str, tuple[str, ...]] = {
    "bce": ("sigmoid",),
    "bce_with_logits": ("identity",),
    "cross_entropy": ("softmax", "identity"),
}

# optimizer name -> {option: types}; learning_rate is common to all
OPTIMIZERS: dict[str, dict[str, tuple[type, ...]]] = {
    "sgd": {
        "momentum": (float, int),
        "dampening": (float, int),
        "nesterov": (bool,),
        "weight_decay": (float, int),
    },
    "adam": {
        "betas": (list,),
        "eps": (float, int),
        "weight_decay": (float, int),
        "amsgrad": (bool,),
    },
    "adamw": {
        "betas": (list,),
        "eps": (float, int),
        "weight_decay": (float, int),
        "amsgrad": (bool,),
    },
    "rmsprop": {
        "alpha": (float, int),
        "eps": (float, int),
        "weight_decay": (float, int),
        "momentum": (float, int),
        "centered": (bool,),
    },
    "adagrad": {
        "lr_decay": (float, int),
        "weight_decay": (float, int),
        "initial_accumulator_value": (float, int),
        "eps": (float, int),
    },
}

INIT_SCHEMES = ("uniform", "normal", "xavier_uniform", "kaiming_uniform")

QUANTITIES = ("loss", "output", "grad", "param", "input_grad", "activation", "pre_activation")
DTYPES = ("float64", "float32")
