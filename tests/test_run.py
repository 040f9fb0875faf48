"""report/verify/run.py: engines run in blocks of steps, and the comparison still sees every step in order."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cases import Step, builtin, load_case
from reference import REFERENCE
from reference.dense import dense_backward
from reference.layers import layer_norm_backward
from report.verify import run
from report.verify.run import in_blocks, run_case


def numbered(name: str, steps: int, fails_at: int | None = None) -> Iterator[Step]:
    for t in range(steps + 1):
        if t == fails_at:
            raise ValueError(f"{name} broke")
        yield Step(np.array([t]), {("loss", ""): np.asarray(float(t))})


def test_every_engines_steps_arrive_in_order_whatever_the_block(monkeypatch) -> None:
    for ahead, numbers in ((1, 100), (3, 100), (64, 100), (64, 0)):  # (64, 0): one step records more than the limit
        monkeypatch.setattr(run, "AHEAD", ahead)
        monkeypatch.setattr(run, "AHEAD_NUMBERS", numbers)
        seconds: dict[str, float] = {}
        produced = list(in_blocks({"a": numbered("a", 10), "b": numbered("b", 10)}, 10, seconds))
        assert len(produced) == 11
        for t, step in enumerate(produced):
            assert sorted(step) == ["a", "b"]
            assert [int(step[name].batch[0]) for name in ("a", "b")] == [t, t]
        assert set(seconds) == {"a", "b"}


def test_an_engine_that_raises_is_reported_at_its_step_and_not_asked_again(monkeypatch) -> None:
    monkeypatch.setattr(run, "AHEAD", 3)
    calls = []

    def counted() -> Iterator[Step]:
        for step in numbered("b", 10, fails_at=4):
            calls.append(int(step.batch[0]))
            yield step

    produced = list(in_blocks({"a": numbered("a", 10), "b": counted()}, 10, {}))
    assert all(isinstance(produced[t]["b"], Step) for t in range(4))
    assert isinstance(produced[4]["b"], ValueError) and str(produced[4]["b"]) == "b broke"
    assert all("b" not in produced[t] for t in range(5, 11))
    assert [int(produced[t]["a"].batch[0]) for t in range(11)] == list(range(11))
    assert calls == [0, 1, 2, 3]


def test_your_code_reusing_an_array_is_compared_before_it_changes_it() -> None:
    """A dense_backward that writes each layer's grad_weight into the same array at every step is
    right at every step when each step is compared before the next one runs."""
    buffers: list[np.ndarray] = []  # one per layer, made at the first step
    calls = [0]

    def reusing(grad_out, x, weight):
        grad_x, grad_weight, grad_bias = dense_backward(grad_out, x, weight)
        layer = calls[0] % 2  # two layers, called last first at every step
        calls[0] += 1
        if len(buffers) <= layer:
            buffers.append(np.empty_like(grad_weight))
        buffers[layer][...] = grad_weight
        return grad_x, buffers[layer], grad_bias

    case = load_case(builtin("mazur-2-2-2-train"))
    result = run_case(case, REFERENCE.with_overrides({"dense_backward": reusing}), witnesses=False)
    assert "yours" not in result.first_wrong and not result.failures


def test_a_mistake_made_at_one_step_of_a_long_float32_run_is_found_at_that_step() -> None:
    """Each step is compared from torch's state at that step, so a dense_backward wrong only at step
    230 of 300 (its 461st call: two layers a step, the last one first) is found at step 230 —
    and nothing before it is called wrong, although the free-running trajectories of float32
    engines drift apart over 300 steps on some CPUs."""
    calls = [0]

    def wrong_once(grad_out, x, weight):
        grad_x, grad_weight, grad_bias = dense_backward(grad_out, x, weight)
        calls[0] += 1
        return grad_x, grad_weight * (1 + 1e-3) if calls[0] == 2 * 230 + 2 else grad_weight, grad_bias

    case = load_case(builtin("seed-student-train")).with_dtype("float32")
    result = run_case(case, REFERENCE.with_overrides({"dense_backward": wrong_once}), witnesses=False)
    first = result.first_wrong["yours"]
    assert (first.step, first.quantity, first.key) == (230, "grad", "layers.0.weight"), first.describe(case)
    assert "steps 0 to 229 agree" in first.before


def test_the_reference_on_its_own_trajectory_is_measured_as_drift_and_never_judged() -> None:
    case = load_case(builtin("seed-student-train")).with_dtype("float32")
    result = run_case(case, witnesses=False)
    assert result.agree, result.message()
    drift = result.drift["reference"]
    assert drift.steps == list(range(case.steps + 1))
    assert drift.errors[0] == 0.0  # both start from the case's parameters
    assert 0 < drift.largest < 1e-3 and np.isfinite(drift.growth)


def test_published_numbers_are_checked_on_the_references_own_trajectory() -> None:
    """Mazur's error after 10,000 updates is published: the free-running reference reproduces it."""
    case = load_case(builtin("mazur-2-2-2-eta-0.5-10000"))
    result = run_case(case, witnesses=False, recorded={})
    late = result.expectations[result.expectations["step"] == case.steps - 1]
    assert len(late) and late["ok"].all()
    assert len(result.drift["reference"].steps) == case.steps + 1


def test_a_float32_gradient_formed_by_cancellation_is_judged_by_float64() -> None:
    """∂L/∂x of a layer norm summed from terms near 1 to about 3e-4: in float32 the engines can differ
    by more than the tolerance at its scale, on some CPU kernels. Torch's float64 value of the step
    decides, so the verdict is agree on every kernel. A gradient 10 % off is still caught; 1 % off is
    not: torch's own float32 error on this array is 3.3e-6, 0.29 % of its largest value (here, on this CPU), and
    float32 cannot tell a mistake from rounding below CANCELLATION × that (report/verify/tolerances.py)."""
    case = load_case(Path(__file__).resolve().parent / "cases" / "layer-norm-cancellation-float32.toml")
    result = run_case(case)
    assert result.agree, result.message()
    for off in result.torch_off.values():
        assert "not a mistake" in off.describe(case)

    def off_by_ten_percent(grad_out, x, weight, bias, normalized_shape, eps=1e-5):
        grad_x, grad_weight, grad_bias = layer_norm_backward(grad_out, x, weight, bias, normalized_shape, eps=eps)
        return grad_x * np.float32(1.1), grad_weight, grad_bias

    wrong = run_case(case, REFERENCE.with_overrides({"layer_norm_backward": off_by_ten_percent}), witnesses=False)
    first = wrong.first_wrong["yours"]
    assert (first.step, first.quantity) == (0, "input_grad") and first.float64 is not None, first.describe(case)


def test_an_interrupt_lost_inside_library_code_stops_the_run_at_the_next_step() -> None:
    """The run's Ctrl-C and SIGTERM handlers raise where the signal lands, and an exception raised inside
    pandas' isinstance checks can be lost there; the flag they set is checked at every step."""
    from report.verify.parallel import STOP

    STOP.set()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_case(load_case(builtin("act-relu")), witnesses=False)
    finally:
        STOP.clear()
