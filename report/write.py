"""Write the report folder: CSV tables, Markdown pages, the HTML index and pages, pictures.

Everything is written into a staging folder (report/folder.py) and swapped into place at the
end, so an interrupted run leaves the previous report whole. The Markdown pages and pictures
hold only what is the same on every machine (values at the printed precision, verdicts,
published numbers); the measurements that depend on the machine's arithmetic and clock (ulps,
largest errors, seconds) are in the CSV files and index.html.
"""

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from report import html
from report.folder import ReportFolder
from report.format import DIGITS, Table, fraction, plural
from report.pages import Links, Page, case_page, catalog_page
from report.tables import Tables

FORMATS = ("csv", "md", "html", "png")
DEFAULT_OUT = Path(__file__).resolve().parent / "output"
PARTIAL_OUT = Path("backprop-report")  # in the working folder: a partial run never replaces the built-in report
CSV_FILES = ("summary.csv", "details.csv", "arrays.csv", "expectations.csv", "finite_differences.csv")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Numbers as Python's repr (shortest text that reads back to the same float)."""
    frame.to_csv(path, index=False, float_format=None, lineterminator="\n")


def counts(tables: Tables) -> str:
    run = len(tables.results) + len(tables.failures)
    agree = sum(r.agree for r in tables.results)
    return (f"{plural(run, 'case')} run: {agree} agree, {run - agree} disagree, "
            f"{len(tables.errors)} invalid.")


def problems(tables: Tables) -> list[tuple[str, str, str]]:
    summary = tables.summary
    return [(row.case, row.verdict, row.message) for row in summary.itertuples() if row.message]


def summary_markdown(tables: Tables, catalog: list | None = None) -> str:
    """The summary without wall times and machine-dependent errors, so that every machine writes it alike."""
    summary = tables.summary
    pages = {r.case.name for r in tables.results}
    with_yours = bool((summary["yours_verdict"].fillna("") != "").any())
    rows = [[f"[{row.case}](cases/{row.case}.md)" if row.case in pages else row.case, row.dtype, str(row.steps),
             f"{row.compared:,}", fraction(row.expectations_passed, row.expectations_total), row.verdict]
            + ([row.yours_verdict] if with_yours else []) for row in summary.itertuples()]
    table = Table(["case", "dtype", "steps", "compared", "published", "verdict"] + (["yours"] if with_yours else []),
                  rows, {"case", "dtype", "verdict", "yours"})
    lines = ["# Back-propagation reference: NumPy against PyTorch", "", counts(tables), "", table.markdown(), ""]
    if catalog:
        lines += [f"The checker on {plural(len(catalog), 'classic mistake')}: [catalog.md](catalog.md), "
                  f"{sum(c.ok for c in catalog)} caught, located and explained.", ""]
    found = problems(tables)
    if found:
        lines += ["## Problems", ""] + [f"- **{case}** ({state}): {message}" for case, state, message in found] + [""]
    return "\n".join(lines)


def page_markdown(page: Page) -> str:
    lines: list[str] = []
    for block in page.blocks:
        kind = block[0]
        if kind == "heading":
            lines += ["#" * block[1] + " " + block[2], ""]
        elif kind == "text":
            lines += [block[1], ""]
        elif kind == "table":
            lines += [block[1].markdown(), ""]
        elif kind == "picture":
            lines += [f"![{block[3]}]({block[1]})", ""]
        elif kind == "code":
            lines += [f"```{block[2]}", block[1], "```", ""]
    return "\n".join(lines)


def pictures(result, folder: ReportFolder) -> dict[str, tuple[str, str, str]]:
    """PNG and SVG files for one case page: kind -> (png, svg, caption)."""
    from report.plots import loss_curve, weight_sweep

    name, made = result.case.name, {}
    if result.case.steps > 1:
        loss_curve(result, folder.path(f"cases/{name}-loss.png"), folder.path(f"cases/{name}-loss.svg"))
        made["loss"] = (f"{name}-loss.png", f"{name}-loss.svg", "Loss at every step, every engine")
    if result.extras is not None and result.extras.sweep is not None:
        weight_sweep(result, folder.path(f"cases/{name}-slope.png"), folder.path(f"cases/{name}-slope.svg"))
        made["slope"] = (f"{name}-slope.png", f"{name}-slope.svg",
                         "The loss as a function of the one trained weight, with its tangent")
    return made


def case_file_link(path: str, out: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), (out / "cases").resolve())).as_posix()
    except ValueError:
        return ""


def write_report(tables: Tables, folder: ReportFolder, formats: Iterable[str] = FORMATS, digits: int = DIGITS,
                 catalog: list | None = None) -> None:
    """Write every requested format for `tables` (and the catalog of mistakes, when given) into `folder`."""
    formats = set(formats)
    if catalog is not None:
        page = catalog_page(catalog, digits)
        if "md" in formats:
            folder.write_text("catalog.md", page_markdown(page))
        if "html" in formats:
            folder.write_text("catalog.html", html.page(page.blocks, "Classic mistakes", home="index.html"))
    if "csv" in formats:
        for name, frame in zip(CSV_FILES, (tables.summary, tables.details, tables.arrays, tables.expectations,
                                            tables.finite_differences), strict=True):
            write_csv(frame, folder.path(name))
    for result in tables.results:
        links = Links(details="../details.csv" if "csv" in formats else "",
                      case_file=case_file_link(result.case.path, folder.out),
                      pictures=pictures(result, folder) if "png" in formats else {})
        page = case_page(result, links, digits)
        if "md" in formats:
            folder.write_text(f"cases/{result.case.name}.md", page_markdown(page))
        if "html" in formats:
            folder.write_text(f"cases/{result.case.name}.html", html.page(page.blocks, page.name))
    if "md" in formats:
        folder.write_text("summary.md", summary_markdown(tables, catalog))
    if "html" in formats:
        pages = {r.case.name for r in tables.results}
        files = [name for name in CSV_FILES if "csv" in formats]
        extra = [("The catalog of classic mistakes", "catalog.html")] if catalog is not None else []
        folder.write_text("index.html", html.index(tables.summary, pages, counts(tables), problems(tables), files, extra))
