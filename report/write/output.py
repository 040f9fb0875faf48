"""Write the report folder: CSV tables, Markdown pages, the HTML index and pages, pictures.

Everything is written into a staging folder (report/write/folder.py) and swapped into place at the
end, so an interrupted run leaves the previous report whole. The Markdown pages and pictures
hold only what is the same on every machine (values at the printed precision, verdicts,
published numbers); the measurements that depend on the machine's arithmetic and clock (ulps,
largest errors, seconds) are in the CSV files and index.html.
"""

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cases import GraphCase
from report.verify.comparison import DETAIL_COLUMNS, WITNESS_COLUMNS
from report.verify.differences import FD_DETAIL_COLUMNS
from report.verify.tables import Tables
from report.write import html
from report.write.every_number import FOLDER, EveryNumber
from report.write.folder import ReportFolder
from report.write.format import DIGITS, FORMATS, Table, fraction, plural
from report.write.graph_page import graph_page
from report.write.pages import Links, Page, case_page, catalog_page

PARTS = ".details-parts"  # each case's rows of details.csv, joined in order at the end
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


class Files:
    """Files written under a folder, each listed for the report's marker (report/write/folder.py)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []

    def path(self, relative: str) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(relative)
        return target

    def write_text(self, relative: str, text: str) -> None:
        self.path(relative).write_text(text, encoding="utf-8")


def pictures(result, folder: "Files | ReportFolder") -> dict[str, tuple[str, str, str]]:
    """PNG and SVG files for one case page: kind -> (png, svg, caption)."""
    from report.write.circuit import circuit, why_no_circuit
    from report.write.feature_maps import drawable, feature_maps
    from report.write.network_picture import network, why_no_picture
    from report.write.plots import loss_curve, weight_sweep

    name, made = result.case.name, {}
    if isinstance(result.case, GraphCase) and not why_no_circuit(result.case):
        circuit(result.case, result.kept[0]["reference"].values, folder.path(f"cases/{name}-circuit.png"),
                folder.path(f"cases/{name}-circuit.svg"))
        made["circuit"] = (f"{name}-circuit.png", f"{name}-circuit.svg",
                           "The circuit at step 0: each value above, its gradient below")
    if not isinstance(result.case, GraphCase) and not why_no_picture(result.case):
        network(result.case, result.kept[0]["reference"], folder.path(f"cases/{name}-network.png"),
                folder.path(f"cases/{name}-network.svg"))
        made["network"] = (f"{name}-network.png", f"{name}-network.svg",
                           "The network at step 0: activations of the first sample, each weight and its gradient")
    if not isinstance(result.case, GraphCase) and drawable(result.case):
        feature_maps(result.case, result.kept[0]["reference"], folder.path(f"cases/{name}-maps.png"),
                     folder.path(f"cases/{name}-maps.svg"))
        made["maps"] = (f"{name}-maps.png", f"{name}-maps.svg",
                        "Feature maps of the first sample at step 0, each channel, and the gradient that came back")
    if result.case.steps > 1:
        loss_curve(result, folder.path(f"cases/{name}-loss.png"), folder.path(f"cases/{name}-loss.svg"))
        made["loss"] = (f"{name}-loss.png", f"{name}-loss.svg", "Loss at every step, every engine")
    if result.extras is not None and result.extras.sweep is not None:
        weight_sweep(result, folder.path(f"cases/{name}-slope.png"), folder.path(f"cases/{name}-slope.svg"))
        made["slope"] = (f"{name}-slope.png", f"{name}-slope.svg",
                         "The loss as a function of the one trained weight, with its tangent")
    return made


def write_case(result, folder: "Files | ReportFolder", out: Path, formats: Iterable[str], digits: int) -> None:
    """One case's page (Markdown and/or HTML) and its pictures."""
    links = Links(details="../details.csv" if "csv" in formats else "",
                  case_file=case_file_link(result.case.path, out),
                  pictures=pictures(result, folder) if "png" in formats else {})
    graph = isinstance(result.case, GraphCase)
    page = graph_page(result, links, digits) if graph else case_page(result, links, digits)
    if "md" in formats:
        folder.write_text(f"cases/{result.case.name}.md", page_markdown(page))
    if "html" in formats:
        folder.write_text(f"cases/{result.case.name}.html", html.page(page.blocks, page.name))


