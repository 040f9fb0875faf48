"""Assertions that name what disagreed: case, step, quantity, parameter and element."""

import pandas as pd


def describe_failures(table: pd.DataFrame, limit: int = 10) -> str:
    failing = table[~table["ok"]]
    lines = []
    for row in failing.head(limit).itertuples():
        where = f"{row.case}: step {row.step}: {row.quantity}"
        if row.param:
            where += f" {row.param}"
        if row.index != "":
            where += f"[{row.index}]"
        if "published" in table.columns:
            lines.append(f"{where} ({row.name}): published {row.published!r}, reference {row.reference!r}, "
                         f"oracle {row.oracle!r}, tolerance {row.tolerance!r}")
        else:
            lines.append(f"{where}: reference {row.reference!r}, oracle {row.oracle!r}, "
                         f"abs_err {row.abs_err:.3g}, rel_err {row.rel_err:.3g}, ulps {row.ulps:.0f}, "
                         f"tolerance {row.tolerance:.3g}")
    more = len(failing) - limit
    if more > 0:
        lines.append(f"… and {more} more")
    return f"{len(failing)} of {len(table)} compared values disagree:\n" + "\n".join(lines)
