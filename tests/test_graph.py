"""Graph cases: circuits in both engines, torch's corners, one clear line per malformed file, the
picture, and the two-layer network written as a graph agreeing with the dense case."""

from pathlib import Path

import numpy as np
import pytest
from conftest import builtin_graph_cases, run

import oracle
import reference
from cases import CaseError, GraphCase, builtin, load_case, load_cases, loads_case
from report.__main__ import main
from report.verify.run import run_case

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=builtin_graph_cases(), ids=lambda case: case.name)
def graph_case(request: pytest.FixtureRequest) -> GraphCase:
    return request.param


def test_every_graph_case_agrees_and_reproduces_its_published_numbers(graph_case: GraphCase) -> None:
    result = run_case(graph_case)
    assert result.agree, result.message()
    assert len(result.expectations) and result.expectations["ok"].all()
    assert len(result.finite_differences) and result.finite_differences["fd_ok"].fillna(True).all()
    recorded = result.kept[0]["oracle"].values
    assert {("value", node.name) for node in graph_case.nodes} <= set(recorded)
    assert {("grad", name) for name in graph_case.differentiable} <= set(recorded)


def test_the_two_layer_network_as_a_graph_is_the_dense_case() -> None:
    cases = {case.name: case for case in load_cases()[0]}
    graph, dense = cases["graph-mazur-2-2-2"], cases["mazur-2-2-2-eta-0.5"]
    circuit, network = run(graph, "free"), run(dense, "oracle")
    pairs = {("value", "a1"): ("activation", "layers.0"), ("value", "a2"): ("output", ""), ("loss", ""): ("loss", ""),
             ("grad", "W1"): ("grad", "layers.0.weight"), ("grad", "W2"): ("grad", "layers.1.weight"),
             ("grad", "b1"): ("grad", "layers.0.bias"), ("grad", "b2"): ("grad", "layers.1.bias"),
             ("grad", "z1"): ("delta", "layers.0"), ("grad", "z2"): ("delta", "layers.1")}
    for ours, theirs in pairs.items():
        np.testing.assert_allclose(np.ravel(circuit[0].values[ours]), np.ravel(network[0].values[theirs]),
                                   rtol=1e-12, atol=1e-15, err_msg=str(ours))
    for name, key in (("W1", "layers.0.weight"), ("W2", "layers.1.weight")):  # the dense case keeps its biases
        np.testing.assert_allclose(circuit[1].values[("param", name)], network[1].values[("param", key)], rtol=1e-12)


CORNERS = """
name = "corners"
[graph]
output = "out"
[graph.inputs]
a = 2.0
b = 2.0
z = 0.0
[[graph.nodes]]
name = "tie"
op = "max"
args = ["a", "b"]
[[graph.nodes]]
name = "low"
op = "min"
args = ["a", "b"]
[[graph.nodes]]
name = "r"
op = "relu"
args = ["z"]
[[graph.nodes]]
name = "m"
op = "abs"
args = ["z"]
[[graph.nodes]]
name = "s1"
op = "add"
args = ["tie", "low"]
[[graph.nodes]]
name = "s2"
op = "add"
args = ["r", "m"]
[[graph.nodes]]
name = "out"
op = "add"
args = ["s1", "s2"]
"""


def test_corners_are_torchs_ties_split_and_kinks_zero() -> None:
    case = loads_case(CORNERS)
    ours, theirs = reference.run(case)[0].values, oracle.run(case)[0].values
    for name, expected in (("a", 1.0), ("b", 1.0), ("z", 0.0)):  # max and min split a tie: ½ + ½; relu'(0) = abs'(0) = 0
        assert float(theirs[("grad", name)]) == expected, name
        assert float(ours[("grad", name)]) == expected, name


def test_sqrt_at_zero_gives_inf_in_both_engines_and_inf_never_agrees() -> None:
    case = loads_case(CORNERS.replace('op = "abs"', 'op = "sqrt"'))
    assert np.isinf(float(oracle.run(case)[0].values[("grad", "z")]))
    result = run_case(case)
    assert not result.agree and "not a finite number" in result.message()


