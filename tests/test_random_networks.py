"""Property: random networks in the whole vocabulary agree between the engines.

Depth 1–4, widths 1–16, batches 1–8 rows, every activation, loss, optimizer and batch mode,
float64 and float32. A failure prints the minimal case as a ready-to-save TOML file:
save it and run `python -m report FILE`.

What is compared: in float64, every number at every step with plain or momentum SGD, and the
step-0 forward pass, loss and gradients with the adaptive optimizers; in float32, the step-0
forward pass (pre-activations, activations, output); with batch or layer norm, every number of
step 0 in float64 and nothing in float32. The rest is ill-conditioned beyond the
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
- float64, layer norm over two features 0.0023 apart after two steps: its input gradient carries
  the factor 1/√(σ² + eps) ≈ 300, which turns the engines' 3e-12 difference in the upstream
  gradient (each within tolerance) into 6e-10 (tolerance 4.7e-10). So with batch or layer norm
  every number of step 0 is compared, where the inputs still agree to the last bit or two; the
  built-in layers-* cases compare every step of theirs.
- float32, batch norm over three rows whose values of one feature lie close together: z differs
  by 1.6e-5 (tolerance 1.5e-5), the normalisation dividing its inputs' float32 rounding by their
  small σ. So float32 networks with batch or layer norm are left to the built-in cases (which
  run in float32 too, tests/test_float32.py).
- float64, max-pooling after pooling: an overlapping max-pool repeats values, an average pool
  then averages {2.496, 0.602} and {2.496, 0.602, 2.496, 0.602}, equal in exact arithmetic, one
  ulp apart in torch's summation order; the next max-pool's tie goes to a different element in
  each engine and the gradient with it (0.718 against 0). Both are right: max has no derivative at
  a tie. So a max-pool never follows a pool in these networks; the tie rule itself is checked on
  exact ties (layers-max-pool-ties, tests/test_layers.py).
The update rules themselves are checked against torch.optim on shared gradients for 30 steps
(tests/test_optimizers.py) and over 25 steps of every built-in opt-* case, in both dtypes.

Profiles (HYPOTHESIS_PROFILE): `ci` (default, quick) and `thorough` (for local runs).
"""

from pathlib import Path

import numpy as np
import tomli_w
from helpers import agreement_message
from hypothesis import assume, given
from random_cases import random_case, random_typed_case

import oracle
import reference
from cases import Step, loads_case
from cases.quantities import STATE
from report.verify.comparison import compare_runs

FAILURES = Path(".hypothesis") / "failing-cases"


@given(random_case())
def test_random_network_agrees_with_oracle(raw: dict) -> None:
    check_random_case(raw)


@given(random_typed_case())
def test_random_network_of_typed_layers_agrees_with_oracle(raw: dict) -> None:
    """conv2d, pooling, batch and layer norm (train and eval), dropout, embedding, at random."""
    check_random_case(raw)


def check_random_case(raw: dict) -> None:
    text = tomli_w.dumps(raw)
    case = loads_case(text, "hypothesis-case.toml")
    normalised = any(layer.type in ("batch_norm", "layer_norm") for layer in case.layers)
    assume(not (normalised and case.dtype == "float32"))  # measured below: no float32 tolerance holds there
    oracle_steps = oracle.run(case)
    witnesses = {"reference": reference.run(case), "tape": reference.run(case, mode="tape")}
    if case.dtype == "float32":
        forward = ("pre_activation", "activation", "output")
        oracle_steps = [only(oracle_steps[0], lambda quantity: quantity in forward)]
    elif case.optimizer != "sgd":
        oracle_steps = [only(oracle_steps[0], lambda quantity: quantity not in ("param", *STATE))]
    elif normalised:
        oracle_steps = oracle_steps[:1]
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
