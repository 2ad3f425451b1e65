"""Many daemons at once: :func:`connect_many` and the :class:`Fleet` it returns.

Every host is connected, and every command run, concurrently (at most ``parallel`` at a
time, one thread each: the work is waiting on sockets and ssh), so a fleet takes as long
as its slowest host, not the sum. A host that cannot be reached, or whose command fails,
does not stop the others: its result is the :class:`~corral.core.CorralError` it raised.
Events from every host arrive merged, each tagged with its host's URI.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

from corral.core import CorralError
from corral.core.client._messages import Event, wire_arguments
from corral.core.client._sync import Client, connect

__all__ = ["DEFAULT_PARALLEL", "Fleet", "HostEvent", "connect_many"]

#: How many hosts are worked on at once by default (each may be one ssh process).
DEFAULT_PARALLEL = 32

_T = TypeVar("_T")


class HostEvent(NamedTuple):
    """An event and the URI of the host that sent it."""

    uri: str
    event: Event


class Fleet:
    """Connections to many daemons, used together.

    Attributes:
        uris: The URIs, in the order given (each once).
        clients: The connected hosts' clients, by URI.
        errors: Why each host that could not be connected failed, by URI.
    """

    def __init__(self, uris: list[str], clients: dict[str, Client],
                 errors: dict[str, CorralError], parallel: int) -> None:
        self.uris, self.clients, self.errors = uris, clients, errors
        self._parallel = parallel

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection (concurrently: each may have an ssh to reap)."""
        _map(lambda client: client.close(), list(self.clients.values()), self._parallel)

    def call(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        """Run ``name`` on every host; see :meth:`execute` (keywords spelt the Python way)."""
        return self.execute(name, wire_arguments(arguments))

    def execute(self, name: str, arguments: Mapping[str, Any] | None = None
                ) -> dict[str, Any]:
        """Run ``name`` on every host at once; return each host's result by URI.

        A result is the command's ``return`` value, or the CorralError the host raised
        (or raised when it was connected), so one host's failure never hides the others'.
        """
        def run(client: Client) -> Any:
            try:
                return client.execute(name, arguments)
            except CorralError as exc:
                return exc

        connected = [uri for uri in self.uris if uri in self.clients]
        answers = dict(zip(connected, _map(run, [self.clients[u] for u in connected],
                                           self._parallel), strict=True))
        return {uri: answers[uri] if uri in answers else self.errors[uri] for uri in self.uris}

    def events(self, names: list[str] | None = None, *, timeout: float | None = None
               ) -> Iterator[HostEvent]:
        """Yield every host's events as they arrive, tagged with the host's URI.

        Args:
            names: Only these events.
            timeout: Stop after this many seconds without a matching event (None: never).
        """
        wanted = frozenset(names) if names is not None else None
        deadline = None if timeout is None else time.monotonic() + timeout
        live = dict(self.clients)
        while live:
            for uri, client in list(live.items()):
                try:
                    while client._read({}, waiting_for=None, deadline=time.monotonic()):
                        pass  # what is buffered or readable now goes to the backlog
                except CorralError:
                    del live[uri]  # that host is gone; the others go on
                while client._backlog:
                    event = client._backlog.popleft()
                    if wanted is None or event.name in wanted:
                        yield HostEvent(uri, event)
                        deadline = None if timeout is None else time.monotonic() + timeout
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            if live:
                select.select([c._sock for c in live.values()], [], [], remaining)


def connect_many(uris: Iterable[str], *, readonly: bool = False,
                 parallel: int = DEFAULT_PARALLEL) -> Fleet:
    """Connect to every URI at once (as :func:`~corral.core.client.connect` each).

    A host that cannot be connected is kept in :attr:`Fleet.errors`, never raised: the
    others are usable.

    Args:
        uris: The hosts (``ssh://...``, ``unix://...`` or socket paths); a repeat is dropped.
        readonly: Connect to each daemon's read-only socket.
        parallel: How many hosts are connected (and later called) at once.
    """
    ordered = list(dict.fromkeys(uris))
    parallel = max(1, parallel)

    def attempt(uri: str) -> Client | CorralError:
        try:
            return connect(uri, readonly=readonly)
        except CorralError as exc:
            return exc

    clients: dict[str, Client] = {}
    errors: dict[str, CorralError] = {}
    for uri, outcome in zip(ordered, _map(attempt, ordered, parallel), strict=True):
        if isinstance(outcome, CorralError):
            errors[uri] = outcome
        else:
            clients[uri] = outcome
    return Fleet(ordered, clients, errors, parallel)


def _map(function: Callable[[Any], _T], items: list[Any], parallel: int) -> list[_T]:
    if len(items) <= 1:
        return [function(item) for item in items]
    workers = min(parallel, len(items), (os.cpu_count() or 1) * 32)
    with ThreadPoolExecutor(workers, thread_name_prefix="corral-fleet") as pool:
        return list(pool.map(function, items))
