"""Property: random networks in the whole vocabulary agree between the engines.

Depth 1–4, widths 1–16, batches 1–8 rows, every activation, loss, optimizer and batch mode,
float64 and float32. A failure prints the minimal case as a ready-to-save TOML file:
save it and run `python -m report FILE`.

What is compared: in float64, every number at every step with plain or momentum SGD, and the
step-0 forward pass, loss and gradients with the adaptive optimizers; in float32, the step-0
forward pass (pre-activations, activations, output). The rest is ill-conditioned beyond the
tolerance with neither engine wrong, so no tolerance can separate a bug from rounding there.
Measured:
- Adagrad, Adam and RMSprop divide by √(Σg²) or √v: a gradient that is 1e-17 in one engine and
  0 in the other (both within 1e-12 of the truth) moves a parameter by lr·g/(|g| + eps), here
  1e-9 in float64 after one Adagrad step at lr 0.1 (tolerance 6e-11).
- float32, a saturated output tanh (y = −0.99889): pre-activations one ulp apart from the
  engines' summation orders become first-layer gradients 6.4e-5 apart relative (tolerance
  1e-5), since 1 − y² = 0.0022 magnifies the ulp ~450-fold.
- float32, bce after a saturated sigmoid: torch's sigmoid(9.231254) is 0.9999021, the
  reference's correctly rounded value 0.99990207, one ulp apart; ln(1 − ŷ) magnifies that
  ~10⁴-fold and the losses differ by 3.5e-5 relative (tolerance 1e-5).
The update rules themselves are checked against torch.optim on shared gradients for 30 steps
(tests/test_optimizers.py) and over 25 steps of every built-in opt-* case, in both dtypes.

Profiles (HYPOTHESIS_PROFILE): `ci` (default, quick) and `thorough` (for local runs).
"""

from pathlib import Path

import numpy as np
import tomli_w
from helpers import agreement_message
from hypothesis import assume, given

import oracle
import reference
from cases import Step, loads_case
from cases.quantities import STATE
from cases.random_cases import random_case
from report.comparison import compare_runs

FAILURES = Path(".hypothesis") / "failing-cases"


@given(random_case())
def test_random_network_agrees_with_oracle(raw: dict) -> None:
    text = tomli_w.dumps(raw)
    case = loads_case(text, "hypothesis-case.toml")
    oracle_steps = oracle.run(case)
    witnesses = {"reference": reference.run(case), "tape": reference.run(case, mode="tape")}
    if case.dtype == "float32":
        forward = ("pre_activation", "activation", "output")
        oracle_steps = [only(oracle_steps[0], lambda quantity: quantity in forward)]
    elif case.optimizer != "sgd":
        oracle_steps = [only(oracle_steps[0], lambda quantity: quantity not in ("param", *STATE))]
    # Training that diverges to inf in torch too says nothing about the engines; non-finite
    # values never compare equal, so such an example is discarded, not passed.
    assume(all(np.isfinite(v).all() for step in oracle_steps for v in step.values.values()))
    comparison = compare_runs(case, oracle_steps, witnesses)
    if comparison.first:
        saved = FAILURES / "hypothesis-case.toml"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(text, encoding="utf-8")
        raise AssertionError(f"{agreement_message(comparison)}\n\nThe case is saved as {saved}; "
                             f"reproduce it with `python -m report {saved}`. Its text:\n\n{text}")


def only(step: Step, keep) -> Step:
    """The step with only the quantities `keep` accepts (the comparison walks the oracle's)."""
    return Step(step.batch, {item: value for item, value in step.values.items() if keep(item[0])})
