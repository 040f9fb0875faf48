"""Finding case files and reading them as text and TOML; every failure becomes one CaseError.

A case file is UTF-8 text (a leading byte-order mark is accepted) of at most
`MAX_CASE_FILE_BYTES`; larger data belongs in a CSV file beside it (`data.file`).
"""

import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cases.errors import CaseError

MAX_CASE_FILE_BYTES = 64 * 2**20


def shown_path(path: str | Path) -> str:
    """A path as a user would type it: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def case_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[CaseError]]:
    """The .toml files named by `paths` (files as given; folders searched recursively, sorted by file
    name, then by folder), and an error for each path that cannot be read."""
    files: list[Path] = []
    errors: list[CaseError] = []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            if not os.access(item, os.R_OK | os.X_OK):
                errors.append(CaseError(shown_path(item), "", "cannot read this folder (permission denied)"))
                continue
            found: list[Path] = []

            def unreadable(error: OSError, folder: Path = item) -> None:
                errors.append(CaseError(shown_path(error.filename or folder), "", f"cannot read this folder ({error.strerror})"))
            for root, dirs, names in os.walk(item, onerror=unreadable):
                dirs.sort()
                found.extend(Path(root) / name for name in names if name.endswith(".toml"))
            files.extend(sorted(found, key=lambda path: (path.name, path)))
        else:
            files.append(item)
    return files, errors


def read_text(path: Path, limit: int = MAX_CASE_FILE_BYTES) -> str:
    """The file's text, or a CaseError that says why it cannot be read."""
    shown = shown_path(path)
    try:
        if path.is_dir():
            raise CaseError(shown, "", "is a folder, not a case file")
        size = path.stat().st_size
        if size > limit:
            raise CaseError(shown, "", f"is {size / 2**20:.0f} MB; case files are limited to {limit // 2**20} MB "
                                       "(put large data in a CSV file beside it: data.file)")
        data = path.read_bytes()
    except OSError as error:
        raise CaseError(shown, "", f"cannot read the file ({error.strerror or error})") from None
    return decode(data, shown)


def decode(data: bytes, shown: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise CaseError(shown, "", "is a binary file, not TOML text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise CaseError(shown, "", f"is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
                                   "save it as UTF-8") from None


def parse_toml(text: str, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CaseError(shown, "", f"not valid TOML ({error})") from None
    except RecursionError:
        raise CaseError(shown, "", "not valid TOML for this tool (nested too deeply)") from None
