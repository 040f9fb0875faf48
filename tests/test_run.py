"""report/run.py: engines run in blocks of steps, and the comparison still sees every step in order."""

from collections.abc import Iterator

import numpy as np

from cases import BUILTIN_CASES, Step, load_case
from reference import REFERENCE
from reference.dense import dense_backward
from report import run
from report.run import in_blocks, run_case


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

    case = load_case(BUILTIN_CASES / "mazur-2-2-2-train.toml")
    result = run_case(case, REFERENCE.with_overrides({"dense_backward": reusing}), witnesses=False)
    assert "yours" not in result.first_wrong and not result.failures
