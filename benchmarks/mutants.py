"""Mutation testing of `reference/` against the project's own tests (a benchmark, run by hand).

    .venv/bin/python benchmarks/mutants.py [--sample N] [--seed S]     # N = 30: about 16 minutes here
    .venv/bin/python benchmarks/mutants.py --only "reference/losses.py:148 Sub -> Add" …   # survivors again

Each mutant changes one operator or constant of one line of `reference/*.py` (+ ↔ −, × ↔ ÷,
** → ×, > ↔ ≥, < ↔ ≤, == ↔ !=, a number n → n + 1, a unary minus dropped), in a temporary copy of
the committed code; the whole test suite runs on it (`pytest -x -n auto`) and the mutant is
killed when a test fails. The unchanged suite runs first: if it fails, nothing is scored.
Written: the score, the time, and every survivor (file, line, change) to review — a survivor is
either a missing test or an equivalent mutant (say which).
"""

import argparse
import ast
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from suite import ROOT, copy_of_main, require_a_passing_suite, run_suite

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
         ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
SKIP = {"plugin.py", "guard.py", "__init__.py"}  # loading and guarding users' code, not math
EQUIVALENT = {  # mutants that compute the same numbers, with the reason; left out of the score
    "reference/finite_differences.py:92 Mult -> Div": "value + offset / direction: the direction is ±1, so ÷ is ×",
}


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int
    number: int  # the n-th mutation point of the file, in ast.walk order
    change: str


def points(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every mutation point of a module outside docstrings: (node, what the change is)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
            found.append((node, f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"))
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in SWAPS:
            found.append((node, f"{type(node.ops[0]).__name__} -> {SWAPS[type(node.ops[0])].__name__}"))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            found.append((node, f"{node.value!r} -> {node.value + 1!r}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            found.append((node, "unary minus dropped"))
    return found


def mutate(source: str, number: int) -> str:
    tree = ast.parse(source)
    node, _ = points(tree)[number]
    if isinstance(node, ast.BinOp):
        node.op = SWAPS[type(node.op)]()
    elif isinstance(node, ast.Compare):
        node.ops[0] = SWAPS[type(node.ops[0])]()
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1
    else:  # unary minus: keep the operand only
        node.op = ast.UAdd()
    return ast.unparse(tree)


def all_mutants() -> list[Mutant]:
    mutants = []
    for path in sorted((ROOT / "reference").glob("*.py")):
        if path.name in SKIP:
            continue
        for number, (node, change) in enumerate(points(ast.parse(path.read_text(encoding="utf-8")))):
            mutants.append(Mutant(f"reference/{path.name}", node.lineno, number, change))
    return mutants


def killed(mutant: Mutant) -> bool:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        copy_of_main(folder)
        path = folder / mutant.file
        path.write_text(mutate(path.read_text(encoding="utf-8"), mutant.number), encoding="utf-8")
        try:
            done = run_suite(folder, "-x", "--tb=no", timeout=900)
        except subprocess.TimeoutExpired:
            return True  # a mutant that makes the suite hang is noticed
        return done.returncode != 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=30, help="mutants to run, drawn at random (0: every one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="+", default=[], metavar="MUTANT",
                        help='run these mutants again, as printed: "reference/losses.py:148 Sub -> Add"')
    arguments = parser.parse_args()
    mutants = all_mutants()
    chosen = mutants if arguments.sample <= 0 else sorted(random.Random(arguments.seed).sample(mutants, arguments.sample),
                                                          key=lambda m: (m.file, m.line))
    if arguments.only:
        chosen = [m for m in mutants if f"{m.file}:{m.line} {m.change}" in arguments.only]
    require_a_passing_suite()
    started, survivors, equivalent = time.perf_counter(), [], []
    for i, mutant in enumerate(chosen, 1):
        name = f"{mutant.file}:{mutant.line} {mutant.change}"
        if name in EQUIVALENT:
            equivalent.append(mutant)
            print(f"[{i}/{len(chosen)}] equivalent {name}: {EQUIVALENT[name]}", flush=True)
            continue
        dead = killed(mutant)
        print(f"[{i}/{len(chosen)}] {'killed  ' if dead else 'SURVIVED'} {name}", flush=True)
        if not dead:
            survivors.append(mutant)
    minutes = (time.perf_counter() - started) / 60
    scored = len(chosen) - len(equivalent)
    print(f"\n{scored - len(survivors)} of {scored} non-equivalent mutants killed "
          f"({100 * (scored - len(survivors)) / max(scored, 1):.1f} %; {len(equivalent)} equivalent left out) "
          f"of {len(mutants)} possible, in {minutes:.0f} min")
    for mutant in survivors:
        print(f"survivor: {mutant.file}:{mutant.line} {mutant.change}")


if __name__ == "__main__":
    main()
