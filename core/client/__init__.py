"""corral.core.client: talk to corrald from Python, blocking or with asyncio.

::

    from corral.core.client import connect

    with connect("unix:///system") as client:
        print(client.call("query-version"))

:func:`connect` returns a :class:`Client` once the QMP greeting and ``qmp_capabilities``
are done; ``call(name, **arguments)`` returns the command's ``return`` value or raises the
:class:`~corral.core.CorralError` subclass the daemon raised, rebuilt from the wire.
:func:`connect_async` is the same for asyncio (:class:`AsyncClient`, many calls in
flight). Both deliver events to callbacks and iterators. The asyncio half is imported
only when used, and nothing here imports the daemon, the host, lxml or pluggy: a
program that connects starts quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral.core.client._messages import Event
from corral.core.client._sync import Client, Subscription, connect
from corral.core.client._uri import DEFAULT_URI_ENV, Address, SshTarget, resolve

if TYPE_CHECKING:
    from corral.core.client._async import AsyncClient, EventStream, connect_async

__all__ = [
    "DEFAULT_URI_ENV",
    "Address",
    "AsyncClient",
    "Client",
    "SshTarget",
    "Event",
    "EventStream",
    "Subscription",
    "connect",
    "connect_async",
    "resolve",
]

_ASYNC = ("AsyncClient", "EventStream", "connect_async")


def __getattr__(name: str) -> Any:
    if name not in _ASYNC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from corral.core.client import _async

    value = getattr(_async, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ASYNC})
