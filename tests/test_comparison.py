"""The comparison's arithmetic on its own: ulps at an array's scale, and the first wrong number
found in computation order whatever order a recording lists its arrays in."""

import numpy as np

import oracle
from cases import Step, builtin, load_cases
from report.verify.comparison import Comparison, ulps_at_scale


def test_ulps_are_counted_at_the_arrays_scale() -> None:
    one = np.float64(1.0)
    assert ulps_at_scale(one, np.nextafter(one, 2.0), 1.0, "float64") == 1
    assert ulps_at_scale(np.float64(0.0), np.float64(-0.0), 1.0, "float64") == 0  # ±0 coincide
    assert ulps_at_scale(np.float64(0.0), np.float64(-1.39e-17), 0.5, "float64") < 1  # near zero, at the array's scale
    assert ulps_at_scale(np.float32(1.0), np.nextafter(np.float32(1.0), np.float32(2.0)), 1.0, "float32") == 1
    assert ulps_at_scale(np.float64(1.0), np.float64(1.0 + 2**-23), 1.0, "float32") == 1  # counted in the case's dtype
    assert ulps_at_scale(np.float64(3.0), np.float64(3.0 + 2**-51), 4.0, "float64") == 0.5  # one ulp of 3 is half of 4's
    assert np.isnan(ulps_at_scale(np.float64(1e-17), np.float64(0.0), 0.0, "float64"))  # an all-zero array: abs_err says
    assert ulps_at_scale(np.float64(0.0), np.float64(0.0), 0.0, "float64") == 0
    for bad in (np.nan, np.inf, -np.inf):
        assert np.isnan(ulps_at_scale(np.float64(bad), np.float64(1.0), 1.0, "float64"))
        assert np.isnan(ulps_at_scale(np.float64(1.0), np.float64(bad), 1.0, "float64"))


def test_the_first_wrong_number_is_found_in_computation_order() -> None:
    case = load_cases([builtin("mazur-2-2-2-eta-0.1")])[0][0]
    truth = next(iter(oracle.steps(case)))
    wrong = {key: np.array(value, copy=True) for key, value in truth.values.items()}
    wrong[("grad", "layers.0.weight")][1, 0] += 1.0  # computed late: the backward pass, the first layer
    wrong[("delta", "layers.1")][0, 1] += 1.0  # computed earlier: the last layer's δ
    reordered = Step(truth.batch, dict(reversed(list(wrong.items()))))  # listed in another order
    comparison = Comparison(case, ["reference"])
    comparison.add(0, truth, {"reference": reordered})
    first = comparison.first["reference"]
    assert (first.quantity, first.key, first.index, first.consequences) == ("delta", "layers.1", "0,1", 1)
    arrays = comparison.array_table().set_index(["quantity", "param"])
    assert arrays.loc[("grad", "layers.0.weight"), "disagreeing"] == 1
    assert arrays.loc[("loss", ""), "max_ulps"] == 0


def one_sided_around(kink_at: float, h: float = 1e-3, slopes: tuple[float, float] = (1.0, 3.0),
                     curvature: float = 0.0) -> tuple[float, float, float, float]:
    """(left, right, left at 2h, right at 2h) quotients of L(p + t) = slope·t + curvature·t²/2, the slope
    changing from slopes[0] to slopes[1] at t = kink_at (none if kink_at is None)."""
    def loss(t: float) -> float:
        smooth = curvature * t * t / 2
        if kink_at is None:
            return slopes[0] * t + smooth
        return slopes[0] * t + (slopes[1] - slopes[0]) * max(t - kink_at, 0.0) + smooth
    return ((loss(0) - loss(-h)) / h, (loss(h) - loss(0)) / h, (loss(0) - loss(-2 * h)) / (2 * h),
            (loss(2 * h) - loss(0)) / (2 * h))


def test_a_kink_within_h_is_recognised_wherever_it_lies_but_where_its_jump_happens_to_double() -> None:
    from report.verify.tolerances import across_a_kink
    h = 1e-3
    assert not across_a_kink(one_sided_around(None, h, curvature=50.0), 1e-6)  # smooth: h·L'' doubles
    for fraction in (0.0, 0.2, 0.4, 0.5, 0.55, 0.8, 0.95):
        assert across_a_kink(one_sided_around(fraction * h, h), 1e-6), fraction
    assert not across_a_kink(one_sided_around(2 * h / 3, h), 1e-6)  # the blind spot, said in the docstring
    assert not across_a_kink(one_sided_around(0.5 * h, h, slopes=(1.0, 1.0 + 1e-9)), 1e-6)  # a jump within tolerance


def shifted(step: Step, item: tuple[str, str], index: tuple[int, ...], by: float) -> Step:
    values = {key: np.array(value, copy=True) for key, value in step.values.items()}
    values[item][index] += by
    return Step(step.batch, values)


def test_float32_disagreements_are_judged_by_torchs_float64_value() -> None:
    """The side farther from torch's float64 value of the step is the one named: torch's float32
    value 5e-6 off it and the reference 1e-7 is torch's rounding; the reference 1e-3 off is its mistake."""
    case = load_cases([builtin("mazur-2-2-2-eta-0.1")])[0][0].with_dtype("float32")
    float64 = next(iter(oracle.steps(case.with_dtype("float64"))))
    item, index = ("grad", "layers.0.weight"), (1, 0)
    float64_value = float(float64.values[item][index])
    torch32 = shifted(Step(float64.batch, {k: v.astype(np.float32) for k, v in float64.values.items()}), item, index, 5e-6)
    close = shifted(torch32, item, index, -5e-6 + 1e-7)
    comparison = Comparison(case, ["reference"], arbiter=lambda t: float64)
    comparison.add(0, torch32, {"reference": close})
    assert not comparison.first
    off = comparison.torch_off["reference"]
    assert (off.quantity, off.key, off.index) == ("grad", "layers.0.weight", "1,0")
    assert "torch's float32 value is the one off" in off.describe(case)
    far = shifted(torch32, item, index, 1e-3)
    comparison = Comparison(case, ["reference"], arbiter=lambda t: float64)
    comparison.add(0, torch32, {"reference": far})
    first = comparison.first["reference"]
    assert first.float64 == float64_value
    assert "torch in float64 gives" in first.describe(case) and "the reference is the farther" in first.describe(case)
