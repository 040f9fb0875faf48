"""The catalog of classic mistakes (mistakes/catalog.toml): each entry run through the checker
as a user's implementation, with what it must produce — caught, located where the catalog says,
explained by the hint it names — and the numbers that betray it."""

import ast
import difflib
import functools
import inspect
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import reference
from cases import Case, Step, builtin, load_case
from reference.blocks import REFERENCE
from reference.plugin import load_implementation
from report.verify.comparison import Comparison
from report.verify.parallel import run_all
from report.verify.run import CaseResult, run_case

CATALOG = Path(__file__).resolve().parents[2] / "mistakes"


@dataclass
class Entry:
    file: str
    title: str
    case: str
    first: dict
    hint: str
    expect: list[dict] = field(default_factory=list)


@dataclass
class Checked:
    entry: Entry
    result: CaseResult
    diff: str  # the entry against the reference's functions, or the entry's whole source
    caught: bool
    located: bool
    explained: bool
    expected: list[tuple[dict, float, bool]]  # (expectation, the engine's value, within tolerance)

    @property
    def ok(self) -> bool:
        return self.caught and self.located and self.explained and all(ok for _, _, ok in self.expected)


def entries(folder: Path = CATALOG) -> list[Entry]:
    raw = tomllib.loads((folder / "catalog.toml").read_text(encoding="utf-8"))
    found = []
    for item in raw["mistake"]:
        source = (folder / item["file"]).read_text(encoding="utf-8")
        title = ast.get_docstring(ast.parse(source)).splitlines()[0].rstrip(".")
        found.append(Entry(item["file"], title, item["case"], item["first"], item["hint"], item.get("expect", [])))
    return found


def without_docstring(source: str) -> list[str]:
    lines = source.splitlines()
    tree = ast.parse(source).body[0]
    if ast.get_docstring(tree) is None:
        return lines
    first, last = tree.body[0].lineno, tree.body[0].end_lineno
    return lines[:first - 1] + lines[last:]


def diff(file: Path, names: list[str]) -> str:
    """A unified diff of each replaced function against the reference's (a whole pass: its source)."""
    module_source = file.read_text(encoding="utf-8")
    tree = ast.parse(module_source)
    parts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            ours = without_docstring(ast.get_source_segment(module_source, node))
            if node.name == "forward_backward":
                parts.append("\n".join(ours))
                continue
            reference = REFERENCE[node.name]
            theirs = without_docstring(inspect.getsource(reference))
            origin = f"reference/{Path(inspect.getsourcefile(reference)).name}"
            parts.extend(line.rstrip("\n") for line in difflib.unified_diff(
                theirs, ours, fromfile=origin, tofile=f"mistakes/{file.name}", n=2, lineterm=""))
    return "\n".join(parts)


def check(entry: Entry, folder: Path = CATALOG) -> Checked:
    implementation = load_implementation(folder / entry.file)
    case: Case = load_case(builtin(entry.case))
    result = run_case(case, implementation.blocks, witnesses=False)
    first = result.first_wrong.get("yours")
    where = entry.first
    located = first is not None and (first.step, first.quantity, first.key, first.index) == (
        where["step"], where["quantity"], where["key"], where.get("index", first.index))
    expected = []
    for claim in entry.expect:
        value = float(np.asarray(result.kept[claim["step"]][claim["engine"]].get(claim["quantity"])))
        expected.append((claim, value, abs(value - claim["value"]) <= claim["tolerance"]))
    return Checked(entry, result, diff(folder / entry.file, list(implementation.functions)), caught=first is not None,
                   located=located, explained=first is not None and entry.hint in first.hint, expected=expected)


def check_all(folder: Path = CATALOG, jobs: int = 1) -> list[Checked]:
    """Every entry checked, `jobs` at a time in worker processes (report/verify/parallel.py; 1: here)."""
    return list(run_all(functools.partial(check, folder=folder), entries(folder), jobs))


# ---- what a case cannot see ---------------------------------------------------------------------
#
# A case sees a mistake only where its numbers depend on it: one sample cannot tell a batch mean from
# a sum, γ = 1 hides a missing ·γ. Each catalog entry is run on the case as an implementation, against
# the reference on its own trajectory (NumPy alone: the reference agrees with torch, the report checks
# that), and the entries the case calls but never catches are its blind spots.


@dataclass(frozen=True)
class BlindSpot:
    entry: Entry
    functions: list[str]  # the entry's functions, which the case calls

    @property
    def mistake(self) -> str:
        """The entry's title up to its first colon or semicolon, as a phrase: "the bias gradient averaged …"."""
        title = self.entry.title.split(": ")[0].split("; ")[0]
        return title[0].lower() + title[1:]

    def describe(self, case: Case) -> str:
        within = f" in its first {SCAN_STEPS} steps" if case.steps > SCAN_STEPS else ""
        return (f"{case.name} cannot see{within} {self.mistake} ({', '.join(self.functions)}: "
                f"mistakes/{self.entry.file}); {self.entry.case} can")


@functools.cache
def _building_block_entries(folder: Path = CATALOG) -> tuple[tuple[Entry, tuple[str, ...]], ...]:
    """Each entry with the functions it replaces; whole passes (forward_backward) are left out: they are
    a different network, not one function's mistake."""
    found = []
    for entry in entries(folder):
        functions = tuple(sorted(load_implementation(folder / entry.file).functions))
        if "forward_backward" not in functions:
            found.append((entry, functions))
    return tuple(found)


SCAN_STEPS = 500  # steps of a long case a blind spot is looked for in (Mazur's 10,000 would take a minute)


def sees(case: Case, entry: Entry, folder: Path = CATALOG) -> bool | None:
    """True if the case catches the entry's mistake (within its first SCAN_STEPS steps), False if it
    calls the mistaken functions and never notices, None if it never calls them."""
    blocks = load_implementation(folder / entry.file).blocks.tracked()  # imported afresh: its own state
    comparison = Comparison(case, ["yours"])
    steps = zip(reference.steps(case), reference.steps(case, blocks=blocks), strict=True)
    for t, (truth, mistaken) in enumerate(itertools.islice(steps, SCAN_STEPS + 1)):
        if identical(truth, mistaken):
            continue  # nothing to compare (a mistake the case cannot see leaves every bit as it was)
        with np.errstate(all="ignore"):
            comparison.add(t, truth, {"yours": mistaken})
        if comparison.first:
            return True
    return False if blocks.called else None


def identical(one: Step, other: Step) -> bool:
    return one.values.keys() == other.values.keys() and all(
        np.array_equal(value, other.values[item]) for item, value in one.values.items())


def blind_spots(case: Case, functions: list[str] | None = None, folder: Path = CATALOG) -> list[BlindSpot]:
    """The catalog's mistakes in `functions` (all of them if None) that the case calls but cannot see."""
    blind = []
    for entry, replaced in _building_block_entries(folder):
        if functions is not None and not set(replaced) & set(functions):
            continue
        try:
            seen = sees(case, entry, folder)
        except reference.BlockError:
            seen = True  # the mistake breaks the run on this case: it shows
        if seen is False:
            blind.append(BlindSpot(entry, list(replaced)))
    return blind
