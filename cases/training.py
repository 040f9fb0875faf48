"""[loss] and [training]: the loss and its options, the optimizer, the steps and the batches."""

from typing import Any

import numpy as np

from cases import limits as size_limits
from cases.case import Layer
from cases.errors import Invalid
from cases.fields import Fields
from cases.model import element
from cases.schedule import Schedule, updates_per_epoch
from cases.vocabulary import LOSS_LAST_ACTIVATION, LOSSES, OPTIMIZERS, PER_ROW


def read_loss(fields: Fields, loss: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = fields.choice(loss, "name", "loss.name", LOSSES, what="loss")
    fields.keys(loss, "loss", ["name", *LOSSES[name]])
    options = {key: fields.typed(loss[key], f"loss.{key}", kinds) for key, kinds in LOSSES[name].items() if key in loss}
    if options.get("delta", 1.0) <= 0:
        raise Invalid("loss.delta", "expected a number > 0")
    return name, options


def check_loss_fits(loss: str, layers: list[Layer]) -> None:
    last = layers[-1].activation
    needed = LOSS_LAST_ACTIVATION.get(loss)
    if needed and last not in needed:
        raise Invalid("loss.name", f"{loss} needs a last layer with activation {' or '.join(needed)}, got {last}")


def check_targets(loss: str, targets: np.ndarray, outputs: int) -> np.ndarray:
    """Targets as the loss needs them: class indices (int64, for cross_entropy) or rows of numbers."""
    if targets.ndim == 1 and loss not in PER_ROW:
        targets = targets.reshape(-1, 1)
    if loss in PER_ROW and targets.ndim == 2 and targets.shape[1] == 1 < outputs:
        targets = targets[:, 0]  # one column of class indices, as a CSV file's label column gives them
    if targets.ndim == 1:
        if not np.all(targets == np.round(targets)) or targets.min() < 0 or targets.max() >= outputs:
            raise Invalid("data.targets", f"expected class indices 0 to {outputs - 1} (or rows of {outputs} probabilities)")
        targets = targets.astype(np.int64)
    elif targets.shape[1] != outputs:
        raise Invalid("data.targets", f"expected rows of {outputs} numbers (units of the last layer), "
                                      f"got rows of {targets.shape[1]}")
    if loss in ("bce", "bce_with_logits") and (targets.min() < 0 or targets.max() > 1):
        raise Invalid("data.targets", f"{loss} expects targets between 0 and 1")
    return targets


def read_training(fields: Fields, training: dict[str, Any], layers: list[Layer] | None, samples: int | None,
                  limits: dict[str, int]) -> tuple[str, dict[str, Any], Schedule | None, frozenset[str]]:
    named = training.get("optimizer")
    known = OPTIMIZERS[named] if isinstance(named, str) and named in OPTIMIZERS else \
        {key: kinds for options in OPTIMIZERS.values() for key, kinds in options.items()}
    fields.keys(training, "training", ["optimizer", "learning_rate", "steps", "epochs", "batch_size",
                                       "shuffle_seed", "freeze", "evaluate_last", *known])
    optimizer = fields.choice(training, "optimizer", "training.optimizer", OPTIMIZERS, what="optimizer")
    option_kinds = OPTIMIZERS[optimizer]
    options: dict[str, Any] = {}
    if "learning_rate" in training:
        options["lr"] = fields.number(training, "learning_rate", "training.learning_rate", above=0)
    for key, kinds in option_kinds.items():
        if key in training:
            value = fields.part(optimizer_option, fields, key, training[key], kinds)
            if value is not None:
                options[key] = value
    if options.get("nesterov") and (options.get("momentum", 0) <= 0 or options.get("dampening", 0) != 0):
        fields.note("training.nesterov", "nesterov needs momentum > 0 and dampening = 0 (as torch.optim.SGD)")

    batch_size = fields.integer(training, "batch_size", "training.batch_size", 0, default=0)
    shuffle_seed = fields.part(fields.integer, training, "shuffle_seed", "training.shuffle_seed", 0, None)
    if ("steps" in training) == ("epochs" in training):
        raise Invalid("training.steps", "expected exactly one of steps (updates) or epochs (passes over the data)")
    schedule = None
    if samples is not None:
        if batch_size > samples:
            raise Invalid("training.batch_size", f"expected 0 (full batch) to {samples} (the number of samples), "
                                                 f"got {batch_size}")
        if "steps" in training:
            steps = fields.integer(training, "steps", "training.steps", 1)
        else:
            steps = fields.integer(training, "epochs", "training.epochs", 1) * updates_per_epoch(samples, batch_size)
        field = "training.steps" if "steps" in training else "training.epochs"
        size_limits.check(limits, "steps", steps, field)
        schedule = Schedule(samples, batch_size, steps, shuffle_seed)
        size_limits.check(limits, "rows_times_steps", (steps + 1) * schedule.size, field)
    freeze = fields.part(read_freeze, fields, training.get("freeze", []), layers) if layers else None
    return optimizer, options, schedule, freeze or frozenset()


def read_freeze(fields: Fields, items: Any, layers: list[Layer]) -> frozenset[str]:
    items = fields.typed(items, "training.freeze", (list,))
    freeze: set[str] = set()
    for i, item in enumerate(items):
        field = f"training.freeze[{i}]"
        param, index = element(fields.typed(item, field, (str,)), field, layers)
        if index is not None:
            raise Invalid(field, f"expected a whole parameter such as \"{param}\", got {item!r}")
        freeze.add(param)
    return frozenset(freeze)


def optimizer_option(fields: Fields, key: str, value: Any, kinds: tuple[type, ...]) -> Any:
    field = f"training.{key}"
    value = fields.typed(value, field, kinds)
    if key == "betas":
        if len(value) != 2 or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1
                                      for b in value):
            raise Invalid(field, f"expected two numbers in [0, 1), got {value!r}")
        return tuple(float(b) for b in value)
    if isinstance(value, float) and value < 0:
        raise Invalid(field, f"expected a number ≥ 0, got {value}")
    if key == "alpha" and value > 1:
        raise Invalid(field, f"expected a number in [0, 1], got {value}")
    return value
