"""The report folder: checked before anything runs, written aside, swapped in atomically.

The tool replaces a folder only if it provably wrote it: every report folder holds a marker file
(`MARKER`) listing the files the tool wrote there. A folder is replaced only when it is empty, or
when it carries a valid marker and holds no file the marker does not list. Everything else —
files, symbolic links, the working folder, a git repository, `/`, the home folder, a folder
that contains an input case file — is refused with one line before any case runs.

Writing: a hidden staging folder beside the target (`.NAME.staging-…`), then one atomic
exchange of the two paths (Linux `renameat2(RENAME_EXCHANGE)`), so there is no moment at which
the target is missing; the old report, now at the staging path, is then removed file by file
from its own list. A lock file beside the target (`.NAME.lock`) refuses a second run on the same
folder while the first is running. Staging folders left by a killed run are removed by the next
run, since they carry the marker too.
"""

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import tempfile
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "output"  # report/output
PARTIAL_OUT = Path("backprop-report")  # in the working folder: a partial run never replaces the built-in report
MARKER = ".backprop-report.json"
TOOL = "backprop-reference report"
STAGING = ".{name}.staging-"
LOCK = ".{name}.lock"
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


class OutputRefused(Exception):
    """--out cannot be used: the message is one line that says why."""


def _marker(folder: Path) -> dict | None:
    """The marker's content if `folder` carries a valid one, else None."""
    try:
        content = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("tool") != TOOL or not isinstance(content.get("files"), list):
        return None
    return content


