"""Write the report folder: CSV tables, Markdown pages, HTML index and pictures.

Everything is written into a staging folder (report/folder.py) and swapped into place at the
end, so an interrupted run leaves the previous report whole.
"""

import html
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from report.folder import ReportFolder
from report.pages import Page, case_page, number, trainable_scalar_of
from report.run import CaseResult, Tables

FORMATS = ("csv", "md", "html", "png")
DEFAULT_OUT = Path(__file__).resolve().parent / "output"
PARTIAL_OUT = Path("backprop-report")  # in the working folder: a partial run never replaces the built-in report


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Numbers as Python's repr (shortest text that reads back to the same float)."""
    frame.to_csv(path, index=False, float_format=None, lineterminator="\n")


def summary_markdown(tables: Tables) -> str:
    """The summary without wall times, so that two runs write the same bytes."""
    columns = ["case", "dtype", "steps", "compared", "max_abs_err", "max_rel_err", "max_ulps",
               "expectations", "verdict"]
    frame = tables.summary.copy()
    with_page = {r.case.name for r in tables.results}
    frame["case"] = [f"[{name}](cases/{name}.md)" if name in with_page else name for name in frame["case"]]
    frame["expectations"] = [f"{p}/{t}" if t else "" for p, t in
                             zip(frame["expectations_passed"], frame["expectations_total"], strict=True)]
    for column in ("max_abs_err", "max_rel_err"):
        frame[column] = [number(v, 3) for v in frame[column]]
    frame["max_ulps"] = [number(v, 6) for v in frame["max_ulps"]]
    lines = ["# Back-propagation reference: NumPy against PyTorch", "",
             f"{len(tables.results) + len(tables.failures)} cases run, "
             f"{sum(r.agree for r in tables.results)} agree, "
             f"{sum(not r.agree for r in tables.results) + len(tables.failures)} disagree, "
             f"{len(tables.errors)} invalid.", "",
             frame[columns].to_markdown(index=False), ""]
    problems = tables.summary[tables.summary["message"] != ""]
    if len(problems):
        lines += ["## Problems", ""]
        lines += [f"- **{row.case}** ({row.verdict}): {row.message}" for row in problems.itertuples()]
        lines.append("")
    return "\n".join(lines)


def write_pictures(result: CaseResult, folder: ReportFolder) -> dict[str, str]:
    """PNG files for one case page: {file name: caption}."""
    from report.plots import loss_curve, weight_sweep

    pictures = {}
    if result.case.steps > 1:
        file = f"{result.case.name}-loss.png"
        loss_curve(result, str(folder.path(f"cases/{file}")))
        pictures[file] = "Loss at every step, both engines"
    if trainable_scalar_of(result.case) is not None:
        file = f"{result.case.name}-slope.png"
        weight_sweep(result, str(folder.path(f"cases/{file}")))
        pictures[file] = "The loss as a function of the one trained weight, with its tangent"
    return pictures


def page_markdown(page: Page) -> str:
    lines: list[str] = []
    for block in page.blocks:
        kind = block[0]
        if kind == "heading":
            lines += ["#" * block[1] + " " + block[2], ""]
        elif kind == "text":
            lines += [block[1], ""]
        elif kind == "table":
            lines += [block[1].to_markdown(index=False, disable_numparse=True), ""]
        elif kind == "picture":
            lines += [f"![{block[2]}]({block[1]})", ""]
    return "\n".join(lines)


STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1500px; padding: 0 1em; color: #222; }
.scroll { overflow-x: auto; }
th { white-space: nowrap; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
td.text, th.text { text-align: left; }
th { background: #f0f0f0; }
td.fail, .fail td, li.fail { background: #ffd7d7; color: #900; font-weight: bold; }
.agree { color: #060; font-weight: bold; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0 1.5em; }
code { background: #f4f4f4; padding: 0 0.2em; }
</style>"""


def inline_html(text: str) -> str:
    """Escape, then the two Markdown marks the pages use: **bold** and `code`."""
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


TEXT_COLUMNS = {"name", "note", "element", "title", "message", "layer", "activation", "case", "quantity",
                "param", "frozen", "shape"}


def text_left(styler: "pd.io.formats.style.Styler", frame: pd.DataFrame) -> "pd.io.formats.style.Styler":
    """Words read left-aligned, numbers right-aligned."""
    columns = [column for column in frame.columns if column in TEXT_COLUMNS]
    return styler.set_properties(subset=columns, **{"text-align": "left"}) if columns else styler


def table_html(frame: pd.DataFrame, failing: pd.Series | None, uuid: str) -> str:
    """A table; `uuid` must be unique within the page (Styler's CSS selectors use it)."""
    styler = text_left(frame.style.hide(axis="index").set_uuid(uuid), frame)
    if failing is not None and failing.any():
        marks = failing.reset_index(drop=True).to_numpy()
        styler = styler.apply(lambda column: ["background: #ffd7d7; color: #900; font-weight: bold" if m else ""
                                              for m in marks], axis=0)
    return f'<div class="scroll">{styler.to_html()}</div>'


def html_document(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n{STYLE}\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def page_html(page: Page) -> str:
    body = ['<p><a href="../index.html">← all cases</a></p>']
    for position, block in enumerate(page.blocks):
        kind = block[0]
        if kind == "heading":
            body.append(f"<h{block[1]}>{inline_html(block[2])}</h{block[1]}>")
        elif kind == "text":
            body.append(f"<p>{inline_html(block[1])}</p>")
        elif kind == "table":
            body.append(table_html(block[1], block[2], f"t{position}"))
        elif kind == "picture":
            body.append(f'<figure><img src="{html.escape(block[1])}" alt="{html.escape(block[2])}">'
                        f"<figcaption>{html.escape(block[2])}</figcaption></figure>")
    return html_document(page.name, body)


def index_html(tables: Tables) -> str:
    """The summary with links to every case page; failing cells highlighted (pandas Styler)."""
    summary = tables.summary
    with_page = {r.case.name for r in tables.results}
    frame = pd.DataFrame({
        "case": [f'<a href="cases/{html.escape(name)}.html">{html.escape(name)}</a>' if name in with_page
                 else html.escape(name) for name in summary["case"]],
        "title": summary["title"].map(html.escape),
        "dtype": summary["dtype"], "steps": summary["steps"], "compared": summary["compared"],
        "max abs err": summary["max_abs_err"].map(lambda v: number(v, 3)),
        "max rel err": summary["max_rel_err"].map(lambda v: number(v, 3)),
        "max ulps": summary["max_ulps"].map(lambda v: number(v, 6)),
        "published": [f"{p}/{t}" if t else "" for p, t in
                      zip(summary["expectations_passed"], summary["expectations_total"], strict=True)],
        "reference s": summary["reference_s"].map(lambda v: number(v, 3)),
        "oracle s": summary["oracle_s"].map(lambda v: number(v, 3)),
        "verdict": summary["verdict"],
    })
    bad = (summary["verdict"] != "agree").to_numpy()
    wrong_published = (summary["expectations_passed"] < summary["expectations_total"]).to_numpy()

    def highlight(column: pd.Series) -> list[str]:
        marks = wrong_published if column.name == "published" else bad
        if column.name in ("verdict", "case", "published"):
            return ["background: #ffd7d7; color: #900; font-weight: bold" if m else "" for m in marks]
        return ["" for _ in marks]

    styler = text_left(frame.style.set_uuid("summary").hide(axis="index"), frame).apply(highlight, axis=0).map(
        lambda v: "color: #060; font-weight: bold" if v == "agree" else "", subset=["verdict"])
    styler = styler.set_properties(subset=["title"], **{"min-width": "18em"})
    agree = int((summary["verdict"] == "agree").sum())
    body = ["<h1>Back-propagation reference: NumPy against PyTorch</h1>",
            f"<p>{len(tables.results) + len(tables.failures)} cases run: <span class=\"agree\">{agree} agree</span>, "
            f"{len(tables.results) + len(tables.failures) - agree} disagree, {len(tables.errors)} invalid. "
            "Each case page shows the forward pass, every gradient and updated parameter from both engines "
            "and the published numbers. Full tables: "
            '<a href="summary.csv">summary.csv</a>, <a href="details.csv">details.csv</a>, '
            '<a href="expectations.csv">expectations.csv</a>.</p>',
            f'<div class="scroll">{styler.to_html()}</div>']
    problems = summary[summary["message"] != ""]
    if len(problems):
        body.append("<h2>Problems</h2>\n<ul>")
        body += [f'<li class="fail"><strong>{html.escape(row.case)}</strong> ({row.verdict}): '
                 f"{html.escape(row.message)}</li>" for row in problems.itertuples()]
        body.append("</ul>")
    return html_document("Back-propagation reference", body)


def write_report(tables: Tables, folder: ReportFolder, formats: Iterable[str] = FORMATS) -> None:
    """Write every requested format for `tables` into the staging `folder`."""
    formats = set(formats)
    if "csv" in formats:
        write_csv(tables.summary, folder.path("summary.csv"))
        write_csv(tables.details, folder.path("details.csv"))
        write_csv(tables.expectations, folder.path("expectations.csv"))
    for result in tables.results:
        pictures = write_pictures(result, folder) if "png" in formats else {}
        page = case_page(result, pictures)
        if "md" in formats:
            folder.write_text(f"cases/{result.case.name}.md", page_markdown(page))
        if "html" in formats:
            folder.write_text(f"cases/{result.case.name}.html", page_html(page))
    if "md" in formats:
        folder.write_text("summary.md", summary_markdown(tables))
    if "html" in formats:
        folder.write_text("index.html", index_html(tables))
