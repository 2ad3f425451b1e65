"""``dnsmasq --test``: its arguments, and its complaint turned into a clear error.

dnsmasq checks what corral cannot: the options a ``<dnsmasq:option>`` passes through
verbatim. libvirt 9.0.0 writes such a conf and then fails to start (``bad option at line
18``, the conformance case ``dnsmasq-options``); the driver runs ``dnsmasq --test`` first
and raises :func:`explain_test_failure`'s error instead, naming the option.
"""

from __future__ import annotations

import re

from corral.core import CorralError
from corral.drivers.network.conf import NetworkDefinition
from corral.drivers.network.dnsmasq._files import DnsmasqFiles
from corral.drivers.network.dnsmasq._paths import DnsmasqPaths
from corral.drivers.network.dnsmasq._refuse import unsupported

__all__ = ["explain_test_failure", "syntax_check_arguments"]

# dnsmasq's option.c: "<message> at line <n> of <file>".
_AT_LINE = re.compile(r"dnsmasq: (?P<message>.+?) at line (?P<line>\d+) of ")


def syntax_check_arguments(paths: DnsmasqPaths) -> list[str]:
    """Return the arguments of ``dnsmasq --test`` for the conf of ``paths``.

    The check reads the conf and the files it names (they must exist and be readable by
    the user dnsmasq drops to, ``nobody``).
    """
    return ["--test", f"--conf-file={paths.conf}"]


def explain_test_failure(
    network: NetworkDefinition, files: DnsmasqFiles, output: str
) -> CorralError:
    """Return the CONFIG_UNSUPPORTED error for ``dnsmasq --test`` rejecting ``files``.

    Args:
        network: The network the files were rendered from.
        files: What was checked.
        output: dnsmasq's stderr (and stdout).
    """
    found = _AT_LINE.search(output)
    if found is None:
        detail = output.strip().splitlines()[-1] if output.strip() else "no message"
        return unsupported(network.name, f"dnsmasq rejects its configuration: {detail}")
    number, message = int(found["line"]), found["message"]
    lines = files.conf.splitlines()
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    if line in network.dnsmasq_options:
        rule = f"dnsmasq rejects <dnsmasq:option value='{line}'/> ({message})"
    else:
        rule = f"dnsmasq rejects line {number} of its configuration, '{line}' ({message})"
    return unsupported(network.name, rule)
