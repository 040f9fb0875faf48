"""--every-number: every compared number of every step, one Parquet file per case.

A large case keeps in `details.csv` only its disagreeing numbers (report/verify/comparison.py); this
writes all of them, a row group per step as the case runs, so memory stays at one step. The
columns are details.csv's without the finite-difference ones (those are in
finite_differences.csv). Read them back with `pandas.read_parquet("every-number")`.
"""

from pathlib import Path

import pandas as pd

FOLDER = "every-number"


def available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


class EveryNumber:
    """Receives each step's rows (a DataFrame) and appends them to one Parquet file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = None

    def __call__(self, rows: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(rows, preserve_index=False)
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def discard(self) -> None:
        """Close and remove the file: the case stopped partway (the file is in this run's staging folder)."""
        self.close()
        self.path.unlink(missing_ok=True)
