"""Size limits, checked by the loader before anything is allocated.

Each guards the machine against a typo (`units = 1000000000`, `steps = 10**9`); a case that is
large on purpose raises the limit in its own file, e.g.

    [limits]
    parameters = 50_000_000
"""

from typing import Any

from cases.errors import Invalid
from cases.fields import Fields

LIMITS: dict[str, tuple[int, str]] = {
    "parameters": (10_000_000, "numbers in the model's parameters"),
    "steps": (1_000_000, "updates"),
    "rows_times_steps": (100_000_000, "rows processed over the run (batch rows × steps)"),
    "activations": (50_000_000, "numbers in one step's activations (batch rows × units over all layers)"),
    "recorded_numbers": (2_000_000_000, "numbers recorded over the run by each engine"),
    "data_numbers": (200_000_000, "numbers in the data (rows × columns)"),
    "data_file_mb": (2_000, "megabytes of a data file"),
    "nodes": (50_000, "nodes in a graph"),  # a chain of 20,000 runs in about 8 s here, in linear time
    # measured on 2 cores: about 12·10⁹ multiply-adds a second through the engines' convolutions, so the
    # default is some 7 minutes of arithmetic; half of the machine class's 24 GB, two cases running at once
    "multiply_adds": (5 * 10**12, "estimated multiply-adds of the whole run (every engine, every step, finite differences)"),
    "memory_mb": (12_000, "estimated megabytes held at once by one step of every engine"),
}


def read_limits(fields: Fields, raw: dict[str, Any]) -> dict[str, int]:
    """The case's [limits] over the defaults."""
    limits = {name: default for name, (default, _) in LIMITS.items()}
    table = fields.part(fields.table, raw, "limits", "limits", False)
    if table:
        fields.keys(table, "limits", LIMITS)
        for name in LIMITS:
            if name in table:
                value = fields.part(fields.integer, table, name, f"limits.{name}", 1)
                if value is not None:
                    limits[name] = value
    return limits


def check(limits: dict[str, int], name: str, value: int, field: str) -> None:
    """Raise `Invalid` when `value` exceeds the limit `name`."""
    if value > limits[name]:
        raise Invalid(field, f"{value:,} {LIMITS[name][1]} exceed the limit of {limits[name]:,}; "
                             f"if this is meant, raise it in the case file: [limits] {name} = {value}")


# The whole run's work, estimated before anything runs. Each engine (torch, the reference, its tape,
# the reference on its own trajectory) makes a forward pass and a backward pass of about twice its
# cost at every step — ENGINES = 4 engines × 3 passes, the tape's bookkeeping counted as one more —
# and finite differences make four forward passes for each checked element (at most SAMPLE per array)
# and each array's direction. Held at once: each engine's step (its values and gradients), the
# tape's records and the temporaries of the products: HELD numbers per number of the forward pass
# (its outputs and a convolution's windows), 8 bytes each. Measured above the 420 MB that torch and
# the libraries take: conv2d 64 → 64 on 16×16, 8 rows, 380 MB (estimate 350) and with a 5×5 kernel
# 550 MB (estimate 640), 3.7 s and 8.9 s for 5.3·10¹⁰ and 1.1·10¹¹ estimated multiply-adds.
ENGINES = 15
HELD = 40
SAMPLE = 64


def estimated_work(rows: int, steps: int, madds: int, held: int, arrays: list[int]) -> tuple[int, int]:
    """(multiply-adds of the run, megabytes held at once) for `madds` multiply-adds and `held` numbers
    per sample's forward pass, `rows` per step, `steps` updates, parameter arrays of `arrays` sizes."""
    differences = 4 * (sum(min(size, SAMPLE) + 1 for size in arrays) + rows) * rows * madds
    return ENGINES * rows * madds * (steps + 1) + differences, HELD * 8 * rows * held // 1_000_000
