"""Starting, finding, reloading and stopping the dnsmasq of one network (libvirt's way).

dnsmasq is run with a plain synchronous :meth:`~corral.core.Command.run`, not the
engine's ``daemonize()``: dnsmasq forks itself, and its leader exits only after the child
wrote the ``pid-file=`` of the conf, so the pid file is there when ``run()`` returns
(libvirt's ``networkStartDhcpDaemon``). The environment holds one variable, the lease
status file for ``corral-leaseshelper`` (libvirt's holds only ``VIR_BRIDGE_NAME``).

A pid read back counts only while that process is alive, runs the dnsmasq binary
(``/proc/PID/exe``) and has this network's conf file on its command line: a reused pid
or another network's dnsmasq is never signalled.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

from corral.core import Command, CommandError, CorralError, ErrorCode
from corral.core.state import delete_pidfile, read_pidfile_if_alive
from corral.drivers.network.conf import NetworkDefinition
from corral.drivers.network.dnsmasq import (
    DnsmasqFiles,
    DnsmasqPaths,
    explain_test_failure,
    syntax_check_arguments,
)
from corral.drivers.network.leaseshelper import LEASES_ENV

__all__ = [
    "check_dnsmasq_conf",
    "dnsmasq_binary",
    "find_dnsmasq",
    "reload_dnsmasq",
    "start_dnsmasq",
    "stop_dnsmasq",
]

# How long a SIGTERMed dnsmasq gets before SIGKILL; neutron's SIGTERM_TIMEOUT is 5 s,
# libvirt polls 15 s. dnsmasq exits within milliseconds; 5 s covers a loaded host.
_TERM_TIMEOUT = 5.0
_POLL = 0.01


def dnsmasq_binary() -> Path:
    """Return the dnsmasq program on PATH (``/usr/sbin`` included).

    Raises:
        CorralError: NO_SUPPORT when dnsmasq is not installed.
    """
    search = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/sbin"))
    found = shutil.which("dnsmasq", path=search)
    if found is None:
        raise CorralError("dnsmasq is not installed (install the dnsmasq-base package).",
                          code=ErrorCode.NO_SUPPORT)
    return Path(os.path.realpath(found))


def check_dnsmasq_conf(definition: NetworkDefinition, files: DnsmasqFiles,
                       paths: DnsmasqPaths, binary: Path) -> None:
    """Run ``dnsmasq --test`` on the written files, before dnsmasq is started for real.

    A ``<dnsmasq:option>`` is passed through verbatim, so only dnsmasq knows whether it
    takes it; libvirt finds out when the start fails. Here the start is refused first,
    naming the option.

    Raises:
        CorralError: CONFIG_UNSUPPORTED naming the line dnsmasq rejects.
    """
    command = Command(binary, *syntax_check_arguments(paths)).add_env_pass_common()
    try:
        command.set_error_buffer().run()
    except CommandError as exc:
        raise explain_test_failure(definition, files, exc.stderr or str(exc)) from exc


def start_dnsmasq(paths: DnsmasqPaths, leases: Path, binary: Path) -> int:
    """Start the dnsmasq of ``paths`` and return its pid (read from its pid file).

    Raises:
        CommandError: dnsmasq refused to start (its message included).
        CorralError: OPERATION_FAILED when no live dnsmasq is found afterwards.
    """
    delete_pidfile(paths.pid_file)  # a stale file must not be taken for the new process
    command = Command(binary, *paths.arguments()).add_env_pair(LEASES_ENV, leases)
    command.set_error_buffer().run()
    pid = find_dnsmasq(paths, binary)
    if pid is None:
        raise CorralError(f"dnsmasq started but wrote no pid file of a live process at "
                          f"'{paths.pid_file}'.", code=ErrorCode.OPERATION_FAILED)
    return pid


def find_dnsmasq(paths: DnsmasqPaths, binary: Path) -> int | None:
    """Return the pid of this network's live dnsmasq, or None (virPidFileReadIfAlive)."""
    pid = read_pidfile_if_alive(paths.pid_file, binary)
    if pid is None:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return pid if f"--conf-file={paths.conf}".encode() in cmdline else None


def reload_dnsmasq(pid: int) -> None:
    """SIGHUP dnsmasq: it re-reads the hosts and addn-hosts files (not its conf)."""
    _signal(pid, signal.SIGHUP)


def stop_dnsmasq(pid: int, paths: DnsmasqPaths) -> None:
    """SIGTERM dnsmasq, wait for it, SIGKILL it if it lingers; remove its pid file.

    neutron learnt to wait (LP #1998621: a bare SIGKILL left dnsmasq's TCP children
    holding port 53); libvirt never SIGKILLs, so a stuck dnsmasq would outlive the
    network there.
    """
    for number in (signal.SIGTERM, signal.SIGKILL):
        _signal(pid, number)
        deadline = time.monotonic() + _TERM_TIMEOUT
        while _alive(pid):
            if time.monotonic() > deadline:
                break
            time.sleep(_POLL)
        else:
            delete_pidfile(paths.pid_file)
            return
    raise CorralError(f"dnsmasq (pid {pid}) survived SIGKILL for {_TERM_TIMEOUT:g} s.",
                      code=ErrorCode.OPERATION_TIMEOUT, pid=pid)


def _signal(pid: int, number: signal.Signals) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        return  # gone already: what a stop wants, and a reload finds out at the next start
    except OSError as exc:
        raise CorralError(f"Cannot send {number.name} to dnsmasq (pid {pid}): {exc.strerror}.",
                          code=ErrorCode.SYSTEM_ERROR, pid=pid) from exc


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (dnsmasq is not our child: init reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2: stat.rfind(b")") + 3] not in (b"Z", b"X")
