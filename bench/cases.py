"""The spawn-latency cases: each corral option beside the standard-library call it replaces.

A case is a pair of zero-argument callables, corral's and the peer's, plus the targets the
issue sets for it. Every callable builds its command afresh, as real callers do, so the
figures include construction.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TRUE = "/bin/true"
ECHO = "/bin/echo"
NOBODY = 65534


@dataclasses.dataclass(frozen=True)
class Targets:
    """What a case must meet; None means "not a target for this case"."""

    vs_peer: float | None = None  # corral / peer, at both memory sizes
    vs_peer_2g: float | None = None  # corral / peer, at the largest ballast only
    growth: float | None = None  # corral at 2 GiB / corral at 10 MiB
    exception: str | None = None  # why no growth target applies

    def describe(self) -> str:
        """The targets in a few characters, for the table."""
        parts = []
        if self.vs_peer is not None:
            parts.append(f"≤{self.vs_peer}×peer")
        if self.vs_peer_2g is not None:
            parts.append(f"≤{self.vs_peer_2g}×peer@2G")
        if self.growth is not None:
            parts.append(f"2G/10M≤{self.growth}")
        if self.exception:
            parts.append(f"({self.exception})")
        return " ".join(parts)


@dataclasses.dataclass(frozen=True)
class Case:
    """One row of the spawn table."""

    name: str
    corral: Callable[[], Any]
    peer_name: str
    peer: Callable[[], Any]
    targets: Targets
    peer_forks: bool = False  # the peer cannot use vfork, so it grows with the ballast


class Context:
    """Resources the cases share: a scratch directory and a descriptor to pass."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="corral-bench-"))
        self.read_fd, self.write_fd = os.pipe()
        self._pidfiles = itertools.count()

    def next_pidfile(self) -> Path:
        """A fresh pid-file path: a daemon may still hold the previous one for a moment."""
        return self.scratch / f"daemon-{next(self._pidfiles)}.pid"

    def close(self) -> None:
        """Release the descriptors and the scratch directory."""
        os.close(self.read_fd)
        os.close(self.write_fd)
        for path in self.scratch.iterdir():
            path.unlink()
        self.scratch.rmdir()


def subprocess_true(**options: Any) -> Callable[[], Any]:
    """``subprocess.run([/bin/true], **options)`` as a zero-argument callable."""
    return lambda: subprocess.run([TRUE], check=True, **options)


def _handshake(command_class: Any) -> Callable[[], Any]:
    def run() -> Any:
        command = command_class(TRUE).require_handshake()
        command.run_async()
        command.handshake_wait()
        command.handshake_notify()
        return command.wait()

    return run


def spawn_cases(command_class: Any, context: Context) -> list[Case]:
    """Every option of the 1.3× rule, plus the two explained exceptions."""
    c = command_class
    flat = Targets(growth=1.3)
    cases = [
        Case("plain", lambda: c(TRUE).run(), "run([true])", subprocess_true(),
             Targets(vs_peer=1.2, growth=1.3)),
        Case("captured echo", lambda: c(ECHO, "hello").set_output_buffer().run(),
             "run([echo], capture_output)",
             lambda: subprocess.run([ECHO, "hello"], capture_output=True, check=True),
             Targets(vs_peer=1.2, growth=1.3)),
        Case("cwd", lambda: c(TRUE).set_working_directory("/tmp").run(),
             "run(cwd=)", subprocess_true(cwd="/tmp"), flat),
        Case("umask", lambda: c(TRUE).set_umask(0o077).run(),
             "run(umask=)", subprocess_true(umask=0o077), flat),
        Case("env", lambda: c(TRUE).add_env_pair("PATH", os.defpath).add_env_pair("X", "1").run(),
             "run(env=)", subprocess_true(env={"PATH": os.defpath, "X": "1"}), flat),
        Case("pass_fd", lambda: c(TRUE).pass_fd(context.read_fd).run(),
             "run(pass_fds=)", subprocess_true(pass_fds=(context.read_fd,)), flat),
        Case("limits", lambda: c(TRUE).set_max_files(1024).run(),
             "run([true])", subprocess_true(), flat),
        Case("caps", lambda: c(TRUE).clear_caps().run(),
             "run([true])", subprocess_true(), flat),
        Case("limits+caps", lambda: c(TRUE).set_max_files(1024).clear_caps().run(),
             "run([true])", subprocess_true(), Targets(vs_peer_2g=3.0, growth=1.3)),
        Case("daemonize+pidfile",
             lambda: c(TRUE).daemonize().set_pidfile(context.next_pidfile()).run(),
             "run(start_new_session)", subprocess_true(start_new_session=True), flat),
        Case("timeout", lambda: c(TRUE).set_timeout(30).run(),
             "run(timeout=)", subprocess_true(timeout=30), flat),
        Case("pre-exec hook", lambda: c(TRUE).set_pre_exec_hook(lambda: True).run(),
             "run(preexec_fn=)", subprocess_true(preexec_fn=lambda: None),
             Targets(exception="forks by design"), peer_forks=True),
        Case("handshake", _handshake(c), "run([true])", subprocess_true(),
             Targets(exception="explained exception")),
    ]
    if os.geteuid() == 0:
        before = [case.name for case in cases].index("daemonize+pidfile")
        cases.insert(before, Case(
            "uid/gid", lambda: c(TRUE).set_uid(NOBODY).set_gid(NOBODY).run(),
            "run(user=, group=)", subprocess_true(user=NOBODY, group=NOBODY, extra_groups=[]),
            flat, peer_forks=True))
    return cases


def peer_cases() -> list[tuple[str, Callable[[], Any]]]:
    """The peers measured on their own: subprocess and oslo.concurrency, when installed."""
    peers: list[tuple[str, Callable[[], Any]]] = [("subprocess.run([true])", subprocess_true())]
    try:
        from oslo_concurrency import processutils
    except ImportError:
        return peers
    limits = processutils.ProcessLimits(number_files=1024)
    peers.append(("oslo execute(true)", lambda: processutils.execute(TRUE)))
    peers.append(("oslo execute(true, prlimit=)",
                  lambda: processutils.execute(TRUE, prlimit=limits)))
    return peers