def _files_in(folder: Path) -> list[str]:
    """Every file and link below `folder`, as relative POSIX paths."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in files + [d for d in dirs if (Path(root) / d).is_symlink()]:
            found.append((Path(root) / name).relative_to(folder).as_posix())
    return sorted(found)


def foreign_files(folder: Path) -> list[str]:
    """Files in `folder` that its marker does not list (all of them if there is no marker)."""
    present = [f for f in _files_in(folder) if f != MARKER]
    marker = _marker(folder)
    listed = set(marker["files"]) if marker else set()
    return [f for f in present if f not in listed]


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_out(out: Path, inputs: list[Path], protected: list[Path] = ()) -> Path:
    """Refuse an --out that the tool must not replace; return it resolved.

    `inputs` are the case files of this run (and their data files); `protected` are folders
    that must never be replaced or contain the report (the project's own folders).
    """
    shown = str(out)
    if out.is_symlink():
        raise OutputRefused(f"--out {shown}: is a symbolic link; give a folder path")
    if out.exists() and not out.is_dir():
        raise OutputRefused(f"--out {shown}: is a file, not a folder; the report is written into a folder")
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        raise OutputRefused(f"--out {shown}: is the root folder")
    if resolved == Path.home().resolve():
        raise OutputRefused(f"--out {shown}: is your home folder")
    cwd = Path.cwd().resolve()
    if _is_within(cwd, resolved):
        raise OutputRefused(f"--out {shown}: is or contains the working folder; choose a new folder such as ./backprop-report")
    for folder in protected:
        if _is_within(Path(folder).resolve(), resolved):
            raise OutputRefused(f"--out {shown}: contains {folder}, part of this project")
    for file in inputs:
        if _is_within(Path(file).resolve(), resolved):
            raise OutputRefused(f"--out {shown}: contains the input file {file}; write the report elsewhere")
    if resolved.exists():
        if (resolved / ".git").exists():
            raise OutputRefused(f"--out {shown}: is a git repository")
        foreign = foreign_files(resolved)
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise OutputRefused(f"--out {shown}: holds files this tool did not write ({', '.join(foreign[:3])}{more}); "
                                "the report replaces only an empty folder or a report it wrote itself")
    return resolved


def _rename(source: Path, target: Path, flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), str(target))


def _has_renameat2() -> bool:
    return hasattr(ctypes.CDLL(None), "renameat2")


def remove_report(folder: Path) -> None:
    """Remove a folder the tool wrote: only the files its marker lists, then empty folders.

    Anything else found inside is left where it is, and the folder with it.
    """
    marker = _marker(folder)
    if marker is None:  # an empty folder the report replaced, or not ours: rmdir refuses a full one
        try:
            folder.rmdir()
        except OSError:
            pass
        return
    for relative in marker["files"]:
        path = folder / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
    (folder / MARKER).unlink(missing_ok=True)
    for root, dirs, _ in sorted(os.walk(folder, topdown=False), key=lambda item: -len(item[0])):
        for name in dirs:
            try:
                (Path(root) / name).rmdir()
            except OSError:
                pass
    try:
        folder.rmdir()
    except OSError:
        pass


def remove_staging(folder: Path) -> None:
    """Remove a staging folder of this tool's (its marker says so) with everything in it, the marker last:
    a removal cut short leaves a folder the next run still recognises as its own and removes."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            if Path(root) != folder or name != MARKER:
                (Path(root) / name).unlink()
        for name in dirs:
            path = Path(root) / name
            path.unlink() if path.is_symlink() else path.rmdir()
    (folder / MARKER).unlink(missing_ok=True)
    folder.rmdir()


class ReportFolder:
    """Write a report into a staging folder, then swap it into place at `out`.

        with ReportFolder(out) as folder:       # takes the lock; refuses a concurrent run
            folder.write_text("summary.md", text)
            folder.commit()                      # marker, then the atomic swap

    Leaving the block without `commit()` (an error, Ctrl-C) removes the staging folder and
    leaves `out` exactly as it was.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.staging: Path | None = None
        self.written: list[str] = []
        self._lock: int | None = None
        self._lock_path = self.out.parent / LOCK.format(name=self.out.name)

    # ---- lock -----------------------------------------------------------------------------

    def _acquire(self) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        while True:
            descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(descriptor)
                if error.errno in (errno.EAGAIN, errno.EACCES):
                    raise OutputRefused(f"--out {self.out}: another report run is writing there now; "
                                        "wait for it to finish or choose another --out") from None
                raise
            try:  # the file may have been unlinked by the previous holder between open and lock
                same = os.fstat(descriptor).st_ino == os.stat(self._lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(descriptor, 0)
                os.write(descriptor, f"{os.getpid()}\n".encode())
                self._lock = descriptor
                return
            os.close(descriptor)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock_path.unlink(missing_ok=True)
            os.close(self._lock)
            self._lock = None

    # ---- staging --------------------------------------------------------------------------

    def _remove_stale_staging(self) -> None:
        """Staging folders of earlier runs on this --out that were killed (we hold the lock)."""
        prefix = STAGING.format(name=self.out.name)
        for path in self.out.parent.glob(prefix + "*"):
            if not path.is_dir() or path.is_symlink():
                continue
            marker = _marker(path)
            if marker is None:  # killed before it wrote its marker: ours only if still empty (rmdir refuses otherwise)
                with contextlib.suppress(OSError):
                    path.rmdir()
            elif marker.get("state") == "staging":
                remove_staging(path)
            else:
                remove_report(path)

    def __enter__(self) -> "ReportFolder":
        self._acquire()
        try:
            self._remove_stale_staging()
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING.format(name=self.out.name), dir=self.out.parent))
            self._write_marker("staging")
        except BaseException:
            self._release()
            raise
        return self

    def _write_marker(self, state: str) -> None:
        content = {"tool": TOOL, "state": state, "files": sorted(self.written)}
        (self.staging / MARKER).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")

    def path(self, relative: str) -> Path:
        """Where to write `relative` (a POSIX path inside the report); recorded in the marker."""
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative not in self.written:
            self.written.append(relative)
        return target

    def write_text(self, relative: str, text: str) -> None:
        self.path(relative).write_text(text, encoding="utf-8")

    def adopt(self, written: list[str]) -> None:
        """Record files written into the staging folder by another process."""
        self.written.extend(name for name in written if name not in self.written)

    def commit(self) -> Path:
        """Swap the finished report into place; remove the report it replaces."""
        os.chmod(self.staging, 0o755)
        self._write_marker("report")
        if self.out.exists():
            refused = foreign_files(self.out)
            if refused:  # a file appeared since the check: keep everything as it is
                raise OutputRefused(f"--out {self.out}: a file this tool did not write appeared while it ran "
                                    f"({refused[0]}); nothing was replaced")
            if _has_renameat2():
                _rename(self.staging, self.out, _RENAME_EXCHANGE)
            else:  # not Linux: a short moment without --out, the old report kept until the new one is in
                old = self.staging.with_name(self.staging.name + "-old")
                self.out.rename(old)
                self.staging.rename(self.out)
                self.staging = old
            remove_report(self.staging)
        elif _has_renameat2():
            _rename(self.staging, self.out, _RENAME_NOREPLACE)
        else:
            self.staging.rename(self.out)
        self.staging = None
        return self.out

    def __exit__(self, *exc) -> None:
        try:
            if self.staging is not None and self.staging.exists():
                remove_staging(self.staging)
        finally:
            self._release()


def write_error_log(out: Path, text: str, protected: list[Path] = ()) -> Path | None:
    """Write `error.log` into the report folder when the tool may write there; else None."""
    try:
        check_out(out, [], protected)
        out.mkdir(parents=True, exist_ok=True)
        marker = _marker(out) or {"tool": TOOL, "state": "report", "files": []}
        (out / "error.log").write_text(text, encoding="utf-8")
        marker["files"] = sorted(set(marker["files"]) | {"error.log"})
        (out / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        return out / "error.log"
    except (OSError, OutputRefused):
        return None
