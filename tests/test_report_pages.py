"""The written report: deterministic, atomic, worked-example pages, and the committed copy."""

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import builtin_cases, run_both

import report
from report import write
from report.__main__ import main
from report.compare import details, expectations

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["seed-linear-60x", "mazur-2-2-2-eta-0.1", "opt-adam", "loss-cross-entropy-indices"]


def write_twice(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        assert main(["--out", str(out), "--only", *SMALL]) == 0
    return first, second


def test_two_runs_write_identical_csv_markdown_and_pictures(tmp_path: Path) -> None:
    first, second = write_twice(tmp_path)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".csv", ".md", ".png", ".html"}
    for relative in files:
        if relative.name in ("summary.csv", "index.html"):
            continue  # they carry the wall-clock seconds each engine took
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    timings = ["reference_s", "oracle_s"]
    one = pd.read_csv(first / "summary.csv", keep_default_na=False).drop(columns=timings)
    two = pd.read_csv(second / "summary.csv", keep_default_na=False).drop(columns=timings)
    pd.testing.assert_frame_equal(one, two)


def test_summary_has_the_contract_columns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["--out", str(out), "--only", "seed-linear-60x"])
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:13]) == [
        "case", "title", "dtype", "steps", "compared", "max_abs_err", "max_rel_err", "max_ulps",
        "expectations_passed", "expectations_total", "reference_s", "oracle_s", "verdict"]


def test_linear_page_is_the_tutorials_table_with_totals_10_and_30(tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["--out", str(out), "--only", "seed-linear-60x"])
    page = (out / "cases" / "seed-linear-60x.md").read_text(encoding="utf-8")
    total = next(line for line in page.splitlines() if line.startswith("| total"))
    assert [cell.strip() for cell in total.strip("|").split("|")][-2:] == ["10", "30"]
    assert "![" in page and (out / "cases" / "seed-linear-60x-slope.png").stat().st_size > 10_000


def test_wrong_published_number_is_shown_on_its_page(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    text = (ROOT / "cases" / "seed-linear-60x.toml").read_text(encoding="utf-8")
    (folder / "wrong.toml").write_text(text.replace("value = 60.0", "value = 61.0"), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out)]) == 1
    page = (out / "cases" / "seed-linear-60x.md").read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if "| grad" in line and "61" in line)
    assert "✗" in row and "| 1 " in row  # off by 1
    assert "off by 1" in (out / "summary.md").read_text(encoding="utf-8")


def test_interrupted_write_leaves_the_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    main(["--out", str(out), "--only", "seed-linear-60x"])
    before = (out / "details.csv").read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "page_markdown", interrupted)
    assert main(["--out", str(out), "--only", "mazur-2-2-2-eta-0.1"]) == 130
    assert (out / "details.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_python_api_returns_dataframes() -> None:
    tables = report.compare(ROOT / "cases" / "chain-3x-2x.toml")
    assert isinstance(tables.details, pd.DataFrame) and isinstance(tables.summary, pd.DataFrame)
    assert tables.summary["verdict"].tolist() == ["agree"]
    details_ = tables.details
    input_grad = details_[(details_["quantity"] == "input_grad") & (details_["step"] == 0)]
    assert input_grad["reference"].tolist() == [6.0] and input_grad["oracle"].tolist() == [6.0]


def committed_verdicts() -> dict[str, str]:
    text = (ROOT / "report" / "output" / "summary.md").read_text(encoding="utf-8")
    verdicts = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*\[([a-z0-9.-]+)\]\(cases/[^)]*\)\s*\|.*\|\s*(\w+)\s*\|$", line)
        if match:
            verdicts[match.group(1)] = match.group(2)
    return verdicts


def test_committed_report_matches_a_fresh_run() -> None:
    fresh = {}
    for case in builtin_cases():
        ref, ora = run_both(case)
        agree = details(case, ref, ora)["ok"].all() and expectations(case, ref, ora)["ok"].all()
        fresh[case.name] = "agree" if agree else "DISAGREE"
    assert committed_verdicts() == fresh, "regenerate it with the README's first command"


def test_committed_pages_exist_for_every_case() -> None:
    pages = ROOT / "report" / "output" / "cases"
    assert {p.stem for p in pages.glob("*.md")} == {case.name for case in builtin_cases()}

