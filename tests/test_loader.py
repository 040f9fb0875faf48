"""Malformed case files give one clear error naming the file, the field and the expectation."""

import re
from pathlib import Path

import numpy as np
import pytest

from cases import CaseError, load_case, load_cases, loads_case
from cases.schedule import batch_schedule

HERE = Path(__file__).resolve().parent
GOOD = """
name = "tiny"
[model]
inputs = 2
[[model.layers]]
units = 2
activation = "sigmoid"
weight = [[0.15, 0.20], [0.25, 0.30]]
bias = [0.35, 0.35]
[[model.layers]]
units = 2
activation = "sigmoid"
weight = [[0.40, 0.45], [0.50, 0.55]]
bias = [0.60, 0.60]
[model.names]
w5 = "layers.1.weight[0,0]"
[data]
inputs = [[0.05, 0.10]]
targets = [[0.01, 0.99]]
[loss]
name = "half_sse"
[training]
optimizer = "sgd"
learning_rate = 0.1
steps = 1
[[expect]]
quantity = "grad"
step = 0
param = "w5"
value = 0.082167041
tolerance = 5e-10
"""

BROKEN = [
    # (replace this, with this, expected "field: message" fragment)
    ('weight = [[0.40, 0.45], [0.50, 0.55]]', 'weight = [[0.40, 0.45, 0.1], [0.50, 0.55, 0.1]]',
     "model.layers[1].weight: expected 2×2 (units × fan_in), got 2×3"),
    ('activation = "sigmoid"\nweight = [[0.15', 'activation = "swish"\nweight = [[0.15',
     "model.layers[0].activation: expected one of identity, relu"),
    ('name = "half_sse"', 'name = "hinge"', "loss.name: expected one of sse, half_sse"),
    ('optimizer = "sgd"', 'optimizer = "lbfgs"', "training.optimizer: expected one of sgd"),
    ("steps = 1", "steps = 0", "training.steps: expected an integer ≥ 1, got 0"),
    ("learning_rate = 0.1", "learning_rate = -0.1", "training.learning_rate: expected a number > 0"),
    ("learning_rate = 0.1", "learning_rate = nan", "training.learning_rate: expected a finite number"),
    ("inputs = [[0.05, 0.10]]", "inputs = [[0.05, inf]]", "data.inputs: expected finite numbers"),
    ("inputs = [[0.05, 0.10]]", "inputs = [[0.05]]", "data.inputs: expected N rows × 2 (model.inputs), got 1×1"),
    ("targets = [[0.01, 0.99]]", "targets = [[0.01]]", "data.targets: expected 1×2"),
    ('name = "tiny"', 'name = "Tiny Case"', "name: expected lower-case letters"),
    ('name = "tiny"', "", "name: missing"),
    ("steps = 1", "steps = 1\nfreeze = [\"layers.2.bias\"]", "training.freeze[0]: no layer 2"),
    ('param = "w5"', 'param = "w9"', "expect[0].param: expected a parameter"),
    ('param = "w5"', 'param = "layers.1.weight[2,0]"', "expect[0].param: index [2,0] is outside layers.1.weight"),
    ("step = 0", "step = 5", "expect[0].step: expected 0 to 1"),
    ("value = 0.082167041", "value = [1.0, 2.0]", "expect[0].value: expected a number, got 2"),
    ('w5 = "layers.1.weight[0,0]"', 'w5 = "layers.3.weight[0,0]"', "model.names.w5: no layer 3"),
    ("bias = [0.60, 0.60]", "bias = [0.60, 0.60]\ncolour = 1", "model.layers[1].colour: unknown key"),
    ("[training]", "[training]\nmomentum = 0.9\nbetas = [0.9, 0.99]", "training.betas: unknown key"),
    ("learning_rate = 0.1", "learning_rate = 0.1\nepochs = 3", "training.steps: expected exactly one of steps"),
    ("steps = 1", "steps = 1\nbatch_size = 4", "training.batch_size: expected 0 (full batch) to 1"),
    ('name = "half_sse"', 'name = "cross_entropy"', "loss.name: cross_entropy needs a last layer with activation softmax"),
    ("steps = 1", "steps = 1]", "not valid TOML"),
]


@pytest.mark.parametrize("old,new,expected", BROKEN, ids=[item[2].split(":")[0] for item in BROKEN])
def test_malformed_case_names_file_and_field(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(CaseError) as caught:
        loads_case(GOOD.replace(old, new, 1), "cases/x.toml")
    message = str(caught.value)
    assert message.startswith("cases/x.toml: ")
    assert expected in message
    assert "\n" not in message


def test_good_case_loads() -> None:
    case = loads_case(GOOD, "cases/x.toml")
    assert case.names == {"w5": "layers.1.weight[0,0]"}
    assert case.expects[0].param == "layers.1.weight" and case.expects[0].index == (0, 0)


def test_invalid_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a-good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b-broken.toml").write_text(GOOD.replace('name = "tiny"', 'name = "other"').replace("steps = 1", "steps = -1"),
                                            encoding="utf-8")
    (tmp_path / "c-duplicate.toml").write_text(GOOD, encoding="utf-8")
    cases, errors = load_cases([tmp_path])
    assert [case.name for case in cases] == ["tiny"]
    messages = [str(error) for error in errors]
    assert any("b-broken.toml: training.steps: expected an integer ≥ 1, got -1" in m for m in messages)
    assert any(re.search(r"c-duplicate.toml: name: 'tiny' is already used by .*a-good.toml", m) for m in messages)


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="cannot read the file"):
        load_case(tmp_path / "nope.toml")


def test_minibatches_cycle_in_file_order() -> None:
    batches = batch_schedule(samples=3, batch_size=2, steps=4, shuffle_seed=None)
    assert [list(b) for b in batches] == [[0, 1], [2], [0, 1], [2], [0, 1]]


def test_full_batch_and_online() -> None:
    assert [list(b) for b in batch_schedule(3, 0, 1, None)] == [[0, 1, 2], [0, 1, 2]]
    assert [list(b) for b in batch_schedule(3, 1, 3, None)] == [[0], [1], [2], [0]]


def test_shuffled_passes_use_every_sample_once() -> None:
    batches = batch_schedule(samples=5, batch_size=2, steps=5, shuffle_seed=1)
    first_pass = np.concatenate(batches[:3])
    assert sorted(first_pass) == [0, 1, 2, 3, 4]
    assert [len(b) for b in batches] == [2, 2, 1, 2, 2, 1]
