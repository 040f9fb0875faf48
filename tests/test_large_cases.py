"""Large cases: above FULL_TABLE_LIMIT details keeps the disagreeing numbers only, --every-number
writes all of them to Parquet, and a case in a folder of its own runs with the default settings."""

from pathlib import Path

import numpy as np
import pandas as pd

import reference
from cases import Step, builtin, load_cases
from report.__main__ import main
from report.verify.run import run_case

ROOT = Path(__file__).resolve().parent.parent
CASE = builtin("mazur-2-2-2-train")


def planted(case, step: int, item: tuple[str, str], index: tuple[int, ...]) -> list[Step]:
    """The reference's recording with one number changed by 1 %."""
    steps = reference.run(case)
    values = dict(steps[step].values)
    values[item] = values[item].copy()
    values[item][index] *= 1.01
    steps[step] = Step(steps[step].batch, values)
    return steps


def test_a_large_case_keeps_only_the_disagreeing_numbers_and_streams_every_number() -> None:
    case = load_cases([CASE])[0][0]
    rows: list[pd.DataFrame] = []
    wrong = planted(case, 7, ("grad", "layers.0.weight"), (1, 0))
    result = run_case(case, witnesses=False, full_table=False, recorded={"yours": wrong}, every_number=rows.append)
    first = result.first_wrong["yours"]
    assert (first.step, first.quantity, first.key, first.index) == (7, "grad", "layers.0.weight", "1,0")
    assert first.consequences == 0  # recorded steps do not feed the planted value forward
    assert list(result.details[["step", "quantity", "param", "index"]].itertuples(index=False, name=None)) == \
        [(7, "grad", "layers.0.weight", "1,0")]
    assert result.details["yours_ok"].tolist() == [False] and result.details["ok"].tolist() == [True]
    everything = pd.concat(rows, ignore_index=True)
    assert len(rows) == case.steps + 1 and len(everything) == result.compared  # one batch of rows per step, all of them
    assert list(everything["step"].unique()) == list(range(case.steps + 1))
    assert int((~everything["yours_ok"].astype(bool)).sum()) == 1
    arrays = result.arrays.set_index(["quantity", "param", "witness"])
    assert arrays.loc[("grad", "layers.0.weight", "yours"), "disagreeing"] == 1
    assert arrays.loc[("grad", "layers.0.weight", "yours"), "first_disagreeing_step"] == 7
    assert arrays.loc[("grad", "layers.0.weight", "reference"), "disagreeing"] == 0


def test_every_number_in_parquet_is_details_csv_for_a_small_case(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([str(builtin("mazur-2-2-2-eta-0.1")), str(builtin("opt-adam")),
                 "--every-number", "--jobs", "2", "--out", str(out)]) == 0
    written = pd.read_parquet(out / "every-number")
    details = pd.read_csv(out / "details.csv", keep_default_na=False)  # "" is the empty key of loss, output, …
    assert sorted(p.name for p in (out / "every-number").iterdir()) == ["mazur-2-2-2-eta-0.1.parquet", "opt-adam.parquet"]
    columns = [c for c in written.columns]
    assert columns == [c for c in details.columns if not c.startswith(("finite_diff", "fd_"))]
    ordered = written.sort_values(["case", "step"], kind="stable").reset_index(drop=True)
    expected = details[columns].sort_values(["case", "step"], kind="stable").reset_index(drop=True)
    for column in columns:
        left, right = ordered[column].to_numpy(), expected[column].to_numpy()
        if left.dtype.kind == "f":
            np.testing.assert_array_equal(left, right.astype(np.float64), err_msg=column)
        else:
            assert [str(v) for v in left] == [str(v) for v in right], column
    marker = (out / ".backprop-report.json").read_text()
    assert "every-number/opt-adam.parquet" in marker  # the tool's own files: replaceable by the next run
