"""The hand-written NumPy reference: forward, loss, backward and update, formula by formula.

NumPy only; it never imports torch or the oracle. Gradients come either from hand-derived
formulas (network.py) or from a tape replayed backwards (tape.py, network_tape.py).
"""

from reference.network import forward_backward
from reference.training import run

__all__ = ["forward_backward", "run"]
