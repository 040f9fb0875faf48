"""The hand-written NumPy reference: forward, loss, backward and update, formula by formula.

NumPy only; it never imports torch or the oracle.
"""

from reference.network import forward_backward, run

__all__ = ["forward_backward", "run"]
