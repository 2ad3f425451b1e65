"""A spawn-timing worker: holds one ballast size and times cases on request.

``bench/spawn.py`` starts one worker per ballast size and alternates short batches
between them, so the 10 MiB and the 2 GiB figures are taken side by side in time and a
load spike on the machine cannot pass for a memory effect. The protocol is one JSON
object per line: the worker first says ``{"rss_mib", "engine", "cases", "peers"}``, then
answers each request ``{"case": NAME, "rounds": N}`` with ``{"corral": [s...],
"peer": [s...]}`` and ``{"peer": NAME, "rounds": N}`` with ``{"samples": [s...]}``
(``{"error": TEXT}`` when the call raised). It exits when its stdin closes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from cases import Case, Context, peer_cases, spawn_cases
from timing import Ballast, rss_mib, timed_rounds


def load_command() -> tuple[Any, str | None]:
    """Return ``corral.core.Command`` (or None) and why it is missing."""
    try:
        from corral.core import Command
    except ImportError as exc:
        return None, f"corral.core.Command is not available ({exc})"
    return Command, None


def _answer(request: dict[str, Any], cases: dict[str, Case],
            peers: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    rounds = int(request["rounds"])
    try:
        if "case" in request:
            case = cases[request["case"]]
            corral, peer = timed_rounds([case.corral, case.peer], rounds)
            return {"corral": corral, "peer": peer}
        (samples,) = timed_rounds([peers[request["peer"]]], rounds)
        return {"samples": samples}
    except Exception as exc:  # noqa: BLE001 - the parent reports it in the table
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return {"error": f"{type(exc).__name__}: {first_line}"}


def serve(size: int) -> None:
    """Hold ``size`` bytes of touched memory and answer requests until stdin closes."""
    ballast = Ballast()
    ballast.grow_to(size)
    command_class, missing = load_command()
    context = Context()
    cases = {case.name: case for case in spawn_cases(command_class, context)}
    peers = dict(peer_cases())
    hello = {"rss_mib": rss_mib(), "engine": missing is None, "missing": missing,
             "cases": list(cases) if command_class else [], "peers": list(peers)}
    print(json.dumps(hello), flush=True)
    try:
        for line in sys.stdin:
            print(json.dumps(_answer(json.loads(line), cases, peers)), flush=True)
    finally:
        context.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