@dataclass(frozen=True)
class CaseWriter:
    """Writes each case's page, pictures and rows of details.csv as soon as the case has run (in
    whichever process ran it), so that a run holds one case's details in memory at a time."""

    staging: Path
    out: Path
    formats: frozenset[str]
    digits: int
    detail_columns: tuple[str, ...]
    every_number: bool = False  # every compared number to every-number/<case>.parquet as well

    def part(self, position: int) -> Path:
        return self.staging / PARTS / f"{position:06d}.csv"

    def sink(self, case) -> EveryNumber | None:
        return EveryNumber(self.staging / FOLDER / f"{case.name}.parquet") if self.every_number else None

    def write(self, position: int, result, sink: EveryNumber | None = None) -> list[str]:
        files = Files(self.staging)
        write_case(result, files, self.out, self.formats, self.digits)
        if sink is not None and sink.path.exists():
            files.written.append(f"{FOLDER}/{sink.path.name}")
        if "csv" in self.formats:
            self.part(position).parent.mkdir(exist_ok=True)
            details = result.details.reindex(columns=list(self.detail_columns))
            details.to_csv(self.part(position), index=False, header=False, float_format=None, lineterminator="\n")
        return files.written

    def join_details(self, positions: int, folder: ReportFolder) -> None:
        """details.csv: the header, then each case's rows in the cases' order; the parts removed."""
        with open(folder.path("details.csv"), "wb") as joined:
            joined.write((",".join(self.detail_columns) + "\n").encode())
            for position in range(positions):
                part = self.part(position)
                if part.exists():
                    with open(part, "rb") as rows:
                        shutil.copyfileobj(rows, joined)
        shutil.rmtree(self.staging / PARTS, ignore_errors=True)  # inside this run's own staging folder, never --out


def detail_columns(witnesses: bool, implementation: bool) -> tuple[str, ...]:
    """details.csv's columns for a run with these witnesses."""
    names = [name for name, present in (("tape", witnesses), ("yours", implementation)) if present]
    return (*DETAIL_COLUMNS, *[column for name in names for column in WITNESS_COLUMNS[name]],
            *(FD_DETAIL_COLUMNS if witnesses else ()))


def case_file_link(path: str, out: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), (out / "cases").resolve())).as_posix()
    except ValueError:
        return ""


def write_report(tables: Tables, folder: ReportFolder, formats: Iterable[str] = FORMATS, digits: int = DIGITS,
                 catalog: list | None = None, writer: CaseWriter | None = None) -> None:
    """Write every requested format for `tables` (and the catalog of mistakes, when given) into
    `folder`; given the `writer` the run used, the case pages and details rows it wrote are kept."""
    formats = set(formats)
    if catalog is not None:
        page = catalog_page(catalog, digits, tables.results)
        if "md" in formats:
            folder.write_text("catalog.md", page_markdown(page))
        if "html" in formats:
            folder.write_text("catalog.html", html.page(page.blocks, "Classic mistakes", home="index.html"))
    if "csv" in formats:
        for name, frame in zip(CSV_FILES, (tables.summary, tables.details, tables.arrays, tables.expectations,
                                            tables.finite_differences), strict=True):
            if name == "details.csv" and writer is not None:
                writer.join_details(len(tables.results) + len(tables.failures), folder)
            else:
                write_csv(frame, folder.path(name))
    for result in tables.results:
        if writer is None:
            write_case(result, folder, folder.out, formats, digits)
        else:
            folder.adopt(result.files)
    if "md" in formats:
        folder.write_text("summary.md", summary_markdown(tables, catalog))
    if "html" in formats:
        pages = {r.case.name for r in tables.results}
        files = [name for name in CSV_FILES if "csv" in formats]
        extra = [("The catalog of classic mistakes", "catalog.html")] if catalog is not None else []
        folder.write_text("index.html", html.index(tables.summary, pages, counts(tables), problems(tables), files, extra))
