"""The hand-written NumPy reference: forward, loss, backward and update, formula by formula.

NumPy only; it never imports torch or the oracle. Gradients come either from hand-derived
formulas (network.py, built from the blocks in blocks.py) or from a tape replayed backwards
(tape.py, composites.py, network_tape.py).
"""

from reference.blocks import REFERENCE, Blocks
from reference.network import BlockError, Pass, forward_backward
from reference.training import run, steps

__all__ = ["REFERENCE", "BlockError", "Blocks", "Pass", "forward_backward", "run", "steps"]
