"""Finite differences as a witness: sensitive where a gradient is wrong, silent where the loss's
rounding is all there is to see (reference/finite_differences.py, report/verify/tolerances.py)."""

import json
from pathlib import Path

import numpy as np
import pytest
import tomli_w
import torch

import oracle
from cases import Step, builtin, load_case, loads_case
from reference.finite_differences import central_differences
from report.verify import differences
from report.verify.run import run_case

PUBLISHED = Path(__file__).resolve().parent / "published"
BURN = json.loads((PUBLISHED / "burn_conv2d.json").read_text(encoding="utf-8"))
UNGROUPED = [fixture for fixture in BURN["fixtures"] if fixture["groups"] == 1]


def burn_case(fixture: dict) -> str:
    """burn's conv2d fixture as a case: x, weight and bias are 0, 1, 2, …; the gradient of the sum of
    the output is written through half_sse with targets z − 1 (so ∂L/∂z = z − y = 1 everywhere)."""
    x_shape = (fixture["batch_size"], fixture["channels_in"], fixture["height"], fixture["width"])
    w_shape = (fixture["channels_out"], fixture["channels_in"], fixture["kernel_size_1"], fixture["kernel_size_2"])
    x = np.arange(np.prod(x_shape), dtype=np.float64).reshape(x_shape)
    weight = np.arange(np.prod(w_shape), dtype=np.float64).reshape(w_shape)
    bias = np.arange(fixture["channels_out"], dtype=np.float64)
    options = {"stride": [fixture["stride_1"], fixture["stride_2"]], "padding": [fixture["padding_1"], fixture["padding_2"]],
               "dilation": [fixture["dilation_1"], fixture["dilation_2"]]}
    z = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias),
                                   **{key: tuple(value) for key, value in options.items()}).numpy()
    expects = [{"quantity": "grad", "param": "layers.0.weight", "step": 0, "value": fixture["grad_weight"], "tolerance": 1e-9},
               {"quantity": "grad", "param": "layers.0.bias", "step": 0, "value": fixture["grad_bias"], "tolerance": 1e-9},
               {"quantity": "input_grad", "step": 0, "value": fixture["grad_x"], "tolerance": 1e-9}]
    return tomli_w.dumps({
        "name": f"burn-conv2d-{fixture['name'].replace('_', '-')}", "title": f"burn's conv2d backward fixture {fixture['name']}",
        "source": BURN["source"],
        "model": {"inputs": list(x_shape[1:]), "layers": [
            {"type": "conv2d", "out_channels": fixture["channels_out"], "kernel_size": list(w_shape[2:]), **options,
             "weight": weight.tolist(), "bias": bias.tolist()},
            {"type": "flatten"}]},
        "data": {"inputs": x.reshape(len(x), -1).tolist(), "targets": (z - 1).reshape(len(z), -1).tolist()},
        "loss": {"name": "half_sse"},
        "training": {"optimizer": "sgd", "steps": 1, "freeze": ["layers.0.weight", "layers.0.bias"]},
        "expect": expects,
    })


@pytest.mark.parametrize("fixture", UNGROUPED, ids=lambda fixture: fixture["name"])
def test_burns_conv2d_fixtures_agree_in_every_witness(fixture: dict) -> None:
    """Outputs up to 2.4e4 whose half squared errors are ½ each: the loss's rounding comes from the
    size of z, not of L, and a difference must not call that a wrong gradient."""
    case = loads_case(burn_case(fixture), f"burn-{fixture['name']}.toml")
    result = run_case(case)
    assert result.expectations["ok"].all() and len(result.expectations) > 0
    assert result.fd_ok, result.message()
    assert result.agree, result.message()


@pytest.mark.parametrize("name", ["seed-linear-60x", "seed-student-first", "mazur-2-2-2-eta-0.1"])
def test_a_gradient_wrong_by_one_part_in_a_million_is_caught_on_the_founding_cases(name: str) -> None:
    """The rounding bound keeps the witness sharp where the loss is small and smooth: torch's
    gradient scaled by 1 + 1e-6 fails at the largest element of every array."""
    case = load_case(builtin(name))
    truth = oracle.run(case)[0]
    found = central_differences(case, case.parameters(), case.x[truth.batch], case.targets[truth.batch],
                                differences.oracle_gradients(truth))
    assert differences.compare(case, found, truth)["fd_ok"].fillna(True).all()
    wrong = Step(truth.batch, {item: value * (1 + 1e-6) if item[0] in ("grad", "input_grad") else value
                               for item, value in truth.values.items()})
    table = differences.compare(case, found, wrong)
    for array, rows in table[table["index"] != "direction"].groupby(["quantity", "param"]):
        largest = rows.loc[rows["oracle"].abs().idxmax()]
        assert not largest["fd_ok"], (array, largest.to_dict())
