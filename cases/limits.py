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
