"""Pages and the summary as HTML: one stylesheet, one class for a failing row, no scripts."""

import html
import re

import pandas as pd

from report.write.format import Table, fraction, significant

STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1300px; padding: 0 1em; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
.text { text-align: left; }
tr.fail td, li.fail { background: #ffd7d7; color: #900; font-weight: bold; }
.agree { color: #060; font-weight: bold; }
.disagree, .invalid, .error { color: #900; font-weight: bold; }
figure { margin: 0.5em 0 1.5em; }
img { max-width: 100%; border: 1px solid #ddd; }
code { background: #f4f4f4; padding: 0 0.2em; }
pre { background: #f4f4f4; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
</style>"""


def inline(text: str) -> str:
    """Escape, then the Markdown marks the pages use: **bold**, `code` and [text](link)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>', text)


def table(frame: Table, raw_html: bool = False) -> str:
    """A page table; `raw_html` for cells that already hold markup (the index's links)."""
    def cell(text: str) -> str:
        return str(text) if raw_html else html.escape(str(text))

    def css(column: str) -> str:
        return ' class="text"' if column in frame.text_columns else ""

    head = "".join(f"<th{css(c)}>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for i, row in enumerate(frame.rows):
        cells = "".join(f"<td{css(c)}>{cell(v)}</td>" for c, v in zip(frame.columns, row, strict=True))
        body.append(f'<tr class="fail">{cells}</tr>' if i in frame.failing else f"<tr>{cells}</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"


def document(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n{STYLE}\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def page(blocks: list[tuple], title: str, home: str = "../index.html") -> str:
    body = [f'<p><a href="{home}">← all cases</a></p>']
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            body.append(f"<h{block[1]}>{inline(block[2])}</h{block[1]}>")
        elif kind == "text":
            body.append(f"<p>{inline(block[1])}</p>")
        elif kind == "table":
            body.append(table(block[1]))
        elif kind == "picture":
            _, png, svg, caption = block
            body.append(f'<figure><img src="{html.escape(svg or png)}" alt="{html.escape(caption)}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        elif kind == "code":
            body.append(f"<pre><code>{html.escape(block[1])}</code></pre>")
    return document(title, body)


def verdict(text: str) -> str:
    return f'<span class="{html.escape(str(text).lower())}">{html.escape(str(text))}</span>' if text else ""


def summary_table(summary: pd.DataFrame, pages: set[str] = frozenset()) -> str:
    """The summary with verdicts coloured, links to case pages, failing rows highlighted."""
    with_yours = bool((summary["yours_verdict"].fillna("") != "").any())
    rows, failed = [], set()
    for i, row in enumerate(summary.itertuples()):
        name = html.escape(row.case)
        link = f'<a href="cases/{name}.html">{name}</a>' if row.case in pages else name
        values = [link, html.escape(str(row.title)), row.dtype, str(row.steps), f"{row.compared:,}",
                  significant(row.max_abs_err, 3), significant(row.max_normwise_err, 3), significant(row.max_ulps, 6),
                  fraction(row.expectations_passed, row.expectations_total),
                  significant(row.reference_s, 3), significant(row.oracle_s, 3), verdict(row.verdict)]
        if with_yours:
            values.append(verdict(row.yours_verdict))
        if row.verdict != "agree" or (with_yours and row.yours_verdict != "agree"):
            failed.add(i)
        rows.append(values)
    columns = ["case", "title", "dtype", "steps", "compared", "max abs err", "max normwise err", "max ulps",
               "published", "reference s", "torch s", "verdict"] + (["yours"] if with_yours else [])
    return table(Table(columns, rows, {"case", "title", "dtype"}, failed), raw_html=True)


def index(summary: pd.DataFrame, pages: set[str], counts: str, problems: list[tuple[str, str, str]],
          files: list[str], extra_links: list[tuple[str, str]] = ()) -> str:
    links = ", ".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in files)
    more = "".join(f' <a href="{html.escape(href)}">{html.escape(text)}</a>.' for text, href in extra_links)
    body = ["<h1>Back-propagation reference: NumPy against PyTorch</h1>",
            f"<p>{html.escape(counts)} Each case page shows the forward and backward pass, every gradient and "
            f"updated parameter from every engine, and the published numbers. Full tables: {links}.{more} "
            "Times are wall-clock seconds per engine, measured after torch's start-up.</p>",
            summary_table(summary, pages)]
    if problems:
        body.append("<h2>Problems</h2>\n<ul>")
        body += [f'<li class="fail"><strong>{html.escape(case)}</strong> ({html.escape(state)}): {html.escape(message)}</li>'
                 for case, state, message in problems]
        body.append("</ul>")
    return document("Back-propagation reference", body)
