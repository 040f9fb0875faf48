"""How numbers and tables read on a page: the precision that tells the story, and nothing more.

A value is printed with `digits` significant digits *at the scale of its array* (the largest
|value| of the same recorded quantity): every number of one array shares its decimal places,
and rounding noise far below that precision — the last bits that differ between machines and
BLAS libraries — prints as 0, so the committed pages are the same on every machine.
"""

import math
from dataclasses import dataclass, field

DIGITS = 6
FORMATS = ("csv", "md", "html", "png")  # what a report can be written as


def decimals(scale: float, digits: int = DIGITS) -> int:
    """Decimal places that give `digits` significant digits to a number of size `scale`."""
    if not math.isfinite(scale) or scale == 0:
        return digits - 1
    return max(0, digits - 1 - math.floor(math.log10(abs(scale))))


def fixed(value: float, scale: float, digits: int = DIGITS) -> str:
    """`value` at `digits` significant digits of `scale`: 0.0821670 at scale 0.08, 0 for noise."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    places = decimals(scale if scale else abs(value), digits)
    if abs(value) >= 10 ** 15:
        return f"{value:.{digits}g}"
    text = f"{round(value, places):.{places}f}"
    if float(text) == 0:
        return "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def significant(value: float, digits: int = DIGITS) -> str:
    """A lone number (a loss, an error) at `digits` significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.{digits}g}"


def published_digits(value: float) -> int:
    """How many significant digits a published number was printed with (0.082167041 -> 8)."""
    text = repr(float(value)).lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return max(1, len(text.rstrip("0")) if text else 1)


def plural(count: int, word: str, words: str | None = None) -> str:
    """"1 ulp", "2 ulps", "1 case", "0 cases"."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def fraction(passed: int, total: int) -> str:
    """"3 of 4", or "—" when there is nothing to count."""
    return "—" if not total else f"{passed} of {total}"


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def layer_symbol(symbol: str, layer: int) -> str:
    """The textbooks' numbering: layers.0's activation is a⁽¹⁾ (the input is a⁽⁰⁾ = x)."""
    return f"{symbol}⁽{str(layer + 1).translate(SUPERSCRIPTS)}⁾"


@dataclass
class Table:
    """A table for a page: header, rows of text, which columns are text (left-aligned), and which
    rows fail (highlighted). Empty columns are dropped when the table is built."""

    columns: list[str]
    rows: list[list[str]]
    text_columns: set[str] = field(default_factory=set)
    failing: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        keep = [i for i, _ in enumerate(self.columns) if any(row[i] not in ("", None) for row in self.rows)]
        if self.rows:
            self.columns = [self.columns[i] for i in keep]
            self.rows = [[row[i] if row[i] is not None else "" for i in keep] for row in self.rows]

    def markdown(self) -> str:
        def cell(text: str) -> str:
            return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        align = [":---" if name in self.text_columns else "---:" for name in self.columns]
        lines = ["| " + " | ".join(cell(c) for c in self.columns) + " |", "|" + "|".join(align) + "|"]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)
