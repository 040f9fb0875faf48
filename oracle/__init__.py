"""The PyTorch oracle: the case as torch.nn + autograd + torch.optim. Never imports the reference."""

from oracle.model import run

__all__ = ["run"]
