"""The running variance updated with the biased batch variance (the one that normalises); torch uses n/(n − 1)."""


def batch_norm_running(x, running_mean, running_var, momentum=0.1):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=axes),
            (1 - momentum) * running_var + momentum * x.var(axis=axes))
