"""Issue 9's targets, measured in one run and printed as a table (a benchmark, never run by CI).

    .venv/bin/python benchmarks/scale.py            # everything (about five minutes here)
    .venv/bin/python benchmarks/scale.py --quick    # skips the 500-step case and the test suite

1. An MNIST-sized case (784-256-128-10, ReLU, cross-entropy on class indices, 256 seeded random
   rows, batch 64, 50 steps, every witness on): `python -m report` against torch alone training
   the same network from a cold start (its import included); peak memory of each; the same
   case at 500 steps.
2. The default report of the built-in cases, and `pytest -n auto`, each warm (run twice, the
   second timed).
3. Per step, the reference against torch on Mazur's 2-2-2 network and on the 784-256-128-10
   network, float64 and float32: torch on one thread (`torch.set_num_threads(1)`), NumPy's BLAS
   on one thread (`OPENBLAS_NUM_THREADS=1` etc. set before NumPy loads, in a fresh process),
   steps interleaved in blocks, the median over blocks. On the small network, also the floor:
   the same arithmetic with the reference's building blocks called directly.
Beside the default report, the same run without pictures (how much of it is drawing).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SIZES = (784, 256, 128, 10)
ROWS, BATCH = 256, 64


def write_mnist_case(folder: Path, steps: int, dtype: str = "float64") -> Path:
    """A case file and its CSV of seeded random 28×28 "images" with labels 0-9."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(784)
    pixels = generator.random((ROWS, SIZES[0])).round(3)
    labels = generator.integers(0, SIZES[-1], ROWS)
    columns = [f"p{i}" for i in range(SIZES[0])]
    with open(folder / "mnist.csv", "w", encoding="utf-8") as out:
        out.write(",".join(columns + ["label"]) + "\n")
        for row, label in zip(pixels, labels, strict=True):
            out.write(",".join(f"{v:g}" for v in row) + f",{label}\n")
    layers = "\n".join(f'[[model.layers]]\nunits = {units}\nactivation = "{"relu" if i < 2 else "identity"}"\n'
                       for i, units in enumerate(SIZES[1:]))
    case = folder / f"mnist-{steps}.toml"
    case.write_text(f'''name = "mnist-784-256-128-10-{steps}"
title = "An MNIST-sized network on seeded random images, {steps} steps"
dtype = "{dtype}"

[model]
inputs = {SIZES[0]}

[model.init]
seed = 7
scheme = "kaiming_uniform"

{layers}
[data]
file = "mnist.csv"
input_columns = {columns!r}
target_columns = ["label"]

[loss]
name = "cross_entropy"

[training]
optimizer = "sgd"
learning_rate = 0.01
steps = {steps}
batch_size = {BATCH}
'''.replace("'", '"'), encoding="utf-8")
    return case


TORCH_ALONE = """
import time, sys
started = float(sys.argv[2])
import numpy as np, pandas as pd, torch
frame = pd.read_csv(sys.argv[1])
x = torch.from_numpy(frame.drop(columns="label").to_numpy(np.float64))
y = torch.from_numpy(frame["label"].to_numpy(np.int64))
torch.manual_seed(7)
model = torch.nn.Sequential(torch.nn.Linear(784, 256, dtype=torch.float64), torch.nn.ReLU(),
                            torch.nn.Linear(256, 128, dtype=torch.float64), torch.nn.ReLU(),
                            torch.nn.Linear(128, 10, dtype=torch.float64))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
loss_function = torch.nn.CrossEntropyLoss()
for step in range(int(sys.argv[3])):
    rows = slice((step * 64) % 256, (step * 64) % 256 + 64)
    optimizer.zero_grad()
    loss = loss_function(model(x[rows]), y[rows])
    loss.backward()
    optimizer.step()
print(time.time() - started)
"""


def timed_child(arguments: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak resident MB of the largest process, output) of a command, in a fresh process."""
    probe = ("import resource, subprocess, sys, time; started = time.perf_counter(); "
             "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
             "done.returncode); print(done.stdout[-2000:] + done.stderr[-2000:], file=sys.stderr)")
    done = subprocess.run([PYTHON, "-c", probe, *arguments], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    seconds, megabytes, code = done.stdout.split()
    return float(seconds), float(megabytes), f"exit {code}" + ("" if code in ("0", "1") else ": " + done.stderr)


PER_STEP = """
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, torch
torch.set_num_threads(1)
import oracle, reference
from cases import builtin, load_cases
def blocks_alone(case):
    # The reference's arithmetic for a dense network and a loss on y_hat, its building blocks
    # called directly, without the network loop, its checks or its recording: a step's floor.
    from reference.blocks import REFERENCE as b, loss_stem
    params = {name: value.copy() for name, value in case.parameters().items()}
    loss, rows = loss_stem(case.loss), next(iter(case.schedule))
    x, y = case.x[rows], case.targets[rows]
    while True:
        inputs, zs, activations, a = [], [], [], x
        for i, layer in enumerate(case.layers):
            inputs.append(a)
            zs.append(b["dense_forward"](a, params[f"layers.{i}.weight"], params[f"layers.{i}.bias"]))
            a = b[f"{layer.activation}_forward"](zs[-1])
            activations.append(a)
        b[f"{loss}_unreduced"](a, y), b[loss](a, y)
        grad_a = b[f"{loss}_backward"](a, y)
        grads = {}
        for i in range(len(case.layers) - 1, -1, -1):
            grad_z = b[f"{case.layers[i].activation}_backward"](grad_a, zs[i], activations[i])
            grad_a, grads[f"layers.{i}.weight"], grads[f"layers.{i}.bias"] = b["dense_backward"](
                grad_z, inputs[i], params[f"layers.{i}.weight"])
        for name in params:
            params[name], _ = b[f"{case.optimizer}_update"](params[name], grads[name], {}, **case.optimizer_options)
        yield


