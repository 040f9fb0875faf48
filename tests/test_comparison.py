"""The comparison's arithmetic on its own: ulps between two floats, and the first wrong number
found in computation order whatever order a recording lists its arrays in."""

import numpy as np
from conftest import ROOT

import oracle
from cases import Step, load_cases
from report.comparison import Comparison, ulp_distance


def test_ulp_distance_counts_representable_numbers() -> None:
    one = np.float64(1.0)
    assert ulp_distance(one, np.nextafter(one, 2.0), "float64") == 1
    assert ulp_distance(np.float64(0.0), np.float64(-0.0), "float64") == 0  # ±0 coincide
    tiny = np.nextafter(0.0, 1.0)
    assert ulp_distance(tiny, -tiny, "float64") == 2  # either side of zero: through 0
    assert ulp_distance(np.float32(1.0), np.nextafter(np.float32(1.0), np.float32(2.0)), "float32") == 1
    assert ulp_distance(np.float64(1.0), np.float64(1.0 + 2**-23), "float32") == 1  # counted in the case's dtype
    assert ulp_distance(np.float64(-1.5), np.float64(2.5), "float64") > 2**62  # far apart, still exact, no overflow
    for bad in (np.nan, np.inf, -np.inf):
        assert np.isnan(ulp_distance(np.float64(bad), np.float64(1.0), "float64"))
        assert np.isnan(ulp_distance(np.float64(1.0), np.float64(bad), "float64"))


def test_the_first_wrong_number_is_found_in_computation_order() -> None:
    case = load_cases([ROOT / "cases" / "mazur-2-2-2-eta-0.1.toml"])[0][0]
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
    from report.tolerances import across_a_kink
    h = 1e-3
    assert not across_a_kink(one_sided_around(None, h, curvature=50.0), 1e-6)  # smooth: h·L'' doubles
    for fraction in (0.0, 0.2, 0.4, 0.5, 0.55, 0.8, 0.95):
        assert across_a_kink(one_sided_around(fraction * h, h), 1e-6), fraction
    assert not across_a_kink(one_sided_around(2 * h / 3, h), 1e-6)  # the blind spot, said in the docstring
    assert not across_a_kink(one_sided_around(0.5 * h, h, slopes=(1.0, 1.0 + 1e-9)), 1e-6)  # a jump within tolerance
