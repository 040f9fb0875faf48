"""The committed report does not depend on the machine: the pages and pictures written under
another BLAS kernel and thread count are byte for byte the same, although the arithmetic is not
(the CSV files, which keep every digit, differ)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ["seed-student-train", "loss-mae", "act-tanh"]


def write(out: Path, **environment: str) -> subprocess.Popen:
    """A report of CASES started in its own process (--jobs 1: the cases run in that process)."""
    env = {**os.environ, **environment}
    command = [sys.executable, "-m", "report", "--only", *CASES, "--out", str(out), "--format", "csv,md,png", "--jobs", "1"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_pages_are_the_same_under_another_blas_kernel(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    runs = [write(a, OPENBLAS_NUM_THREADS="1"), write(b, OPENBLAS_NUM_THREADS="2", OPENBLAS_CORETYPE="Prescott")]
    assert [run.wait() for run in runs] == [0, 0]
    assert (a / "details.csv").read_bytes() != (b / "details.csv").read_bytes(), \
        "the two BLAS settings computed the same bits: this test would prove nothing"
    committed = sorted(p.relative_to(a) for p in a.rglob("*") if p.suffix in (".md", ".png", ".svg"))
    assert len(committed) >= 7
    for relative in committed:
        assert (a / relative).read_bytes() == (b / relative).read_bytes(), relative
