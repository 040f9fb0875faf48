"""The exit codes of `python -m report`, in one place (the command's help and docs/safety.md say the same)."""

AGREE = 0  # every case agrees and reproduces its published numbers; with --impl: every case that called yours
DISAGREE = 1  # a witness disagrees or a published number is not reproduced
INVALID = 2  # invalid input (a case file, --only, --impl) or a refused --out
INTERNAL = 3  # a bug of this tool: one line, the traceback in a log file
NOTHING_OF_YOURS_RAN = 4  # with --impl: no case called any of your functions, so nothing of yours was checked
CANNOT_WRITE = 5  # the report could not be written (a full disk, no permission, a read-only folder): the old one stands
INTERRUPTED = 130  # Ctrl-C or SIGTERM: temporary files removed, the previous report intact

SUMMARY = (f"{AGREE} all agree; {DISAGREE} a disagreement or an unreproduced published number; {INVALID} invalid input "
           f"or a refused --out; {INTERNAL} an internal error; {NOTHING_OF_YOURS_RAN} --impl: no case called any of your "
           f"functions; {CANNOT_WRITE} the report could not be written (disk full, no permission); {INTERRUPTED} interrupted")
