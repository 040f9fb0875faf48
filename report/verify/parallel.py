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
import multiprocessing.connection
import multiprocessing.forkserver
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")
PRELOAD = ["numpy", "torch", "pandas", "matplotlib", "oracle", "reference", "report.verify.run",
           "torch._dynamo"]  # torch.optim imports it on its first optimizer: a second in every worker otherwise


STOP = threading.Event()  # set by the run's Ctrl-C and SIGTERM handlers (report/__main__.py)


def stop_if_asked() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C or SIGTERM came. The handlers raise it too, where the signal
    lands, but an exception raised inside library code can be lost there (seen in pandas' isinstance
    checks while a case's tables are made: 9 of 60 interrupts, the run went on): every step, case and
    page checks again."""
    if STOP.is_set():
        raise KeyboardInterrupt


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


def _start_worker(run: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with(run)
    one_thread()


def end_with(run: int) -> None:
    """This worker ends as soon as process `run` (the run that asked for it) ends — even by SIGKILL. The
    worker's parent is the server it was forked from, which outlives the run while any worker does, so
    a worker of a killed run would finish its case and write into a staging folder the next run has
    already removed, leaving files no marker lists. A thread waits on the run's process (pidfd_open)."""
    def wait() -> None:
        try:
            descriptor = os.pidfd_open(run)
        except (AttributeError, OSError):  # not Linux ≥ 5.3 (or the run has already ended): look twice a second
            while alive(run):
                threading.Event().wait(0.5)
        else:
            select.select([descriptor], [], [])
        os._exit(1)
    threading.Thread(target=wait, name="ends with the run", daemon=True).start()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Watch:
    """What a worker tells the run about your code, in memory both processes see: the function of yours
    it is in (empty outside your code), since when, at which step, and how long your code has run in
    all. A function that never returns, or that ends the process, is then named by the run."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("forkserver")
        self.name = context.RawArray("c", 96)
        self.step = context.RawValue("q", -1)
        self.started = context.RawValue("d", 0.0)  # time.monotonic() when the current call began; 0 outside
        self.spent = context.RawValue("d", 0.0)  # seconds in your code before the current call

    def enter(self, name: str) -> None:
        self.name.value = name.encode()[:95]
        self.started.value = time.monotonic()

    def leave(self) -> None:
        self.spent.value += time.monotonic() - self.started.value
        self.started.value = 0.0

    def at(self, step: int) -> None:
        self.step.value = step

    def used(self) -> float:
        """Seconds your code has run so far, the current call included."""
        running = time.monotonic() - self.started.value if self.started.value else 0.0
        return self.spent.value + running

    @property
    def function(self) -> str:
        return self.name.value.decode() if self.started.value else ""


@dataclass
class Lost:
    """A task whose worker ended without a result, or ran past its time limit: why, in words, and where."""

    position: int
    task: object
    why: str  # "ended its process (exit code 0)", "ran past the time limit of 60 s", …
    function: str  # the function of yours it was in, "" if none
    step: int  # the step it was at, −1 before the first


WATCHED: Watch | None = None  # the watch of the task this worker runs (None outside a watched worker)


def _watched(function: Callable, task: object, connection, watch: Watch, run: int) -> None:
    """A watched worker's whole life: one task, its result sent back, nothing else."""
    global WATCHED
    _start_worker(run)
    WATCHED = watch
    try:
        result = function(task)
    except BaseException as error:  # noqa: BLE001 — sent to the run, which decides what it means
        result = error
    try:
        connection.send(result)
    finally:
        connection.close()


def ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "was stopped"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        why = {"SIGKILL": " (killed: out of memory?)", "SIGSEGV": " (a crash)", "SIGABRT": " (an abort)"}.get(name, "")
        return f"ended its process by {name}{why}"
    return f"ended its process (exit code {exitcode}: os._exit or sys.exit outside a building block)"


def run_watched(function: Callable[[Task], Result], tasks: Sequence[Task], jobs: int,
                cost: Callable[[Task], float] = lambda task: 0.0,
                limit: Callable[[Task], float | None] = lambda task: None,
                wall: float | None = None) -> Iterator[Result | Lost]:
    """function(task) for every task, each in a process of its own the run watches, `jobs` at a time,
    yielded in the tasks' order. A process that ends without its result, whose task's code of yours
    runs longer than `limit(task)` seconds, or that runs longer than `wall` seconds in all (it is then
    killed), gives a `Lost` in its place."""
    start_forkserver()
    context = multiprocessing.get_context("forkserver")
    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i]))
    running: dict[int, tuple] = {}  # position -> (process, connection, watch)
    waiting: dict[int, object] = {}
    following = 0
    try:
        while order or running:
            stop_if_asked()
            while order and len(running) < max(1, jobs):
                position = order.pop(0)
                receive, send = context.Pipe(duplex=False)
                watch = Watch()
                process = context.Process(target=_watched, args=(function, tasks[position], send, watch, os.getpid()),
                                          daemon=True)
                with signals_held():
                    process.start()
                send.close()
                running[position] = (process, receive, watch, time.monotonic())
            ready = multiprocessing.connection.wait(
                [item for process, receive, *_ in running.values() for item in (receive, process.sentinel)], timeout=0.2)
            for position, (process, receive, watch, began) in list(running.items()):
                outcome = None
                if receive in ready or process.sentinel in ready:
                    try:
                        outcome = receive.recv() if receive.poll() else None
                    except (EOFError, OSError):
                        outcome = None
                    if outcome is None:
                        process.join(1)
                        outcome = Lost(position, tasks[position], ended(process.exitcode), watch.function,
                                       watch.step.value)
                elif (seconds := limit(tasks[position])) is not None and watch.used() > seconds:
                    function_name, step = watch.function or watch.name.value.decode(), watch.step.value
                    process.kill()
                    outcome = Lost(position, tasks[position], f"ran past the time limit of {seconds:g} s for your code",
                                   function_name, step)
                elif wall is not None and time.monotonic() - began > wall:
                    process.kill()
                    outcome = Lost(position, tasks[position], f"did not finish within {wall:g} s", watch.function,
                                   watch.step.value)
                if outcome is None:
                    continue
                receive.close()
                process.join(5)
                del running[position]
                if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                    outcome = Lost(position, tasks[position], f"ended its process ({type(outcome).__name__})",
                                   watch.function, watch.step.value)
                if isinstance(outcome, Exception):
                    raise outcome
                waiting[position] = outcome
            while following in waiting:
                yield waiting.pop(following)
                following += 1
    finally:
        for process, receive, *_ in running.values():
            process.kill()
            process.join(5)
            receive.close()


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
                stop_if_asked()
                yield function(task)
        finally:
            torch.set_num_threads(threads)
        return
    start_forkserver()  # if it is not running yet
    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i]))
    pool = None
    try:
        with signals_held():
            pool = multiprocessing.get_context("forkserver").Pool(jobs, initializer=_start_worker, initargs=(os.getpid(),))
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
