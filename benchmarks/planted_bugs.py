"""Plant classic bugs, one at a time, in a temporary copy of the committed code; run the whole
test suite on each and report whether it was caught and whether its first failure names the
place where the bug starts (a benchmark of the tests, run by hand, never by CI).

    .venv/bin/python benchmarks/planted_bugs.py [--all]    # about 15 minutes here

A bug is "located" when a failing test's summary line (its name and the first line of its
message) names the function, the option or the parameter the bug is in (the `where` words
below); that line is printed (else the first failure's); `--all` prints every failure's. Each
plant must match its line exactly once, so the script notices when the code it plants into has
changed.
"""

import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from suite import copy_of_main, require_a_passing_suite, run_suite


@dataclass(frozen=True)
class Bug:
    name: str
    file: str
    old: str
    new: str
    where: tuple[str, ...]  # words a message that locates it names (any of them)
    also: tuple[tuple[str, str, str], ...] = ()  # further (file, old, new) edits, e.g. a test removed


BUGS = [
    Bug("leaky_relu's default negative_slope 0.01 -> 0.2", "reference/activations.py",
        "def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.01)",
        "def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.2)", ("leaky_relu", "leaky relu"),
        (("reference/activations.py", "                        negative_slope: float = 0.01) -> np.ndarray:",
          "                        negative_slope: float = 0.2) -> np.ndarray:"),)),
    Bug("huber's default delta 1.0 -> 1.35", "reference/losses.py",
        "def huber_unreduced(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0)",
        "def huber_unreduced(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.35)", ("huber", "unreduced_loss"),
        (("reference/losses.py", "def huber(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0)",
          "def huber(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.35)"),
         ("reference/losses.py", "def huber_backward(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0)",
          "def huber_backward(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.35)"))),
    Bug("relu'(0) = 1, with the unit tests at 0 removed", "reference/activations.py",
        "    return np.where(x > 0, grad_out, 0)\n", "    return np.where(x >= 0, grad_out, 0)\n", ("relu",),
        (("tests/test_activations.py", "def test_relu_derivative_at_zero_is_zero_as_in_torch",
          "def _removed_relu_derivative_at_zero"),
         ("tests/test_activations.py", "    x[0, :3] = [0.0, 1.5, -1.5]", "    x[0, 1:3] = [1.5, -1.5]"))),
    Bug("the same shuffle every epoch", "cases/schedule.py",
        "            yield np.arange(self.samples) if generator is None else generator.permutation(self.samples)",
        "            yield np.arange(self.samples) if generator is None else "
        "np.random.default_rng(self.shuffle_seed).permutation(self.samples)", ("schedule", "shuffle", "rows")),
    Bug("a wrong init bound (xavier's 6 -> 3)", "cases/init.py",
        '        return init["gain"] * math.sqrt(6.0 / (fan_in + units))',
        '        return init["gain"] * math.sqrt(3.0 / (fan_in + units))', ("xavier", "bound", "init")),
    Bug("momentum buffer starting at 0", "reference/optimizers.py",
        '    if "momentum_buffer" not in state:\n        b = g.copy()',
        '    if "momentum_buffer" not in state:\n        b = momentum * np.zeros_like(g) + (1 - dampening) * g',
        ("momentum_buffer", "sgd_update")),
    Bug("the weight gradient transposed", "reference/dense.py",
        "    grad_weight = grad_out.T @ x\n", "    grad_weight = x.T @ grad_out\n", ("dense_backward", "grad_weight")),
]


def plant(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit(f"{file}: the line to plant into is found {text.count(old)} times; update this script")
    path.write_text(text.replace(old, new), encoding="utf-8")


def failures(output: str) -> tuple[int, list[str]]:
    """(number of failed tests, each failure's short-summary line: test id - first message line)."""
    failed = re.search(r"(\d+) failed", output)
    lines = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    return (int(failed.group(1)) if failed else len(lines)), lines


def main() -> None:
    every = "--all" in sys.argv[1:]
    require_a_passing_suite()
    print(f"{'bug':52} {'caught':>7}  {'located':>7}  first failure")
    caught = located = 0
    for bug in BUGS:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            copy_of_main(folder)
            plant(folder, bug.file, bug.old, bug.new)
            for file, old, new in bug.also:
                plant(folder, file, old, new)
            done = run_suite(folder, "-rfE", "--tb=line")
        count, lines = failures(done.stdout)
        is_caught = done.returncode != 0 and count > 0
        locating = [line for line in lines if any(word in line for word in bug.where)]  # the test's name or its message
        is_located = is_caught and bool(locating)
        line = (locating or lines or [""])[0]
        caught += is_caught
        located += is_located
        print(f"{bug.name:52} {('yes (' + str(count) + ')') if is_caught else 'NO':>7}  "
              f"{'yes' if is_located else 'no':>7}  {line[:400]}", flush=True)
        for other in lines if every else []:
            print(f"{'':70}{other[:300]}")
    print(f"{caught} of {len(BUGS)} caught, {located} located by a failing test's name or first message line")


if __name__ == "__main__":
    main()
