"""The house's arrows, read from every import of every module (functions' own imports included):

    cases  <-  reference (NumPy only)          the engines are built from the case alone:
    cases  <-  oracle (torch)                  neither imports the other
    cases, reference  <-  mistakes             the classic mistakes are the reference called the wrong way
    engines, mistakes  <-  report/verify       runs them, compares, explains
    report/verify  <-  report/write            reads what the verifier computed; never the reverse,
                                               and no math of its own (no engine, no mistakes)
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(folder: str) -> dict[str, set[str]]:
    """Each module under `folder` -> the modules it imports (full dotted names, relative ones resolved)."""
    found: dict[str, set[str]] = {}
    for file in (ROOT / folder).rglob("*.py"):
        if "output" in file.relative_to(ROOT).parts[:-1]:
            continue
        module = ".".join(file.relative_to(ROOT).with_suffix("").parts)
        names: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[module] = names
    return found


def reaching(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """'module imports name' for every import under `folder` of a module in `forbidden` or below it."""
    return sorted(f"{module} imports {name}" for module, names in imported_modules(folder).items() for name in names
                  if any(name == f or name.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("folder,forbidden", [
    ("cases", ("reference", "oracle", "report", "mistakes", "torch")),
    ("oracle", ("reference", "report", "mistakes")),
    ("reference", ("oracle", "torch", "report", "mistakes")),
    ("mistakes", ("oracle", "torch", "report")),
    ("report/verify", ("report.write",)),
    ("report/write", ("torch", "oracle", "mistakes", "reference.dense", "reference.layers", "reference.recurrent",
                      "reference.activations", "reference.losses", "reference.optimizers", "reference.tape",
                      "reference.composites", "reference.network", "reference.training")),
], ids=lambda value: value if isinstance(value, str) else "")
def test_an_arrow_points_one_way(folder: str, forbidden: tuple[str, ...]) -> None:
    found = reaching(folder, forbidden)
    assert not found, "\n".join(found)


def test_the_reference_uses_only_numpy_and_the_standard_library() -> None:
    allowed = {"numpy", "cases", "reference", "math", "dataclasses", "collections", "typing", "itertools",
               "functools", "inspect", "__future__", "zlib", "importlib", "difflib", "types", "pathlib", "sys"}
    used = {name.split(".")[0] for names in imported_modules("reference").values() for name in names}
    assert used <= allowed, used - allowed


def test_the_arrows_can_be_seen_broken(tmp_path, monkeypatch) -> None:
    """The test above is not empty: a verifier module that imports the writer is reported."""
    (tmp_path / "report" / "verify").mkdir(parents=True)
    (tmp_path / "report" / "verify" / "bad.py").write_text("from report.write.html import summary_table\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert reaching("report/verify", ("report.write",)) == ["report.verify.bad imports report.write.html",
                                                             "report.verify.bad imports report.write.html.summary_table"]
