"""`python -m report [PATH ...] [--out DIR] [--only NAME ...] [--format csv,md,html,png] [--check]`

Exit codes: 0 every case agrees and reproduces its published numbers; 1 some case disagrees or
a published number is not reproduced; 2 some case file is invalid (the valid ones are still
run and written). `--check` does not change the code; it says in a script that you rely on it.
"""

import argparse
import sys
from pathlib import Path

from cases import DTYPES
from report.run import compare, exit_code
from report.write import DEFAULT_OUT, FORMATS, write_report


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m report",
        description="Run case files through the NumPy reference and the PyTorch oracle and write the comparison.",
        epilog="exit codes: 0 all agree; 1 a disagreement, an unreproduced published number or an engine error; 2 an invalid case file",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: the built-in cases/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"report folder (default: {DEFAULT_OUT.relative_to(DEFAULT_OUT.parent.parent)})")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only the cases with these names")
    parser.add_argument("--format", default=",".join(FORMATS), metavar="LIST",
                        help=f"comma-separated formats to write (default: {','.join(FORMATS)})")
    parser.add_argument("--dtype", choices=DTYPES, help="run every case in this precision")
    parser.add_argument("--check", action="store_true", help="exit 1 on any disagreement, 2 on an invalid file")
    arguments = parser.parse_args(argv)
    formats = [item.strip() for item in arguments.format.split(",") if item.strip()]
    unknown = [item for item in formats if item not in FORMATS]
    if unknown or not formats:
        parser.error(f"--format: expected a comma-separated list of {', '.join(FORMATS)}, got {arguments.format!r}")
    arguments.formats = formats
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    tables = compare(*arguments.paths, dtype=arguments.dtype, only=arguments.only, progress=True)
    ran = {r.case.name for r in tables.results} | {f.case.name for f in tables.failures}
    missing = sorted(set(arguments.only) - ran)
    out = write_report(tables, arguments.out, arguments.formats)
    for error in tables.errors:
        print(f"invalid: {error}", file=sys.stderr)
    for failure in tables.failures:
        print(f"DISAGREE  {failure.case.name}  {failure.message}")
    for row in tables.summary.itertuples():
        if row.verdict != "invalid" and row.compared:
            print(f"{row.verdict:9} {row.case}  ({row.compared} values, max {row.max_ulps:.0f} ulps, "
                  f"published {row.expectations_passed}/{row.expectations_total})"
                  + (f"  {row.message}" if row.message else ""))
    print(f"report written to {out}")
    if missing:
        print(f"--only: no valid case named {', '.join(repr(name) for name in missing)}", file=sys.stderr)
        return 2
    return exit_code(tables)


if __name__ == "__main__":
    sys.exit(main())
