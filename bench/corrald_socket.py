"""corrald as the benchmarks drive it: a real daemon process and asyncio QMP clients.

:func:`corrald` starts the installed ``corrald`` (the one beside this interpreter) on a
private ``--root`` with no driver, and yields its read-write socket and pid. A
:class:`Client` speaks QMP the way any client does: one request at a time, each with an
``id``, the reply read line by line (corrald ends every message in CRLF). Every client
receives every ``GUEST_EXEC_EXITED`` (QMP has no subscription filter); a client that does
not wait for events skips them by their first bytes, unparsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CORRALD = Path(sys.executable).parent / "corrald"
_EVENT = b'{"event"'


@contextlib.contextmanager
def corrald(config: str = "") -> Iterator[tuple[Path, int]]:
    """Run corrald with ``config`` added to ``drivers = []``; yield (socket path, pid)."""
    if not CORRALD.exists():
        raise FileNotFoundError(f"{CORRALD} is missing: install the corral wheel first")
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as directory:
        root = Path(directory)
        conf = root / "corrald.conf"
        conf.write_text(f"drivers = []\n{config}")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("NOTIFY_SOCKET", "LISTEN_", "WATCHDOG_"))}
        with open(root / "stderr", "wb") as stderr:
            daemon = subprocess.Popen([str(CORRALD), "--root", str(root), "-f", str(conf)],
                                      env=env, stdin=subprocess.DEVNULL, stderr=stderr)
        path = root / "run/corral/corrald-sock"
        try:
            deadline = time.monotonic() + 30
            while not path.exists():
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("corrald did not start: "
                                       + (root / "stderr").read_text()[-500:])
                time.sleep(0.01)
            yield path, daemon.pid
        finally:
            daemon.terminate()
            daemon.wait(30)


def rss_mib(pid: int) -> float:
    """The resident set size of process ``pid`` in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Client:
    """One negotiated QMP connection to corrald."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._id = 0
        self.exited: set[int] = set()  # pids of the GUEST_EXEC_EXITED seen (when watching)
        self.watch = False

    @classmethod
    async def connect(cls, path: Path) -> Client:
        """Connect, read the greeting and negotiate."""
        reader, writer = await asyncio.open_unix_connection(str(path), limit=1 << 24)
        client = cls(reader, writer)
        greeting = json.loads(await reader.readline())
        if "QMP" not in greeting:
            raise RuntimeError(f"not a QMP greeting: {greeting}")
        await client.call("qmp_capabilities")
        return client

    async def call(self, command: str, **arguments: Any) -> Any:
        """Run ``command``; return its result (RuntimeError on an error reply)."""
        self._id += 1
        self._writer.write(json.dumps({"execute": command, "arguments": arguments,
                                       "id": self._id}).encode() + b"\r\n")
        while True:
            line = await self._reader.readline()
            if not line:
                raise RuntimeError("corrald closed the connection")
            if line.startswith(_EVENT):
                self._event(line)
                continue
            reply = json.loads(line)
            if reply.get("id") != self._id:
                raise RuntimeError(f"a reply out of turn: {reply}")
            if "error" in reply:
                raise RuntimeError(f"corrald: {reply['error']}")
            return reply["return"]

    async def wait_exit(self, pid: int) -> None:
        """Read until corrald announced the end of ``pid``."""
        while pid not in self.exited:
            line = await self._reader.readline()
            if not line:
                raise RuntimeError("corrald closed the connection")
            if line.startswith(_EVENT):
                self._event(line)
        self.exited.discard(pid)

    def _event(self, line: bytes) -> None:
        if self.watch:
            event = json.loads(line)
            if event["event"] == "GUEST_EXEC_EXITED":
                self.exited.add(event["data"]["pid"])

    async def close(self) -> None:
        """Hang up."""
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
