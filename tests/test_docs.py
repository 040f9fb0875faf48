"""The manual holds together: the README stays short, its quick start is the command CI runs, and
every relative link in the README and docs/ leads to a file that exists (and to a heading there,
when it names one)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def prose(text: str) -> list[str]:
    """The lines of a Markdown text outside its fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a page: lower case, punctuation dropped, spaces to
    hyphens, a repeated heading numbered -1, -2, …"""
    found: set[str] = set()
    for line in prose(page.read_text(encoding="utf-8")):
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            numbered, n = slug, 0
            while numbered in found:
                n += 1
                numbered = f"{slug}-{n}"
            found.add(numbered)
    return found


def relative_links(page: Path) -> list[str]:
    return [target for line in prose(page.read_text(encoding="utf-8")) for target in LINK.findall(line)
            if not re.match(r"[a-z]+:", target)]


def test_the_readme_is_at_most_250_lines() -> None:
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= 250, f"README.md has {lines} lines: move the detail to docs/ and link to it"


def test_the_readmes_second_quick_start_command_is_the_one_ci_runs() -> None:
    """The first two shell blocks naming pip install or python are the quick start (a fresh-clone
    check runs them as they stand)."""
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    first, second = [b.strip() for b in blocks if "pip install" in b or "python" in b][:2]
    assert first.endswith("-m report") and "pip install" in first, first
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines(), second


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_page_of_the_manual_is_linked_from_the_readme() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README)}
    assert not [page.name for page in PAGES[1:] if page not in linked]


def table_keys(page: str) -> set[str]:
    """The first cell of every table row of a page in docs/."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return {cells.group(1).strip(" `") for cells in re.finditer(r"^\| ([^|]+) \|", text, re.M)} - {"code", "limit", "---"}


def test_the_safety_page_lists_every_exit_code_and_limit() -> None:
    from cases.limits import LIMITS
    from report import exits

    codes = {str(value) for name, value in vars(exits).items() if name.isupper() and isinstance(value, int)}
    assert codes | set(LIMITS) == table_keys("safety.md")