@pytest.mark.parametrize("change, field, words", [
    (('args = ["s1", "s2"]', 'args = ["s1", "later"]'), "graph.nodes[6].args", "'later' is not defined before this node"),
    (('args = ["a", "b"]\n[[graph.nodes]]\nname = "low"', 'args = ["a", "tie"]\n[[graph.nodes]]\nname = "low"'),
     "graph.nodes[0].args", "'tie' is not defined before this node"),  # a node on itself: a cycle
    (('op = "relu"', 'op = "rleu"'), "graph.nodes[2].op", "did you mean 'relu'?"),
    (('name = "m"', 'name = "r"'), "graph.nodes[3].name", "'r' is already defined"),
    (('op = "abs"\nargs = ["z"]', 'op = "abs"\nargs = ["z", "a"]'), "graph.nodes[3].args", "abs takes 1 argument"),
    (('a = 2.0\nb = 2.0\nz = 0.0', 'a = [1.0, 2.0]\nb = 2.0\nz = [0.0, 1.0, 2.0]'), "graph.nodes[6].args",
     "add of 2 and 3: the shapes do not broadcast"),
    (('output = "out"', 'output = "nowhere"'), "graph.output", "'nowhere' is not an input or a node"),
    (('z = 0.0', 'z = [0.0, 1.0]'), "graph.gradient", "not a number: give the upstream gradient"),
    (('b = 2.0', 'b = { value = 2.0, trainable = "yes" }'), "graph.inputs.b.trainable", "expected true or false"),
    (('a = 2.0\nb = 2.0\nz = 0.0', 'a = { value = 2.0, trainable = false }\nb = { value = 2.0, trainable = false }\n'
      'z = { value = 0.0, trainable = false }'), "graph.inputs", "no trainable input"),
])
def test_a_malformed_graph_gets_one_line_naming_the_field(change: tuple[str, str], field: str, words: str) -> None:
    old, new = change
    assert old in CORNERS
    with pytest.raises(CaseError) as caught:
        loads_case(CORNERS.replace(old, new, 1), "bad.toml")
    lines = caught.value.lines()
    assert any(line.startswith(f"bad.toml: {field}: ") and words in line for line in lines), lines


def test_an_expectation_names_a_node_that_exists() -> None:
    text = CORNERS + '[[expect]]\nquantity = "grad"\nnode = "nothing"\nvalue = 1\ntolerance = 0.1\n'
    with pytest.raises(CaseError, match=r"expect\[0\].node: 'nothing' is not an input or a node"):
        loads_case(text, "bad.toml")


def test_the_page_draws_the_circuit_and_lists_every_node(tmp_path: Path) -> None:
    case = builtin("graph-cs231n-sigmoid-neuron")
    assert main([str(case), "--out", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "cases" / "graph-cs231n-sigmoid-neuron.md").read_text(encoding="utf-8")
    assert "![The circuit at step 0" in page and (tmp_path / "out" / "cases" / "graph-cs231n-sigmoid-neuron-circuit.svg").exists()
    for row in ("| denominator | denominator = e + 1 | 1.368 | -0.5344 | ✓ |", "| f | f = 1 ÷ denominator | 0.7311 | 1 | ✓ |",
                "| x1 | trainable input | -2 | -0.5898 | ✓ |"):
        assert row in page


def chain(nodes: int) -> str:
    lines = ['name = "long-chain"', 'title = "x times 1.00001, again and again"', "[graph]", f'output = "n{nodes - 1}"',
             "[graph.inputs]", "x = 0.5"]
    for i in range(nodes):
        lines += ["[[graph.nodes]]", f'name = "n{i}"', 'op = "mul"', f'args = ["{"x" if i == 0 else f"n{i - 1}"}", 1.00001]']
    return "\n".join(lines) + "\n"


def test_a_chain_of_20000_nodes_runs_and_its_page_summarises(tmp_path) -> None:
    """Every part is linear in the nodes (the comparison's rows were found by list.index: 18 s of 26)."""
    (tmp_path / "chain.toml").write_text(chain(20_000), encoding="utf-8")
    result = run_case(load_case(tmp_path / "chain.toml"))
    assert result.agree, result.message()
    assert float(result.kept[0]["oracle"].values[("grad", "x")]) == pytest.approx(1.00001 ** 20_000, rel=1e-9)
    from report.write.graph_page import MAX_NODES_SHOWN, node_table
    assert len(node_table(result).rows) == MAX_NODES_SHOWN


def test_more_nodes_than_the_limit_is_one_line() -> None:
    with pytest.raises(CaseError, match=r"graph.nodes: 50,001 nodes in a graph exceed the limit of 50,000; if this is "
                                        r"meant, raise it in the case file: \[limits\] nodes = 50001"):
        loads_case(chain(50_001), "chain.toml")
