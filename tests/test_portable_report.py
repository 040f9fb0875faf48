"""The committed report does not depend on the machine: the pages and pictures written under
another BLAS kernel and thread count are byte for byte the same, although the arithmetic is not
(the CSV files, which keep every digit, differ)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ["seed-student-train", "loss-mae", "act-tanh"]


def write(out: Path, **environment: str) -> None:
    env = {**os.environ, **environment}
    command = [sys.executable, "-m", "report", "--only", *CASES, "--out", str(out), "--format", "csv,md,png"]
    assert subprocess.run(command, cwd=ROOT, env=env, capture_output=True).returncode == 0


def test_pages_are_the_same_under_another_blas_kernel(tmp_path: Path) -> None:
    write(tmp_path / "a", OPENBLAS_NUM_THREADS="1")
    write(tmp_path / "b", OPENBLAS_NUM_THREADS="2", OPENBLAS_CORETYPE="Prescott")
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "details.csv").read_bytes() != (b / "details.csv").read_bytes(), \
        "the two BLAS settings computed the same bits: this test would prove nothing"
    committed = sorted(p.relative_to(a) for p in a.rglob("*") if p.suffix in (".md", ".png", ".svg"))
    assert len(committed) >= 7
    for relative in committed:
        assert (a / relative).read_bytes() == (b / relative).read_bytes(), relative
