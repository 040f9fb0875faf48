"""The catalog of classic mistakes (mistakes/): each entry is caught by the checker, located at
the first wrong number the catalog names, and explained by its hint — so the catalog is also
the measure of the checker's sensitivity. Mazur's published 0.291027924 comes from one of them."""

import shutil
from pathlib import Path

import pytest

import report
from cases import builtin, load_case
from report.verify.catalog import CATALOG, blind_spots, check, check_all, entries

ENTRIES = entries()


def test_the_catalog_holds_at_least_twenty_mistakes() -> None:
    assert len(ENTRIES) >= 20
    assert len({entry.file for entry in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.file.removesuffix(".py") for entry in ENTRIES])
def test_mistake_is_caught_located_and_explained(entry) -> None:
    checked = check(entry)
    wrong = checked.result.first_wrong.get("reference")
    assert wrong is None, f"the reference itself disagrees with torch on {entry.case}: {wrong.describe(checked.result.case)}"
    first = checked.result.first_wrong.get("yours")
    assert checked.caught, f"{entry.file}: not caught on {entry.case}"
    message = first.describe(checked.result.case)
    assert checked.located, f"{entry.file}: expected the first wrong number at {entry.first}, got: {message}"
    assert checked.explained, f"{entry.file}: expected a hint containing {entry.hint!r}, got: {message}"
    for claim, value, ok in checked.expected:
        assert ok, f"{entry.file}: {claim['engine']} {claim['quantity']} at step {claim['step']} = {value!r}, " \
                   f"expected {claim['value']} ± {claim['tolerance']}"
    assert checked.result.witness_agrees("reference"), f"the reference failed on {entry.case}: {checked.result.failures}"


def test_mazurs_published_first_round_error_comes_from_updating_the_output_weights_first() -> None:
    entry = next(e for e in ENTRIES if e.file == "mazur_output_weights_updated_first.py")
    values = {(claim["engine"], claim["value"]): value for claim, value, _ in check(entry).expected}
    assert abs(values[("yours", 0.291027924)] - 0.291027924) <= 5e-10
    assert abs(values[("reference", 0.2910277737)] - 0.2910277737) <= 5e-11
    assert abs(values[("yours", 0.291027924)] - values[("reference", 0.2910277737)]) > 1e-7


def test_worker_processes_check_the_catalog_as_this_process_does(tmp_path) -> None:
    two = entries()[:2]
    for entry in two:
        shutil.copy(CATALOG / entry.file, tmp_path / entry.file)
    text = (CATALOG / "catalog.toml").read_text(encoding="utf-8")
    blocks = text.split("[[mistake]]")
    (tmp_path / "catalog.toml").write_text("[[mistake]]".join(blocks[:3]), encoding="utf-8")
    here, workers = check_all(tmp_path), check_all(tmp_path, jobs=2)
    assert [c.entry.file for c in workers] == [c.entry.file for c in here] == [e.file for e in two]
    assert [(c.caught, c.located, c.explained, c.diff) for c in workers] == \
           [(c.caught, c.located, c.explained, c.diff) for c in here]
    assert all(c.ok for c in workers)


def test_a_case_says_which_catalog_mistakes_it_cannot_see() -> None:
    """One sample cannot tell a batch mean from a sum; four can; γ = 1 forever would hide layer norm's weight."""
    mazur = load_case(builtin("mazur-2-2-2-eta-0.1"))
    blind = {spot.entry.file for spot in blind_spots(mazur, ["dense_backward"])}
    assert {"dense_backward_bias_mean.py", "dense_backward_bias_first_row.py"} <= blind
    assert "dense_backward_weight_transposed.py" not in blind  # a 2 × 2 weight shows a transpose
    minibatch = load_case(builtin("batch-minibatch"))
    assert not {spot.entry.file for spot in blind_spots(minibatch, ["dense_backward"])}
    assert blind_spots(mazur, ["conv2d_backward"]) == []  # a function the case never calls hides nothing


def test_your_agreement_on_a_case_that_cannot_see_your_mistake_says_so(tmp_path) -> None:
    impl = str(Path(__file__).resolve().parent / "plugins" / "bias_gradient_mean.py")
    tables = report.compare(builtin("mazur-2-2-2-eta-0.1"), builtin("batch-minibatch"),
                            impl=impl, witnesses=False)
    summary = tables.summary.set_index("case")
    assert summary.loc["mazur-2-2-2-eta-0.1", "yours_verdict"] == "agree"
    assert ("mazur-2-2-2-eta-0.1 cannot see the bias gradient averaged over the batch"
            in summary.loc["mazur-2-2-2-eta-0.1", "message"])
    assert "batch-minibatch can" in summary.loc["mazur-2-2-2-eta-0.1", "message"]
    assert summary.loc["batch-minibatch", "yours_verdict"] == "DISAGREE"
