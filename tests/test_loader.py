"""The loader: every problem of a file named with its field and what was expected, the nearest
valid word suggested, sizes refused before anything is allocated, and any failure while reading
one file kept to that file."""

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases import CaseError, load_case, load_cases, loads_case
from cases.loader import estimated_work

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


def test_good_case_loads() -> None:
    case = loads_case(GOOD, "cases/x.toml")
    assert case.names == {"w5": "layers.1.weight[0,0]"}
    assert case.expects[0].key == "layers.1.weight" and case.expects[0].index == (0, 0)


def test_every_problem_of_a_file_is_reported_each_with_its_field() -> None:
    text = (GOOD.replace('activation = "sigmoid"\nweight = [[0.15', 'activation = "tahn"\nweight = [[0.15')
            .replace('optimizer = "sgd"', 'optimizer = "sdg"').replace("steps = 1", "steps = 1\nmomentun = 0.9"))
    with pytest.raises(CaseError) as caught:
        loads_case(text, "cases/x.toml")
    lines = caught.value.lines()
    assert len(lines) == 3, lines
    assert "cases/x.toml: model.layers[0].activation: unknown activation 'tahn'; did you mean 'tanh'?" in lines[0]
    assert any(line.startswith("cases/x.toml: training.optimizer: unknown optimizer 'sdg'; did you mean 'sgd'?")
               for line in lines)
    assert "\n" not in str(caught.value)


def test_the_activation_table_of_a_layer_is_checked_before_its_weights() -> None:
    before = "units = 2\nactivation = \"sigmoid\"\nweight = [[0.40"
    text = GOOD.replace(before, before.replace("weight", "colour = 1\nweight"))
    with pytest.raises(CaseError, match=r"model.layers\[1\].colour: unknown key"):
        loads_case(text, "cases/x.toml")


def test_invalid_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a-good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b-broken.toml").write_text(GOOD.replace('name = "tiny"', 'name = "other"').replace("steps = 1", "steps = -1"),
                                            encoding="utf-8")
    (tmp_path / "c-duplicate.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "d-binary.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    cases, errors = load_cases([tmp_path])
    assert [case.name for case in cases] == ["tiny"]
    messages = [str(error) for error in errors]
    assert any("b-broken.toml: training.steps: expected an integer ≥ 1, got -1" in m for m in messages)
    assert any(re.search(r"c-duplicate.toml: name: 'tiny' is already used by .*a-good.toml", m) for m in messages)
    assert any("d-binary.toml: is a binary file" in m for m in messages)


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="cannot read the file"):
        load_case(tmp_path / "nope.toml")


def test_absurd_sizes_are_refused_before_allocation() -> None:
    huge = GOOD.replace("units = 2\nactivation = \"sigmoid\"\nweight = [[0.15, 0.20], [0.25, 0.30]]\nbias = [0.35, 0.35]",
                        "units = 2000000000\nactivation = \"sigmoid\"")
    with pytest.raises(CaseError, match=r"model.layers\[0\]: .* exceed the limit of 10,000,000.*\[limits\] parameters"):
        loads_case(huge.replace("[model]\ninputs = 2", "[model]\ninputs = 2\n[model.init]\nseed = 0\nscheme = \"normal\""))
    with pytest.raises(CaseError, match=r"training.steps: 1,000,000,000 updates exceed the limit of 1,000,000"):
        loads_case(GOOD.replace("steps = 1", "steps = 1000000000"))


def test_a_limit_is_raised_deliberately_in_the_case_file() -> None:
    case = loads_case(GOOD.replace("steps = 1\n", "steps = 1000001\n").replace("[training]", "[limits]\nsteps = 2000000\n\n[training]"))
    assert case.steps == 1_000_001 and len(case.schedule) == 1_000_002  # nothing made up front


