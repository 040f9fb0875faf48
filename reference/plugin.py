"""Your implementation as a third engine: a Python file or module defining any subset of the
building blocks (reference/blocks.py), under their names and signatures. What it does not define
comes from the reference, so one function can be checked on its own.

Every problem is reported, each on one line naming the function: a file that cannot be imported,
a name that is one letter off a building block's ("sigmoid_backwards"; did you mean
"sigmoid_backward"?), a function that cannot be called as the contract calls it. Other public
functions of the module are helpers; they are listed as not used, never silently.
"""

import difflib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from reference.blocks import CONTRACT, REFERENCE, Block, Blocks


class PluginError(Exception):
    """An implementation that cannot be used: one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        self.lines = [f"--impl {source}: {problem}" for problem in problems]
        super().__init__("; ".join(self.lines))

    def __reduce__(self):  # sent back from the worker that imported your file
        return (PluginError, (self.source, self.problems))


@dataclass(frozen=True)
class Implementation:
    source: str  # how the user named it
    functions: dict[str, Callable]  # the building blocks it defines
    helpers: list[str]  # its other public functions: not building blocks, not used

    renewable: bool = False  # loaded from a file: it can be imported again, as an independent copy

    @property
    def blocks(self) -> Blocks:
        blocks = REFERENCE.with_overrides(self.functions)
        if self.renewable:
            blocks.renew = lambda: load_implementation(self.source).blocks
        return blocks


def import_module(source: str | Path | ModuleType) -> tuple[ModuleType, str]:
    """The user's module from a file path, a module name or a module object."""
    if isinstance(source, ModuleType):
        return source, source.__name__
    shown = str(source)
    path = Path(source)
    try:
        if path.suffix == ".py" or path.exists():
            if not path.is_file():
                raise PluginError(shown, ["no such file"])
            name = f"backprop_impl_{abs(hash(str(path.resolve())))}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module, shown
        return importlib.import_module(shown), shown
    except PluginError:
        raise
    except SystemExit as error:
        raise PluginError(shown, [f"exited the process while being imported (sys.exit({error.code!r}))"]) from None
    except KeyboardInterrupt:
        raise PluginError(shown, ["raised KeyboardInterrupt while being imported"]) from None
    except ModuleNotFoundError as error:
        raise PluginError(shown, [f"cannot import it: {error}"]) from None
    except SyntaxError as error:
        raise PluginError(shown, [f"cannot import it: SyntaxError: {error.msg} (line {error.lineno})"]) from None
    except Exception as error:  # noqa: BLE001 — any error while importing the user's file is theirs, in one line
        raise PluginError(shown, [f"raised {type(error).__name__} while being imported: {error}"]) from None


def signature_problem(function: Callable, block: Block) -> str | None:
    """Why `function` cannot be called as the contract calls `block`, or None."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    expected = f"{block.name}({', '.join([*block.arguments, *(f'{o}=…' for o in block.options)])})"
    try:
        signature.bind(*block.arguments)
    except TypeError:
        return f"{block.name}{signature} cannot be called as {block.name}({', '.join(block.arguments)}); " \
               f"the contract is {expected}"
    keywords = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    missing = [o for o in block.options if o not in signature.parameters and not keywords]
    if missing:
        return f"{block.name}{signature} does not take {', '.join(missing)}; the contract is {expected}"
    return None


def load_implementation(source: str | Path | ModuleType) -> Implementation:
    """Read a user's implementation; raise PluginError listing every problem."""
    module, shown = import_module(source)
    defined = {name: value for name, value in vars(module).items()
               if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")}
    problems, functions, helpers = [], {}, []
    for name, function in defined.items():
        if name in CONTRACT:
            problem = signature_problem(function, CONTRACT[name])
            if problem:
                problems.append(problem)
            else:
                functions[name] = function
            continue
        near = difflib.get_close_matches(name, list(CONTRACT), n=1, cutoff=0.8)
        if near:
            problems.append(f"{name} is not a building block; did you mean {near[0]!r}?")
        else:
            helpers.append(name)
    if not problems and not functions:
        found = f" (it defines {', '.join(helpers)})" if helpers else ""
        problems.append(f"defines none of the building blocks{found}; their names are listed in the README "
                        "(Check your own implementation)")
    if problems:
        raise PluginError(shown, problems)
    return Implementation(shown, functions, helpers, renewable=isinstance(source, str | Path) and Path(source).is_file())


@dataclass(frozen=True)
class Described:
    """What a run needs to know of your implementation before it imports it anywhere but in the workers
    that run it: where it is, its building blocks and its other functions, by name."""

    source: str
    functions: tuple[str, ...]
    helpers: tuple[str, ...]


def describe(source: str) -> Described:
    """Load the implementation (raising PluginError) and say what it defines."""
    implementation = load_implementation(source)
    return Described(implementation.source, tuple(sorted(implementation.functions)), tuple(implementation.helpers))
