"""[data]: the inputs and targets, written in the case file or read from a CSV file beside it.

A data file must resolve (symbolic links followed) inside the case file's own folder: a case
file is data that people share, and it must not read anything else on the machine. Messages
about a data file never quote more of it than the column names a case asked for.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cases import limits as size_limits
from cases.errors import Invalid
from cases.fields import Fields, shape_text


def read_data(fields: Fields, data: dict[str, Any], base: Path, limits: dict[str, int]
              ) -> tuple[np.ndarray, np.ndarray, Path | None]:
    """(x, targets, data file or None); shapes are checked against the model by the caller."""
    if "file" in data:
        fields.keys(data, "data", ["file", "input_columns", "target_columns"])
        path = data_file(fields, data, base, limits)
        x, targets = read_csv(fields, data, path, limits)
    else:
        fields.keys(data, "data", ["inputs", "targets", "file"])
        x = fields.array(fields.value(data, "inputs", "data.inputs", (list,)), "data.inputs")
        targets = fields.array(fields.value(data, "targets", "data.targets", (list,)), "data.targets")
        path = None
    size_limits.check(limits, "data_numbers", x.size + targets.size, "data")
    if x.ndim < 2:
        raise Invalid("data.inputs", f"expected rows (N × inputs, or N × the model's input shape), got {shape_text(x.shape)}")
    if targets.ndim not in (1, 2) or len(targets) != len(x):
        raise Invalid("data.targets", f"expected {len(x)} rows (one per input row), got {shape_text(targets.shape)}")
    return x, targets, path


def data_file(fields: Fields, data: dict[str, Any], base: Path, limits: dict[str, int]) -> Path:
    name = fields.value(data, "file", "data.file", (str,))
    folder = base.resolve()
    path = (folder / name).resolve()
    if folder not in path.parents:
        raise Invalid("data.file", f"{name!r} is outside the case file's folder; a case reads only files beside it "
                                   "or below it")
    if not path.is_file():
        raise Invalid("data.file", f"{name!r}: no such file beside the case file")
    megabytes = path.stat().st_size / 2**20
    if megabytes > limits["data_file_mb"]:
        size_limits.check(limits, "data_file_mb", int(megabytes) + 1, "data.file")
    return path


def read_csv(fields: Fields, data: dict[str, Any], path: Path, limits: dict[str, int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """The named columns of a CSV file with a header row, as float64 arrays."""
    name = data["file"]
    columns = {}
    for key in ("input_columns", "target_columns"):
        value = fields.value(data, key, f"data.{key}", (list,))
        if not value or not all(isinstance(item, str) for item in value):
            raise Invalid(f"data.{key}", "expected a non-empty list of column names")
        columns[key] = value
    header = read_frame(path, name, nrows=0).columns
    for key, wanted in columns.items():
        missing = [column for column in wanted if column not in header]
        if missing:
            raise Invalid(f"data.{key}", f"no column {missing[0]!r} in {name}; it has {', '.join(map(str, header[:20]))}")
    frame = read_frame(path, name, usecols=list(dict.fromkeys(columns["input_columns"] + columns["target_columns"])))
    if frame.empty:
        raise Invalid("data.file", f"{name!r} has a header but no rows of data")
    return tuple(numbers(frame, wanted, name, key) for key, wanted in columns.items())


def read_frame(path: Path, name: str, **options: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except pd.errors.EmptyDataError:
        raise Invalid("data.file", f"{name!r} is empty; expected a header row of column names, then rows of numbers") from None
    except UnicodeDecodeError:
        raise Invalid("data.file", f"{name!r} is not UTF-8 text") from None
    except (pd.errors.ParserError, OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error).strip().splitlines()[-1][:120]
        raise Invalid("data.file", f"cannot read {name!r} as CSV ({reason})") from None


def numbers(frame: pd.DataFrame, wanted: list[str], file: str, key: str) -> np.ndarray:
    """The columns as float64, or the first cell that is not a finite number (by row and column)."""
    values = frame[wanted].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        r, c = (int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise Invalid(f"data.{key}", f"column {wanted[c]!r} of {file}, data row {r + 1}: expected a finite number")
    return values
