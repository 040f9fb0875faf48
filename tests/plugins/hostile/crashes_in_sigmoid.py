"""A sigmoid_backward that crashes the interpreter (a read through a null pointer: SIGSEGV)."""
import ctypes


def sigmoid_backward(grad_out, x, y):
    ctypes.string_at(0)
