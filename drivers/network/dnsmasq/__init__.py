"""corral.drivers.network.dnsmasq: a network definition to its dnsmasq files, purely.

:func:`render` turns a :class:`~corral.drivers.network.conf.NetworkDefinition` and the
:class:`DnsmasqPaths` of its files into :class:`DnsmasqFiles` -- the conf, the DHCP hosts
file and the addn-hosts file -- exactly as libvirt 9.0.0 writes them (pinned by the golden
tests over libvirt's own conformance data). Nothing here reads, writes or runs anything: the
network driver writes the files and runs dnsmasq with :meth:`DnsmasqPaths.arguments`;
:func:`needs_restart` says whether an update can be a SIGHUP; :func:`explain_test_failure`
turns ``dnsmasq --test``'s complaint into a clear error; :func:`dumpconf` is
``corral net-dumpconf`` (entry point ``network`` in the group ``corral.dumpconf``). The
mapping, construct by construct, is ``docs/network-dnsmasq.md``.
"""

from __future__ import annotations

from corral.drivers.network.dnsmasq._conf import IMPLEMENTED_MODES
from corral.drivers.network.dnsmasq._dumpconf import (
    ADDNHOSTS_MARK,
    DUMPCONF_RUNTIME_DIR,
    DUMPCONF_STATE_DIR,
    HOSTSFILE_MARK,
    dumpconf,
)
from corral.drivers.network.dnsmasq._files import (
    DnsmasqFiles,
    dnsmasq_needed,
    needs_restart,
    render,
)
from corral.drivers.network.dnsmasq._paths import DnsmasqPaths, escape_name
from corral.drivers.network.dnsmasq._syntax import explain_test_failure, syntax_check_arguments

__all__ = [
    "ADDNHOSTS_MARK",
    "DUMPCONF_RUNTIME_DIR",
    "DUMPCONF_STATE_DIR",
    "HOSTSFILE_MARK",
    "IMPLEMENTED_MODES",
    "DnsmasqFiles",
    "DnsmasqPaths",
    "dnsmasq_needed",
    "dumpconf",
    "escape_name",
    "explain_test_failure",
    "needs_restart",
    "render",
    "syntax_check_arguments",
]
