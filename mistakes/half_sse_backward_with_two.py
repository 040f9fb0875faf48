"""½Σ(ŷ − y)² differentiated as if it were Σ(ŷ − y)²: a factor 2 too many."""

import numpy as np


def half_sse_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 2 * (y_hat - y)
