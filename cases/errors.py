"""What an invalid case file is reported as: one line per problem, `file: field: expectation`."""

import difflib
from collections.abc import Iterable


class CaseError(ValueError):
    """A case file that cannot be run, with every problem found in it.

    `str(error)` is one line (problems joined by "; "); `error.lines()` gives one line each.
    """

    def __init__(self, path: str, field: str = "", message: str = "",
                 problems: list[tuple[str, str]] | None = None) -> None:
        self.path = path
        self.problems = problems if problems else [(field, message)]
        super().__init__("; ".join(self.lines()))

    @property
    def field(self) -> str:
        return self.problems[0][0]

    @property
    def message(self) -> str:
        return self.problems[0][1]

    def lines(self) -> list[str]:
        return [f"{self.path}: {field}: {message}" if field else f"{self.path}: {message}"
                for field, message in self.problems]


class Invalid(Exception):
    """One problem at one field; stops reading the part of the file it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class Reported(Exception):
    """Stop reading this part of the file: its problems are already recorded."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """"; did you mean 'tanh'?" for the nearest of `choices`, or "" when none is near."""
    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def one_of(word: str, choices: Iterable[str], what: str = "") -> str:
    """"unknown activation 'tahn'; did you mean 'tanh'? (one of identity, relu, …)"."""
    choices = list(choices)
    hint = did_you_mean(word, choices)
    return f"unknown {what + ' ' if what else ''}{word!r}{hint} (expected one of {', '.join(choices)})"
