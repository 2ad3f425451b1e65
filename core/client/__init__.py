"""corral.core.client: talk to corrald from Python, blocking or with asyncio.

::

    from corral.core.client import connect

    with connect("unix:///system") as client:
        print(client.call("query-version"))

:func:`connect` returns a :class:`Client` once the QMP greeting and ``qmp_capabilities``
are done; ``call(name, **arguments)`` returns the command's ``return`` value or raises the
:class:`~corral.core.CorralError` subclass the daemon raised, rebuilt from the wire.
:func:`connect_async` is the same for asyncio (:class:`AsyncClient`, many calls in
flight). Both deliver events to callbacks and iterators. :func:`connect_many` connects to
many daemons at once and returns a :class:`Fleet` running each command on all of them
concurrently, their events merged as :class:`HostEvent`. ``ssh://`` URIs reach daemons on
other hosts through the system's ``ssh``. The asyncio and fleet halves are imported only
when used, and nothing here imports the daemon, the host, lxml or pluggy: a
program that connects starts quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral.core.client._messages import Event
from corral.core.client._sync import Client, Subscription, connect
from corral.core.client._uri import DEFAULT_URI_ENV, Address, SshTarget, resolve

if TYPE_CHECKING:
    from corral.core.client._async import AsyncClient, EventStream, connect_async
    from corral.core.client._fleet import Fleet, HostEvent, connect_many

__all__ = [
    "DEFAULT_URI_ENV",
    "Address",
    "AsyncClient",
    "Client",
    "SshTarget",
    "Event",
    "EventStream",
    "Fleet",
    "HostEvent",
    "Subscription",
    "connect",
    "connect_async",
    "connect_many",
    "resolve",
]

_ASYNC = ("AsyncClient", "EventStream", "connect_async")
_FLEET = ("Fleet", "HostEvent", "connect_many")


def __getattr__(name: str) -> Any:
    if name not in (*_ASYNC, *_FLEET):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    half = importlib.import_module("corral.core.client._async" if name in _ASYNC
                                   else "corral.core.client._fleet")
    value = getattr(half, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ASYNC, *_FLEET})
