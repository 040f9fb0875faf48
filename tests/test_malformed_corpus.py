"""A corpus of malformed case files (tests/malformed/, expected.json says what each must say):
alone, each gives exit 2 and one line naming the file and the field, within seconds, and writes
nothing; together, beside a valid case, each is listed invalid and the valid case is still reported."""

import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from cases import builtin
from report.__main__ import main

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "malformed"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
VALID = (builtin("seed-linear-60x")).read_text(encoding="utf-8")


def test_the_corpus_is_large_enough() -> None:
    assert len(EXPECTED) >= 40
    assert {p.name for p in CORPUS.glob("*.toml")} == set(EXPECTED)


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_malformed_file_alone_gives_one_line_and_exit_2(file: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    started = time.perf_counter()
    assert main([str(CORPUS / file), "--out", str(out)]) == 2
    assert time.perf_counter() - started < 5
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    field, fragment = EXPECTED[file]
    assert lines[0].startswith("invalid: ") and f"{file}: " in lines[0], lines[0]
    if field:
        assert f"{file}: {field}: " in lines[0], lines[0]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in lines[0] and not out.exists()


def test_every_malformed_file_together_beside_a_valid_case(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "cases"
    shutil.copytree(CORPUS, folder)
    (folder / "expected.json").unlink()
    (folder / "zz-valid.toml").write_text(VALID, encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("invalid: ")]
    assert sorted(line.split(": ")[1].rsplit("/", 1)[-1] for line in lines) == sorted(EXPECTED)
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False).set_index("case")
    assert summary.loc["seed-linear-60x", "verdict"] == "agree"
    assert (summary["verdict"] == "invalid").sum() == len(EXPECTED)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert main([str(path), "--out", str(tmp_path / "out")]) == 0


def test_a_folder_named_like_a_case_file_is_searched_not_read(tmp_path: Path, capsys) -> None:
    (tmp_path / "folder.toml").mkdir()
    assert main([str(tmp_path / "folder.toml"), "--out", str(tmp_path / "out")]) == 2
    assert "no case files (*.toml) found" in capsys.readouterr().err
