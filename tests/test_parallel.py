"""report/verify/parallel.py: a signal that comes while the worker pool starts is held until it has started.

The signals are raised with signal.raise_signal: it delivers to this thread and runs the Python
handler before it returns, so the held handler has seen the signal when the next line runs. (os.kill
may land on a BLAS thread, and the main thread then runs the handler at some later bytecode.)"""

import signal

import pytest

from report.verify.parallel import signals_held


class Stopped(Exception):
    pass


def test_ctrl_c_while_the_pool_starts_arrives_when_it_has_started() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            signal.raise_signal(signal.SIGINT)
            reached.append("the end of the block")
    assert reached == ["the end of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_reaches_the_handler_it_had_before_and_nothing_arrives_without_a_signal() -> None:
    def stop(signum, frame):
        raise Stopped()

    reached = []
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with signals_held():
            pass  # no signal: nothing is raised afterwards
        with pytest.raises(Stopped):
            with signals_held():
                signal.raise_signal(signal.SIGTERM)
                reached.append("the end of the block")
        assert reached == ["the end of the block"]
        assert signal.getsignal(signal.SIGTERM) is stop
    finally:
        signal.signal(signal.SIGTERM, previous)
