"""Generic checks of parsed TOML values: types, ranges, known keys, rectangular arrays.

A `Fields` object collects every problem of one file. A check raises `Invalid` for a value it
cannot accept; `part()` runs one part of the file (a section, a layer, an expectation) and turns
its `Invalid` into a recorded problem, so that the other parts are still checked and the file's
error lists every problem found.
"""

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from cases.errors import CaseError, Invalid, Reported, did_you_mean, one_of

T = TypeVar("T")
MISSING = object()
MAX_ARRAY_DEPTH = 5  # the deepest array a case holds: data of shape (N, C, H, W) has 4 levels

KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
              list: "a list", dict: "a table"}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "a number"


def kind_names(kinds: tuple[type, ...]) -> str:
    if float in kinds:
        kinds = tuple(kind for kind in kinds if kind is not int)
    return " or ".join(KIND_NAMES[kind] for kind in kinds)


def shown(value: Any) -> str:
    """A value as it may appear in a message: short, and never more than 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


class Fields:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[tuple[str, str]] = []

    def error(self) -> CaseError | None:
        return CaseError(self.path, problems=self.problems) if self.problems else None

    def note(self, field: str, message: str) -> None:
        self.problems.append((field, message))

    def part(self, read: Callable[..., T], *args: Any) -> T | None:
        """`read(*args)`, or None with its problem recorded."""
        try:
            return read(*args)
        except Invalid as problem:
            self.note(problem.field, problem.message)
            return None
        except Reported:
            return None

    # ---- tables and keys ------------------------------------------------------------------

    def keys(self, table: dict[str, Any], field: str, allowed: Iterable[str]) -> None:
        """Record every key of `table` that is not allowed, with the nearest allowed one."""
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                where = f"{field}.{key}" if field else key
                self.note(where, f"unknown key{did_you_mean(key, allowed)} (expected one of: {', '.join(allowed)})")

    def table(self, parent: dict[str, Any], key: str, field: str, required: bool = True) -> dict[str, Any] | None:
        if key not in parent:
            if required:
                raise Invalid(field, "missing table")
            return None
        value = parent[key]
        if not isinstance(value, dict):
            raise Invalid(field, f"expected a table, got {shown(value)}")
        return value

    # ---- single values --------------------------------------------------------------------

    def value(self, table: dict[str, Any], key: str, field: str, kinds: tuple[type, ...],
              default: Any = MISSING) -> Any:
        if key not in table:
            if default is MISSING:
                raise Invalid(field, f"missing; expected {kind_names(kinds)}")
            return default
        return self.typed(table[key], field, kinds)

    @staticmethod
    def typed(value: Any, field: str, kinds: tuple[type, ...]) -> Any:
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise Invalid(field, f"expected {kind_names(kinds)}, got {shown(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise Invalid(field, f"expected a finite number, got {value!r}")
        return float(value) if float in kinds and is_number(value) else value

    def integer(self, table: dict[str, Any], key: str, field: str, minimum: int,
                default: Any = MISSING) -> int:
        value = self.value(table, key, field, (int,), default)
        if value is not None and value < minimum:
            raise Invalid(field, f"expected an integer ≥ {minimum}, got {value}")
        return value

    def number(self, table: dict[str, Any], key: str, field: str, default: Any = MISSING,
               minimum: float | None = None, above: float | None = None) -> float:
        value = self.value(table, key, field, (float, int), default)
        if value is None:
            return value
        if minimum is not None and value < minimum:
            raise Invalid(field, f"expected a number ≥ {minimum:g}, got {value:g}")
        if above is not None and value <= above:
            raise Invalid(field, f"expected a number > {above:g}, got {value:g}")
        return value

    def choice(self, table: dict[str, Any], key: str, field: str, choices: Iterable[str],
               default: Any = MISSING, what: str = "") -> str:
        value = self.value(table, key, field, (str,), default)
        choices = list(choices)
        if value is not default and value not in choices:
            raise Invalid(field, one_of(value, choices, what))
        return value

    # ---- arrays ---------------------------------------------------------------------------

    def array(self, value: Any, field: str, shape: tuple[int, ...] | None = None,
              meaning: str = "") -> np.ndarray:
        """A rectangular nested list of finite numbers as float64, checked against `shape`."""
        found = self.nested_shape(value, field)
        array = np.array(value, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise Invalid(field, f"expected finite numbers, got {array[bad]} at [{','.join(map(str, bad))}]")
        if shape is not None and found != shape:
            raise Invalid(field, f"expected {shape_text(shape)}{f' ({meaning})' if meaning else ''}, "
                                 f"got {shape_text(found)}")
        return array

    @staticmethod
    def nested_shape(value: Any, field: str, depth: int = 0) -> tuple[int, ...]:
        if depth > MAX_ARRAY_DEPTH:
            raise Invalid(field, f"expected numbers nested at most {MAX_ARRAY_DEPTH} lists deep")
        if is_number(value):
            return ()
        if not isinstance(value, list) or not value:
            raise Invalid(field, f"expected a number or a non-empty list of numbers, got {shown(value)}")
        first = Fields.nested_shape(value[0], field, depth + 1)
        for item in value[1:]:
            if Fields.nested_shape(item, field, depth + 1) != first:
                raise Invalid(field, "expected a rectangular list (every row the same length, numbers only)")
        return (len(value), *first)
