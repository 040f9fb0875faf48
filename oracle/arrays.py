"""Between NumPy and torch: the dtypes a case names, and a tensor's values as a NumPy array of its own."""

import numpy as np
import torch

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def numpy(tensor: torch.Tensor) -> np.ndarray:
    """A copy, detached: the recording must not change when torch updates the tensor in place."""
    return tensor.detach().numpy().copy()
