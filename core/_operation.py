"""Driver operations: declared by signature and type hints, checked before they run.

``@operation`` marks a driver method; its name becomes the operation's (``network_start``
→ ``network-start``) and its parameters the operation's arguments, named the same way
(``input_data`` → ``input-data``, QMP's spelling; callers may use either). Everything the
daemon needs to list and validate a call -- ``query-commands``: the name, whether it is
read-only, each argument's name, type and whether it is required -- is read from the
method without calling it (:func:`describe`). :meth:`Operation.bind` checks a call's
arguments against it, so a misspelt, missing or mistyped argument is an ``INVALID_ARG``
naming the argument and the operation, never a ``TypeError`` from deep inside a driver.

The type check covers what crosses a JSON socket: ``str``, ``int``, ``float``, ``bool``,
``None``, ``list[...]``, ``tuple[...]``, ``dict[...]``, unions, ``Literal[...]`` and plain
classes (``isinstance``); anything else (a callable, a type variable) is not checked.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import types
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar, overload

from corral.core._errors import CorralError, ErrorCode

__all__ = ["Argument", "Operation", "describe", "operation"]

_F = TypeVar("_F", bound=Callable[..., Any])
_MARK = "__corral_operation__"


@dataclasses.dataclass(frozen=True)
class Argument:
    """One argument of an operation, as ``query-commands`` lists it.

    Attributes:
        name: The wire name (dashes: ``input-data``).
        parameter: The method's parameter name (``input_data``).
        type: The type hint (``typing.Any`` when there is none).
        type_name: The hint in words (``str``, ``list[str]``, ``int | None``).
        required: True when the parameter has no default.
        default: The default value when not required, else None.
    """

    name: str
    parameter: str
    type: Any
    type_name: str
    required: bool
    default: Any = None


@dataclasses.dataclass(frozen=True)
class Operation:
    """An operation a driver offers, read from its method.

    Attributes:
        name: The operation's name (``network-start``).
        method: The method's name (``network_start``).
        read_only: True when it changes nothing (the read-only socket allows it).
        arguments: Its arguments, in the method's order.
        summary: The first line of the method's docstring, or "".
    """

    name: str
    method: str
    read_only: bool
    arguments: tuple[Argument, ...]
    summary: str = ""

    def bind(self, arguments: Mapping[str, Any], *, driver: str,
             domain: str) -> dict[str, Any]:
        """Return ``arguments`` as the method's keyword arguments, each checked.

        Args:
            arguments: By wire name or parameter name.
            driver: The driver's name, for messages.
            domain: The error domain of the driver.

        Raises:
            CorralError: INVALID_ARG naming the argument and the operation, for an unknown,
                repeated, missing or mistyped argument.
        """
        by_name = {spelling: arg for arg in self.arguments
                   for spelling in (arg.name, arg.parameter)}
        bound: dict[str, Any] = {}
        for given, value in arguments.items():
            argument = by_name.get(given)
            if argument is None:
                raise self._unknown(given, driver, domain)
            if argument.parameter in bound:
                raise self._invalid(f"gets the argument '{argument.name}' twice", driver,
                                    domain, argument.name)
            if not conforms(value, argument.type):
                raise self._invalid(
                    f"needs the argument '{argument.name}' as {argument.type_name}, "
                    f"not {type(value).__name__}", driver, domain, argument.name)
            bound[argument.parameter] = value
        for argument in self.arguments:
            if argument.required and argument.parameter not in bound:
                raise self._invalid(f"needs the argument '{argument.name}'", driver, domain,
                                    argument.name)
        return bound

    def _unknown(self, given: str, driver: str, domain: str) -> CorralError:
        names = [argument.name for argument in self.arguments]
        close = difflib.get_close_matches(given.replace("_", "-"), names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        takes = f"it takes: {', '.join(names)}" if names else "it takes none"
        return self._invalid(f"has no argument '{given}'{hint}; {takes}", driver, domain,
                             given)

    def _invalid(self, why: str, driver: str, domain: str, argument: str) -> CorralError:
        # The value itself is never quoted: it may be a secret (a CHAP password).
        return CorralError(
            f"The operation '{self.name}' of the driver '{driver}' {why}.",
            domain=domain, code=ErrorCode.INVALID_ARG,
            driver=driver, operation=self.name, argument=argument,
        )


@dataclasses.dataclass(frozen=True)
class _Mark:
    read_only: bool


@overload
def operation(function: _F, /) -> _F: ...
@overload
def operation(*, read_only: bool = False) -> Callable[[_F], _F]: ...


def operation(function: _F | None = None, /, *,
              read_only: bool = False) -> _F | Callable[[_F], _F]:
    """Mark a driver method as an operation :meth:`~corral.core.Driver.call` may run.

    Use it bare (``@operation``) or with the read-only tag
    (``@operation(read_only=True)``) for an operation that changes nothing. The
    parameters after ``self`` are the operation's arguments; give them type hints, which
    :meth:`Operation.bind` checks.

    Raises:
        TypeError: At class definition, for ``*args``, ``**kwargs`` or positional-only
            parameters: an operation's arguments are named.
    """

    def mark(method: _F) -> _F:
        for parameter in list(inspect.signature(method).parameters.values())[1:]:
            if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                raise TypeError(f"The operation {method.__qualname__} has the parameter "
                                f"{parameter}; operations take named arguments only.")
        setattr(method, _MARK, _Mark(read_only))
        return method

    return mark if function is None else mark(function)


def is_operation(value: object) -> bool:
    """Return True when ``value`` is a method marked with :func:`operation`."""
    return isinstance(getattr(value, _MARK, None), _Mark)


@functools.cache
def describe(method: Callable[..., Any]) -> Operation:
    """Return the :class:`Operation` a marked method declares (computed once per method).

    Raises:
        CorralError: INTERNAL_ERROR if a type hint cannot be resolved (a driver bug).
    """
    name = method.__name__.replace("_", "-")
    try:
        hints = typing.get_type_hints(method)
    except (NameError, TypeError) as exc:
        raise CorralError(
            f"The operation '{name}' ({method.__qualname__}) has a type hint that cannot "
            f"be resolved: {type(exc).__name__}: {exc}",
            code=ErrorCode.INTERNAL_ERROR, operation=name,
        ) from exc
    parameters = list(inspect.signature(method).parameters.values())[1:]
    arguments = tuple(
        Argument(
            name=parameter.name.replace("_", "-"),
            parameter=parameter.name,
            type=hints.get(parameter.name, Any),
            type_name=type_name(hints.get(parameter.name, Any)),
            required=parameter.default is parameter.empty,
            default=None if parameter.default is parameter.empty else parameter.default,
        )
        for parameter in parameters
    )
    doc = inspect.getdoc(method) or ""
    mark: _Mark = getattr(method, _MARK)
    return Operation(name, method.__name__, mark.read_only, arguments,
                     doc.splitlines()[0] if doc else "")


def type_name(hint: Any) -> str:
    """Return a type hint in words: ``str``, ``int | None``, ``any``, ``one of 'a', 'b'``."""
    if hint is Any:
        return "any"
    if hint is None or hint is type(None):
        return "None"
    if isinstance(hint, type) and not typing.get_args(hint):
        return hint.__name__
    if typing.get_origin(hint) is typing.Literal:  # the values, not Python's typing text
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    return str(hint).replace("typing.", "").replace("NoneType", "None")


def conforms(value: Any, hint: Any) -> bool:
    """Return True when ``value`` fits the type hint ``hint`` (see the module docstring)."""
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return any(value == arg and type(value) is type(arg) for arg in args)
    if origin is not None:
        return _conforms_generic(value, origin, args)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a TypeVar, a Callable, a NewType: nothing to check against


def _conforms_generic(value: Any, origin: Any, args: tuple[Any, ...]) -> bool:
    if not isinstance(origin, type):
        return True  # a generic alias of something that is not a class: not checked
    fits: bool = isinstance(value, origin)  # kept apart: value stays Any for what follows
    if not fits:
        return False
    if issubclass(origin, Mapping):
        key, item = args if len(args) == 2 else (Any, Any)
        return all(conforms(k, key) and conforms(v, item) for k, v in value.items())
    if not issubclass(origin, Collection) or isinstance(value, str | bytes):
        return True  # Callable[...], Iterator[...]: the type alone is checked
    if origin is tuple and args and args[-1] is not Ellipsis:
        return len(value) == len(args) and all(map(conforms, value, args))
    item = args[0] if args else Any
    return all(conforms(element, item) for element in value)
