"""The two engines are built from the case alone: neither imports the other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> set[str]:
    names: set[str] = set()
    for file in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package,forbidden", [
    ("oracle", {"reference"}),
    ("reference", {"oracle", "torch"}),
])
def test_engine_does_not_import_the_other(package: str, forbidden: set[str]) -> None:
    found = imported_modules(package) & forbidden
    assert not found, f"{package}/ imports {sorted(found)}"


def test_reference_uses_only_numpy_and_the_standard_library() -> None:
    allowed = {"numpy", "cases", "reference", "math", "dataclasses", "collections", "typing", "itertools",
               "functools", "inspect", "__future__", "zlib", "importlib", "difflib", "types", "pathlib", "sys"}
    assert imported_modules("reference") <= allowed, imported_modules("reference") - allowed
