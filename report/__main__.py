"""`backprop-report [PATH ...] [--out DIR] [--only NAME ...] [--impl FILE] [--format LIST] [--dtype float32]
[--digits N] [--jobs N] [--every-number]`

Exit codes: 0 every case agrees and reproduces its published numbers (with --impl: every case that
called a function of yours agrees); 1 some case disagrees or a published number is not reproduced;
2 invalid input (a case file, an unknown --only name, no case found, an unusable --impl) or a refused
--out; 3 an internal error (traceback in a log file); 4 with --impl, no case called any of your
functions: nothing of yours was checked; 5 the report could not be written (a full disk, no
permission, a read-only folder: one line, the previous report intact); 130 interrupted (Ctrl-C or
SIGTERM: temporary files removed, the previous report intact). report/exits.py holds them.
"""

import argparse
import errno
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

try:  # a Ctrl-C while these load (pandas, NumPy: a third of a second) is one line too; nothing is written yet
    from cases import BUILTIN_CASES, DTYPES, case_files, did_you_mean, load_cases
    from reference.plugin import PluginError
    from report import exits
    from report.verify.guest import TIME_LIMIT
    from report.verify.parallel import default_jobs, start_forkserver
    from report.write.every_number import available as every_number_available
    from report.write.folder import DEFAULT_OUT, PARTIAL_OUT, OutputRefused, ReportFolder, check_out, write_error_log
    from report.write.format import DIGITS, FORMATS, fraction
except KeyboardInterrupt:
    print("interrupted: nothing was written", file=sys.stderr)
    sys.exit(130)

# Imported in run(), once the cases are loaded and the worker processes have been started, so that
# their imports and this process's (torch, matplotlib: seconds) run at the same time:
# report.verify.catalog, report.verify.tables, report.write.output.

PROJECT_FOLDERS = [Path(__file__).resolve().parent.parent / name for name in ("cases", "reference", "oracle", "report")]
EXIT_CODES = exits.SUMMARY


CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}  # a folder that takes no more


class InvalidInput(Exception):
    """Nothing to run: one line per problem."""

    def __init__(self, *lines: str) -> None:
        self.lines = lines
        super().__init__("; ".join(lines))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=Path(sys.argv[0]).name if Path(sys.argv[0]).name == "backprop-report" else "python -m report",
        description="Run case files through the NumPy reference and the PyTorch oracle and write the comparison.",
        epilog=f"exit codes: {EXIT_CODES}",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: the built-in cases/)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="report folder (default: report/output/ for the built-in cases, "
                             "./backprop-report/ when PATHs or --only are given)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only the cases with these names")
    parser.add_argument("--format", default=",".join(FORMATS), metavar="LIST",
                        help=f"comma-separated formats to write (default: {','.join(FORMATS)})")
    parser.add_argument("--dtype", choices=DTYPES, help="run every case in this precision")
    parser.add_argument("--impl", metavar="FILE_OR_MODULE",
                        help="your own implementation (any subset of the building blocks) as a third engine; "
                             "the exit code then judges yours against torch")
    parser.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                        help=f"cases run at a time, each in its own process (default: every core, here {default_jobs()}); "
                             "the report is the same whatever N")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT, metavar="SECONDS",
                        help=f"seconds your code (--impl) may run on one case, summed over its steps (default {TIME_LIMIT:g}); "
                             "past it the case's yours is an error naming the function, and the run goes on")
    parser.add_argument("--every-number", action="store_true",
                        help="also write every compared number of every step, one Parquet file per case, to "
                             "every-number/ (details.csv keeps only the disagreeing ones of a large case); needs pyarrow")
    parser.add_argument("--digits", type=int, default=DIGITS, metavar="N",
                        help=f"significant digits of the numbers on the pages (default {DIGITS}; the CSV files keep every digit)")
    arguments = parser.parse_args(argv)
    formats = [item.strip() for item in arguments.format.split(",") if item.strip()]
    unknown = [item for item in formats if item not in FORMATS]
    if unknown or not formats:
        parser.error(f"--format: expected a comma-separated list of {', '.join(FORMATS)}, got {arguments.format!r}")
    arguments.formats = formats
    if not arguments.time_limit > 0:
        parser.error(f"--time-limit: expected a number of seconds > 0, got {arguments.time_limit:g}")
    if arguments.jobs < 1:
        parser.error(f"--jobs: expected a whole number of at least 1, got {arguments.jobs}")
    return arguments


def select(arguments: argparse.Namespace):
    """The cases to run and the invalid files, checked before anything runs."""
    paths = [Path(p) for p in arguments.paths] or [BUILTIN_CASES]
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or folder")
    cases, errors = load_cases(paths)
    if not cases and not errors:
        raise InvalidInput(f"no case files (*.toml) found in {', '.join(str(p) for p in paths)}")
    if arguments.only:
        names = [case.name for case in cases]
        unknown = [name for name in arguments.only if name not in names]
        if unknown:
            raise InvalidInput("; ".join(f"--only: no valid case named {name!r}{did_you_mean(name, names)}"
                                         for name in unknown))
        cases = [case for case in cases if case.name in arguments.only]
        errors = []
    if not cases:  # every file is invalid: each problem is one line, nothing is written
        raise InvalidInput(*[line for error in errors for line in error.lines()])
    return cases, errors, paths


