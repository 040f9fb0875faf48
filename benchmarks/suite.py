"""What the benchmarks that count failing tests share: a copy of the committed code, its test suite run
in it, and the refusal to score anything when that suite fails unchanged (a failure it already has
would be counted as every mutant's or planted bug's)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-n", "auto", "-p", "no:cacheprovider", "-q"]


def copy_of_main(folder: Path) -> None:
    """The committed code (git HEAD), unpacked into `folder`."""
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def run_suite(folder: Path, *options: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*PYTEST, *options], cwd=folder, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "1000"})  # summary lines not cut to a terminal


def require_a_passing_suite() -> None:
    """Run the unchanged suite once in a copy of main; exit with its failures if it does not pass."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        copy_of_main(folder)
        done = run_suite(folder, "-rfE", "--tb=line")
    if done.returncode != 0:
        failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
        raise SystemExit("the unchanged test suite does not pass, so no failure can be credited to a change; "
                         f"nothing scored (pytest exit {done.returncode}):\n" + "\n".join(failed[:20] or done.stdout[-2000:]))
    print("the unchanged suite passes: scoring", flush=True)
