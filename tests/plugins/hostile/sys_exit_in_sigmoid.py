"""A sigmoid_backward that calls sys.exit(0): a student's debugging leftover."""
import sys


def sigmoid_backward(grad_out, x, y):
    sys.exit(0)
