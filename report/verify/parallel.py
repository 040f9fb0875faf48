"""Run cases in worker processes, one case per task, results handed back in the cases' order.

Workers are forked from a server process that has imported torch and NumPy once and never
computed anything (multiprocessing's "forkserver"), so each worker starts in milliseconds and no
thread pool is copied mid-use. Each worker and the serial path compute with torch on one thread
and NumPy's BLAS with its own default threads, as this process does: a parallel run writes the
same bytes as a serial one (a test checks it; a BLAS on another number of threads may round a
large product differently, so the workers must not be given fewer).
Ctrl-C and SIGTERM are the parent's to handle: workers ignore them and are terminated.
"""

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")
PRELOAD = ["numpy", "torch", "pandas", "matplotlib", "oracle", "reference", "report.verify.run",
           "torch._dynamo"]  # torch.optim imports it on its first optimizer: a second in every worker otherwise


def default_jobs() -> int:
    """Every core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def one_thread() -> None:
    """torch on one thread: its kernels then sum in one order whichever process runs them."""
    import torch

    torch.set_num_threads(1)


def start_forkserver(also: tuple[str, ...] = ()) -> None:
    """Launch the server the workers fork from and return at once: its imports (torch takes seconds,
    PRELOAD and the modules `also` names, such as the writer's) then run while this process does its
    own; run_all uses it (the first call's list is the server's)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*PRELOAD, *also])
    multiprocessing.forkserver.ensure_running()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then arrive as usual: a pool interrupted
    while its workers start (they wait for the server's imports) leaves workers that find their
    pool gone and print a traceback each. (Handlers, not a signal mask: torch's and the BLAS's
    threads would take a masked signal in the main thread's place.)"""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    arrived: list[int] = []
    previous = {number: signal.signal(number, lambda signum, frame: arrived.append(signum))
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if arrived:
            signal.raise_signal(arrived[0])  # now handled as it would have been when it came


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    one_thread()


def _call(packed: tuple[Callable, int, object]) -> tuple[int, object]:
    function, position, task = packed
    return position, function(task)


def run_all(function: Callable[[Task], Result], tasks: Sequence[Task], jobs: int,
            cost: Callable[[Task], float] = lambda task: 0.0) -> Iterator[Result]:
    """function(task) for every task, yielded in the tasks' order; `jobs` processes (1: here).

    The costliest tasks start first (`cost` estimates it) so that a long case does not start last.
    """
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1:
        import torch

        threads = torch.get_num_threads()
        one_thread()
        try:
            for task in tasks:
                yield function(task)
        finally:
            torch.set_num_threads(threads)
        return
    start_forkserver()  # if it is not running yet
    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i]))
    pool = None
    try:
        with signals_held():
            pool = multiprocessing.get_context("forkserver").Pool(jobs, initializer=_start_worker)
        waiting: dict[int, object] = {}
        following = 0
        for position, result in pool.imap_unordered(_call, [(function, i, tasks[i]) for i in order]):
            waiting[position] = result
            while following in waiting:
                yield waiting.pop(following)
                following += 1
        pool.close()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