def load(source: str, limit: float):
    """What your implementation defines, found in a watched worker (report/verify/guest.py), or
    InvalidInput with one line per problem."""
    from report.verify.guest import probe

    try:
        return probe(source, limit)
    except PluginError as error:
        raise InvalidInput(*error.lines) from None


def default_out(arguments: argparse.Namespace) -> Path:
    return PARTIAL_OUT if (arguments.paths or arguments.only) else DEFAULT_OUT


def run(arguments: argparse.Namespace) -> int:
    if arguments.every_number and not every_number_available():
        raise InvalidInput("--every-number writes Parquet files through pyarrow, which is not installed: "
                           "pip install pyarrow (or the project's [parquet] extra)")
    cases, errors, paths = select(arguments)
    out = arguments.out if arguments.out is not None else default_out(arguments)
    inputs = case_files(paths)[0] + [case.data_file for case in cases if case.data_file is not None]
    check_out(out, inputs, protected=PROJECT_FOLDERS)
    if min(arguments.jobs, len(cases)) > 1 or arguments.impl:
        start_forkserver(also=("report.write.output",))  # the workers write each case's page
    implementation = load(arguments.impl, arguments.time_limit) if arguments.impl else None
    from report.verify.catalog import check_all
    from report.verify.tables import exercised_by, exit_code, run_cases
    from report.verify.tolerances import PUBLISHED_ULPS
    from report.write.output import CaseWriter, detail_columns, write_report
    with ReportFolder(out) as folder:
        writer = CaseWriter(folder.staging, folder.out, frozenset(arguments.formats), arguments.digits,
                            detail_columns(witnesses=True, implementation=implementation is not None),
                            every_number=arguments.every_number)
        whole = not (arguments.paths or arguments.only or arguments.impl or arguments.dtype)
        tables = run_cases(cases, errors, dtype=arguments.dtype, progress=True,
                           implementation=None if implementation is None else implementation.source, jobs=arguments.jobs,
                           writer=writer, blind_spots=whole, time_limit=arguments.time_limit)
        catalog = check_all(jobs=arguments.jobs) if whole else None
        write_report(tables, folder, arguments.formats, arguments.digits, catalog, writer)
        folder.commit()
    for line in (line for error in tables.errors for line in error.lines()):
        print(f"invalid: {line}", file=sys.stderr)
    for failure in tables.failures:
        print(f"DISAGREE  {failure.case.name}  {failure.message}")
    for row in tables.summary.itertuples():
        if row.verdict != "invalid" and row.compared:
            print(f"{row.verdict:9} {row.case}  ({row.compared:,} values, max {row.max_ulps:.0f} ulps, "
                  f"published {fraction(row.expectations_passed, row.expectations_total)}"
                  + (f", {row.expectations_to_ulps} to {PUBLISHED_ULPS} ulps" if row.expectations_to_ulps else "") + ")"
                  + (f"  yours: {row.yours_verdict}" if implementation else "")
                  + (f"  {row.message}" if row.message else ""))
    if implementation is not None:
        for line in exercised_lines(implementation.source, exercised_by(tables, sorted(implementation.functions))):
            print(line)
        if implementation.helpers:
            print(f"--impl {implementation.source}: not building blocks, not used: {', '.join(implementation.helpers)}")
    print(f"report written to {out}")
    return exit_code(tables)


def exercised_lines(source: str, called_by: dict[str, list[str]]) -> list[str]:
    """Which cases called each of your functions; a function no case called; nothing of yours run at all."""
    if not any(called_by.values()):
        return [f"--impl {source}: no case called any of your functions ({', '.join(called_by)}): nothing of yours "
                f"was checked (exit {exits.NOTHING_OF_YOURS_RAN}); run cases that use them"]
    lines = []
    for name, cases in called_by.items():
        shown = ", ".join(cases[:6]) + (f", … ({len(cases)} cases)" if len(cases) > 6 else "")
        lines.append(f"--impl {source}: {name}: " + (f"called by {shown}" if cases else "called by no case: not checked"))
    return lines


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    out = arguments.out if arguments.out is not None else default_out(arguments)
    try:
        return run(arguments)
    except KeyboardInterrupt:
        print(f"interrupted: nothing was written; {out} is as it was", file=sys.stderr)
        return exits.INTERRUPTED
    except OutputRefused as error:
        print(f"refused: {error}", file=sys.stderr)
        return exits.INVALID
    except InvalidInput as error:
        for line in error.lines:
            print(f"invalid: {line}", file=sys.stderr)
        return exits.INVALID
    except Exception as error:  # a bug of this tool: one line here, the traceback in a file
        if isinstance(error, OSError) and error.errno in CANNOT_WRITE:  # the disk, not a bug: the old report stands
            where = f"{error.filename}: " if error.filename else ""
            print(f"cannot write the report: {where}{error.strerror}; {out} is as it was, nothing was added to it",
                  file=sys.stderr)
            return exits.CANNOT_WRITE
        log = write_error_log(out, traceback.format_exc(), PROJECT_FOLDERS) or _temporary_log(traceback.format_exc())
        print(f"internal error: {type(error).__name__}: {error} (traceback in {log})", file=sys.stderr)
        return exits.INTERNAL
    finally:
        signal.signal(signal.SIGTERM, previous)


def _temporary_log(text: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"backprop-report-error-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
