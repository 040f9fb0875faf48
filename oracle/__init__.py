"""The PyTorch oracle: the case as torch.nn + autograd + torch.optim. Never imports the reference."""

from oracle.model import loss_at, run, steps

__all__ = ["loss_at", "run", "steps"]
