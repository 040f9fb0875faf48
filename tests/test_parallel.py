"""report/parallel.py: a signal that comes while the worker pool starts is held until it has started."""

import os
import signal
import time

import pytest

from report.parallel import signals_held


class Stopped(Exception):
    pass


def test_ctrl_c_while_the_pool_starts_arrives_when_it_has_started() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # long enough for a handler to have run
            reached.append("the end of the block")
    assert reached == ["the end of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_reaches_the_handler_it_had_before_and_nothing_arrives_without_a_signal() -> None:
    def stop(signum, frame):
        raise Stopped()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with signals_held():
            pass  # no signal: nothing is raised afterwards
        with pytest.raises(Stopped):
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
        assert signal.getsignal(signal.SIGTERM) is stop
    finally:
        signal.signal(signal.SIGTERM, previous)
