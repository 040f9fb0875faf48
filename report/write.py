"""Write the report folder: CSV tables, Markdown pages, HTML index and pictures.

Everything is written into a temporary folder beside the target and moved into place at the
end, so an interrupted run leaves the previous report whole.
"""

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from report.run import Tables

FORMATS = ("csv", "md", "html", "png")
DEFAULT_OUT = Path(__file__).resolve().parent / "output"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Numbers as Python's repr (shortest text that reads back to the same float)."""
    frame.to_csv(path, index=False, float_format=None, lineterminator="\n")


def markdown_number(value: float, digits: int = 12) -> str:
    if pd.isna(value):
        return ""
    return f"{value:.{digits}g}"


def summary_markdown(tables: Tables) -> str:
    """The summary without wall times, so that two runs write the same bytes."""
    columns = ["case", "dtype", "steps", "compared", "max_abs_err", "max_rel_err", "max_ulps",
               "expectations", "verdict"]
    frame = tables.summary.copy()
    frame["case"] = [f"[{name}](cases/{name}.md)" if verdict != "invalid" else name
                     for name, verdict in zip(frame["case"], frame["verdict"], strict=True)]
    frame["expectations"] = [f"{p}/{t}" if t else "" for p, t in
                             zip(frame["expectations_passed"], frame["expectations_total"], strict=True)]
    for column in ("max_abs_err", "max_rel_err"):
        frame[column] = [markdown_number(v, 3) for v in frame[column]]
    frame["max_ulps"] = [markdown_number(v, 6) for v in frame["max_ulps"]]
    lines = ["# Back-propagation reference: NumPy against PyTorch", "",
             f"{len(tables.results)} cases run, "
             f"{sum(r.agree for r in tables.results)} agree, "
             f"{sum(not r.agree for r in tables.results)} disagree, {len(tables.errors)} invalid.", "",
             frame[columns].to_markdown(index=False), ""]
    problems = tables.summary[tables.summary["message"] != ""]
    if len(problems):
        lines += ["## Problems", ""]
        lines += [f"- **{row.case}** ({row.verdict}): {row.message}" for row in problems.itertuples()]
        lines.append("")
    return "\n".join(lines)


def write_report(tables: Tables, out: Path = DEFAULT_OUT, formats: Iterable[str] = FORMATS) -> Path:
    """Write every requested format for `tables` into `out`, replacing it whole at the end."""
    formats = set(formats)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{out.name}-", dir=out.parent))
    try:
        if "csv" in formats:
            write_csv(tables.summary, staging / "summary.csv")
            write_csv(tables.details, staging / "details.csv")
            write_csv(tables.expectations, staging / "expectations.csv")
        if "md" in formats:
            (staging / "summary.md").write_text(summary_markdown(tables), encoding="utf-8")
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _replace(staging: Path, out: Path) -> None:
    """Move the finished folder into place; the old report is removed only after the move."""
    os.chmod(staging, 0o755)
    if out.exists():
        old = out.with_name(f".tmp-old-{out.name}-{os.getpid()}")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old)
    else:
        staging.rename(out)
