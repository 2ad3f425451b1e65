"""Run the network driver for a test, inside whatever network namespace this process is in.

The end-to-end tests start this file under ``ip netns exec NS``: the driver then creates
its bridge, rules and dnsmasq in that namespace, never in the host's, without knowing
anything about namespaces itself. One run is one corrald lifetime: it opens a host on
ROOT with the drivers named in the optional second argument (``hooks,network``; the
network driver alone by default), so ``initialize`` re-attaches to what an earlier run
left running; it makes the calls
read as JSON from stdin (``[[operation, {arguments}], ...]``), prints one JSON line per
call (``{"return": ...}`` or ``{"error": code name, "message": ...}``) and shuts down
(networks keep running, as corrald's do). The pseudo-call ``["kill-9", {"pidfile": P}]``
kills the process named in P behind the driver's back (a dnsmasq dying while corrald runs).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from corral.core import CorralError
from corral.core.testing import running_host


def main() -> int:
    root = sys.argv[1]
    drivers = sys.argv[2].split(",") if len(sys.argv) > 2 else ["network"]
    calls = json.load(sys.stdin)
    with running_host(root, drivers=drivers, privileged=True) as host:
        for operation, arguments in calls:
            if operation == "kill-9":
                pid = int(Path(arguments["pidfile"]).read_text())
                os.kill(pid, signal.SIGKILL)
                while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
                    time.sleep(0.01)
                print(json.dumps({"return": pid}), flush=True)
                continue
            try:
                answer = {"return": host.call("network", operation, **arguments)}
            except CorralError as exc:
                answer = {"error": exc.code.name, "message": str(exc)}
            print(json.dumps(answer), flush=True)
    return 0


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X"
    return stat[stat.rfind(")") + 2]


if __name__ == "__main__":
    sys.exit(main())
