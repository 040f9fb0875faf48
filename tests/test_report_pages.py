"""The written report: deterministic, worked-example pages, and the committed copy."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import all_builtin_cases, run

import report
from cases import Case, builtin
from report.__main__ import main
from report.verify.run import run_case

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["seed-linear-60x", "mazur-2-2-2-eta-0.1", "opt-adam", "loss-cross-entropy-indices"]


def write_twice(tmp_path: Path) -> tuple[Path, Path]:
    """The same cases run in this process, then two at a time in worker processes."""
    first, second = tmp_path / "one", tmp_path / "two"
    for out, jobs in ((first, "1"), (second, "2")):
        assert main(["--out", str(out), "--jobs", jobs, "--only", *SMALL]) == 0
    return first, second


def test_a_serial_and_a_parallel_run_write_identical_files_but_the_timings(tmp_path: Path) -> None:
    first, second = write_twice(tmp_path)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".csv", ".md", ".png", ".svg", ".html"}
    for relative in files:
        if relative.name in ("summary.csv", "index.html"):
            continue  # they carry the wall-clock seconds each engine took
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    timings = ["reference_s", "oracle_s"]
    one = pd.read_csv(first / "summary.csv", keep_default_na=False).drop(columns=timings)
    two = pd.read_csv(second / "summary.csv", keep_default_na=False).drop(columns=timings)
    pd.testing.assert_frame_equal(one, two)


def test_a_case_large_enough_for_a_threaded_blas_writes_the_same_bytes_in_a_worker(tmp_path: Path) -> None:
    generator = np.random.default_rng(5)
    inputs, targets = generator.normal(size=(64, 500)).round(4), generator.integers(0, 10, 64)  # products BLAS splits
    (tmp_path / "wide.toml").write_text(f"""name = "wide"
[model]
inputs = 500
[model.init]
seed = 2
scheme = "kaiming_uniform"
[[model.layers]]
units = 256
activation = "relu"
[[model.layers]]
units = 10
activation = "identity"
[data]
inputs = {inputs.tolist()}
targets = {targets.tolist()}
[loss]
name = "cross_entropy"
[training]
optimizer = "sgd"
learning_rate = 0.1
steps = 2
""", encoding="utf-8")
    linear = builtin("seed-linear-60x")
    for jobs in ("1", "2"):
        assert main([str(tmp_path / "wide.toml"), str(linear), "--jobs", jobs, "--format", "csv",
                     "--out", str(tmp_path / jobs)]) == 0
    for name in ("details.csv", "arrays.csv", "finite_differences.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_summary_has_the_documented_columns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["--out", str(out), "--only", "seed-linear-60x"])
    summary = pd.read_csv(out / "summary.csv")
    manual = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    documented = re.search(r"`summary.csv` — one row per case: ([^.]*)\.", manual).group(1)
    assert [c.strip(" `\n") for c in documented.split(",")] == list(summary.columns)


def test_linear_page_is_the_tutorials_table_with_its_loss_30(tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["--out", str(out), "--only", "seed-linear-60x"])
    page = (out / "cases" / "seed-linear-60x.md").read_text(encoding="utf-8")
    squares = next(line for line in page.splitlines() if line.startswith("| ℓ[0]"))
    assert [cell.strip() for cell in squares.strip("|").split("|")][1:6] == ["0", "1", "4", "9", "16"]
    assert "L = 30 (torch 30)" in page
    assert page.index("-slope.png") < page.index("## The network")  # the 60x picture near the top
    assert (out / "cases" / "seed-linear-60x-slope.png").stat().st_size > 10_000
    assert (out / "cases" / "seed-linear-60x-slope.svg").read_text().startswith("<?xml")


def test_wrong_published_number_is_shown_on_its_page(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    text = (builtin("seed-linear-60x")).read_text(encoding="utf-8")
    (folder / "wrong.toml").write_text(text.replace("value = 60.0", "value = 61.0"), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out)]) == 1
    page = (out / "cases" / "seed-linear-60x.md").read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if line.startswith("| W |") and "61.0" in line)
    assert "✗" in row and "| 1 |" in row  # off by 1
    assert "off by 1" in (out / "summary.md").read_text(encoding="utf-8")


def test_python_api_returns_dataframes_and_shows_in_a_notebook() -> None:
    tables = report.compare(builtin("chain-3x-2x"))
    assert isinstance(tables.details, pd.DataFrame) and isinstance(tables.summary, pd.DataFrame)
    assert tables.summary["verdict"].tolist() == ["agree"]
    details = tables.details
    input_grad = details[(details["quantity"] == "input_grad") & (details["step"] == 0)]
    assert input_grad["reference"].tolist() == [6.0] and input_grad["oracle"].tolist() == [6.0]
    shown = tables._repr_html_()
    assert "<table>" in shown and 'class="agree"' in shown and "chain-3x-2x" in shown
    from importlib import import_module  # the module is reachable beside the function report.compare

    assert callable(import_module("report.verify.comparison").compare_runs)


def committed_verdicts() -> dict[str, str]:
    text = (ROOT / "report" / "output" / "summary.md").read_text(encoding="utf-8")
    verdicts = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*\[([a-z0-9.-]+)\]\(cases/[^)]*\)\s*\|.*\|\s*(\w+)\s*\|$", line)
        if match:
            verdicts[match.group(1)] = match.group(2)
    return verdicts


def test_committed_verdicts_match_a_fresh_run_with_every_witness() -> None:
    fresh = {}
    for case in all_builtin_cases():
        engines = ("oracle", "reference", "tape") if isinstance(case, Case) else ("oracle", "reference")  # a graph's reference is its tape
        recorded = {engine: run(case, engine) for engine in engines}
        fresh[case.name] = run_case(case, recorded=recorded).verdict
    assert committed_verdicts() == fresh, "regenerate it with the README's first command"


def test_committed_pages_exist_for_every_case() -> None:
    pages = ROOT / "report" / "output" / "cases"
    assert {p.stem for p in pages.glob("*.md")} == {case.name for case in all_builtin_cases()}


def test_a_small_network_is_drawn_and_a_wide_one_says_why_not(tmp_path: Path) -> None:
    wide = (builtin("act-elu")).read_text(encoding="utf-8").replace('"act-elu"', '"wide-elu"', 1)
    wide = wide.replace("units = 4", "units = 13", 1)
    (tmp_path / "wide-elu.toml").write_text(wide, encoding="utf-8")
    assert main([str(builtin("mazur-2-2-2-eta-0.1")), str(tmp_path / "wide-elu.toml"), "--jobs", "1",
                 "--out", str(tmp_path / "out")]) == 0
    pages = tmp_path / "out" / "cases"
    assert "![The network at step 0" in (pages / "mazur-2-2-2-eta-0.1.md").read_text(encoding="utf-8")
    assert (pages / "mazur-2-2-2-eta-0.1-network.svg").exists()
    assert "No picture of the network: a layer of 13 units: too wide to draw (at most 12)" in \
        (pages / "wide-elu.md").read_text(encoding="utf-8")
