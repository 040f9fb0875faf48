"""torch's defaults are really compared: every option of every activation, loss, optimizer and
layer type — the learning rate included — is left out by at least one built-in case that uses it,
so the oracle applies torch's default while the reference applies its own. (A layer's required
options have no default; layer_norm's normalized_shape has none in torch, ours is the whole sample; the
options that are ours, not torch's — dropout's seed, a recurrent layer's output, h0 and c0 — have no
torch default to compare with.)"""

import pytest
from conftest import builtin_cases

from cases.layer_types import LAYER_TYPES
from cases.vocabulary import ACTIVATIONS, LOSSES, OPTIMIZERS

OPTIONS = ([("activation", name, option) for name, options in ACTIVATIONS.items() for option in options]
           + [("loss", name, option) for name, options in LOSSES.items() for option in options]
           + [("optimizer", name, option) for name, options in {k: [*v, "lr"] for k, v in OPTIMIZERS.items()}.items()
              for option in options]
           + [("layer", name, option) for name, kind in LAYER_TYPES.items() for option in kind.options
              if option not in kind.required and option != "normalized_shape"])


def leaves_out(case, kind: str, name: str, option: str) -> bool:
    if kind == "activation":
        return any(layer.activation == name and option not in layer.activation_options for layer in case.layers)
    if kind == "layer":
        return any(layer.type == name and option not in layer.options for layer in case.layers)
    if kind == "loss":
        return case.loss == name and option not in case.loss_options
    return case.optimizer == name and option not in case.optimizer_options


@pytest.mark.parametrize("kind,name,option", OPTIONS, ids=[f"{k}-{n}-{o}" for k, n, o in OPTIONS])
def test_some_case_leaves_the_option_to_torchs_default(kind: str, name: str, option: str) -> None:
    found = [case.name for case in builtin_cases() if leaves_out(case, kind, name, option)]
    assert found, f"no built-in case uses {kind} {name} without {option}: its default is never compared with torch's"