for path in sys.argv[2:]:
    for dtype in ("float64", "float32"):
        case = load_cases([path])[0][0].with_dtype(dtype)
        engines = {"reference": reference.steps(case), "torch": oracle.steps(case)}
        if case.inputs < 10:
            engines["blocks alone"] = blocks_alone(case)
        block = 200 if case.inputs < 10 else 5
        times = {name: [] for name in engines}
        for _ in range(min(case.steps // block, 9)):
            for name, engine in engines.items():
                started = time.perf_counter()
                for _ in range(block):
                    next(engine)
                times[name].append((time.perf_counter() - started) / block)
        ours, torch_s = (statistics.median(times[n]) for n in ("reference", "torch"))
        alone = statistics.median(times["blocks alone"]) if "blocks alone" in times else float("nan")
        print(f"{case.name}|{dtype}|{ours}|{torch_s}|{alone}")
"""


def per_step(paths: list[Path]) -> list[tuple[str, str, float, float, float]]:
    one = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([PYTHON, "-c", PER_STEP, str(ROOT), *map(str, paths)], capture_output=True, text=True,
                          env={**os.environ, **one}, check=True)
    return [(name, dtype, float(ours), float(theirs), float(alone))
            for name, dtype, ours, theirs, alone in (line.split("|") for line in done.stdout.split())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 500-step case and the test suite")
    quick = parser.parse_args().quick
    rows: list[tuple[str, str, str, str]] = []  # (measure, value, target, holds)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        case = write_mnist_case(folder / "mnist", 50)
        out = folder / "out"
        torch_s = float(subprocess.run([PYTHON, "-c", TORCH_ALONE, str(folder / "mnist" / "mnist.csv"),
                                        str(time.time()), "50"], capture_output=True, text=True, check=True).stdout)
        report_s, report_mb, status = timed_child([PYTHON, "-m", "report", str(case), "--out", str(out)])
        rows.append(("torch alone, MNIST-sized, 50 steps (import included)", f"{torch_s:.1f} s", "", ""))
        rows.append(("python -m report, the same case, every witness", f"{report_s:.1f} s ({status})",
                     f"≤ 4 × torch = {4 * torch_s:.1f} s", "yes" if report_s <= 4 * torch_s else "NO"))
        rows.append(("  its peak memory", f"{report_mb:,.0f} MB", "< 1,500 MB", "yes" if report_mb < 1500 else "NO"))
        if not quick:
            long_case = write_mnist_case(folder / "mnist", 500)
            long_s, long_mb, status = timed_child([PYTHON, "-m", "report", str(long_case), "--out", str(folder / "out500")])
            rows.append(("python -m report, 500 steps", f"{long_s:.1f} s ({status})", "", ""))
            rows.append(("  its peak memory", f"{long_mb:,.0f} MB", "< 1,500 MB", "yes" if long_mb < 1500 else "NO"))
        builtin = folder / "builtin"
        for _ in range(2):
            builtin_s, builtin_mb, status = timed_child([PYTHON, "-m", "report", "--out", str(builtin)])
        rows.append(("default report, built-in cases (warm)", f"{builtin_s:.1f} s ({status})", "< 12 s",
                     "yes" if builtin_s < 12 else "NO"))
        bare_s, _, status = timed_child([PYTHON, "-m", "report", "--out", str(builtin), "--format", "csv,md,html"])
        rows.append(("  the same without pictures (--format csv,md,html)", f"{bare_s:.1f} s ({status})", "", ""))
        if not quick:
            for _ in range(2):
                tests_s, _, status = timed_child([PYTHON, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider"])
            rows.append(("pytest -n auto (warm)", f"{tests_s:.1f} s ({status})", "< 20 s", "yes" if tests_s < 20 else "NO"))
        for name, dtype, ours, theirs, alone in per_step([builtin("mazur-2-2-2-eta-0.5-10000"), case]):
            ratio = theirs / ours
            target = 10 if name.startswith("mazur") else 1
            rows.append((f"per step, {name}, {dtype}: reference / torch", f"{ours * 1e6:,.0f} / {theirs * 1e6:,.0f} µs",
                         f"torch ≥ {target} × reference", f"yes ({ratio:.1f} ×)" if ratio >= target else f"NO ({ratio:.1f} ×)"))
            if alone == alone:  # not NaN
                rows.append(("  the reference's blocks called directly, no network loop", f"{alone * 1e6:,.0f} µs",
                             "", f"({theirs / alone:.1f} ×)"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':{width}}  {'value':>24}  {'target':>24}  holds")
    for measure, value, target, holds in rows:
        print(f"{measure:{width}}  {value:>24}  {target:>24}  {holds}")


if __name__ == "__main__":
    main()