def test_a_data_file_must_be_beside_the_case(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("api_key,password\n1,2\n")
    folder = tmp_path / "cases"
    folder.mkdir()
    text = GOOD.replace('[data]\ninputs = [[0.05, 0.10]]\ntargets = [[0.01, 0.99]]',
                        '[data]\nfile = "../secret.csv"\ninput_columns = ["a", "b"]\ntarget_columns = ["c", "d"]')
    (folder / "x.toml").write_text(text)
    with pytest.raises(CaseError) as caught:
        load_case(folder / "x.toml")
    assert "outside the case file's folder" in str(caught.value)
    assert "api_key" not in str(caught.value) and "password" not in str(caught.value)
    (folder / "link.csv").symlink_to(secret)
    (folder / "x.toml").write_text(text.replace("../secret.csv", "link.csv"))
    with pytest.raises(CaseError, match="outside the case file's folder"):
        load_case(folder / "x.toml")


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.integers(10**12, 10**13),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                   st.lists(st.integers(-2, 2), max_size=3), st.lists(st.lists(st.floats(-1, 1), max_size=2), max_size=2),
                   st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@given(st.data())
def test_any_value_in_any_field_gives_a_case_or_a_case_error(data: st.DataObject) -> None:
    """Fuzz: replace one value of a good file with anything TOML can hold; never another exception."""
    import tomllib

    import tomli_w

    raw = tomllib.loads(GOOD)
    paths = [(section, key) for section, table in raw.items() if isinstance(table, dict) for key in table] + \
            [(None, key) for key, value in raw.items() if not isinstance(value, (dict, list))] + \
            [("model.layers", i) for i in range(2)] + [("expect", 0)]
    section, key = data.draw(st.sampled_from(paths))
    value = data.draw(VALUES)
    if section == "model.layers":
        layer = raw["model"]["layers"][key]
        field = data.draw(st.sampled_from(sorted(layer)))
        layer[field] = value
    elif section == "expect":
        entry = raw["expect"][0]
        entry[data.draw(st.sampled_from(sorted(entry)))] = value
    elif section is None:
        raw[key] = value
    else:
        raw[section][key] = value
    try:
        text = tomli_w.dumps(_without_none(raw))
    except (TypeError, ValueError):
        return
    try:
        loads_case(text, "fuzz.toml")
    except CaseError as error:
        assert all(line.startswith("fuzz.toml: ") for line in error.lines())


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value


def wide(steps: int, limits: str = "") -> str:
    """One dense layer of 1,000 × 1,000 weights trained for `steps`, data and weights seeded."""
    return f'''name = "wide"
[model]
inputs = 1000
[model.init]
seed = 0
scheme = "normal"
[[model.layers]]
units = 1000
activation = "identity"
[data]
inputs = [[{", ".join(["0.5"] * 1000)}]]
targets = [[{", ".join(["0.0"] * 1000)}]]
[loss]
name = "mse"
[training]
optimizer = "sgd"
steps = {steps}
{limits}'''


def test_the_work_estimate_refuses_hours_of_arithmetic_in_one_line_and_the_limit_is_its_boundary() -> None:
    """Estimated before anything runs (cases/limits.py): each engine's passes at every step, and the
    finite differences. A million steps of a 1000 × 1000 layer is 1.5·10¹³ multiply-adds."""
    with pytest.raises(CaseError, match=r"^<string>: model: 15,\d{3},\d{3},\d{3},\d{3} estimated multiply-adds of "
                                        r"the whole run .* exceed the limit of 5,000,000,000,000; if this is meant, raise "
                                        r"it in the case file: \[limits\] multiply_adds = 15\d{12}$"):
        loads_case(wide(1_000_000, "[limits]\nsteps = 1000000\nrecorded_numbers = 3000000000000"))
    case = loads_case(wide(10))
    work, _ = estimated_work(case.input_shape, list(case.layers), case.schedule)
    assert loads_case(wide(10, f"[limits]\nmultiply_adds = {work}")).steps == 10  # at the limit: runs
    with pytest.raises(CaseError, match=r"\[limits\] multiply_adds = " + str(work)):
        loads_case(wide(10, f"[limits]\nmultiply_adds = {work - 1}"))


def test_the_memory_estimate_refuses_what_the_machine_cannot_hold() -> None:
    """A convolution holds every window of its input: 64 filters of 4 × 3 × 3 on 32 × 32, two rows."""
    image = ", ".join(["0.5"] * 4 * 32 * 32)
    conv = f'''name = "windows"
[model]
inputs = [4, 32, 32]
[model.init]
seed = 0
scheme = "kaiming_uniform"
[[model.layers]]
type = "conv2d"
out_channels = 64
kernel_size = 3
[[model.layers]]
type = "flatten"
[[model.layers]]
units = 1
activation = "sigmoid"
[data]
inputs = [[{image}], [{image}]]
targets = [[1], [0]]
[loss]
name = "bce"
[training]
optimizer = "sgd"
steps = 1
'''
    case = loads_case(conv)
    _, megabytes = estimated_work(case.input_shape, list(case.layers), case.schedule)
    assert megabytes > 10
    assert loads_case(conv + f"[limits]\nmemory_mb = {megabytes}\n").steps == 1
    with pytest.raises(CaseError, match=rf"model: {megabytes} estimated megabytes held at once .* exceed the limit of "
                                        rf"{megabytes - 1}; .*\[limits\] memory_mb = {megabytes}$"):
        loads_case(conv + f"[limits]\nmemory_mb = {megabytes - 1}\n")
