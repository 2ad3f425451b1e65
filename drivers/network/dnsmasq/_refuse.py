"""What the renderer refuses, as one clear error each (never a silently wrong file).

Two codes, as in the definition model (:mod:`corral.drivers.network.conf._check`):
CONFIG_UNSUPPORTED for a meaningful network corral's dnsmasq side does not support (a forward
mode corral does not implement, a DHCP range dnsmasq's lease count cannot cover, a reverse
zone dnsmasq cannot serve), XML_ERROR for one that makes no sense (a DHCP range starting at
the network address). Each error names the network and carries the broken ``rule``.
"""

from __future__ import annotations

from corral.core import CorralError, ErrorCode, ErrorDomain

__all__ = ["check_field", "check_value", "invalid", "unsupported"]

# A line break in a value would end the directive and start another one of the user's
# choosing (config injection); NUL would cut the line short in dnsmasq's C parser.
_LINE_BREAKING = frozenset("\n\r\0")


def _error(network: str, rule: str, code: ErrorCode) -> CorralError:
    return CorralError(
        f"Network '{network}' cannot be served by dnsmasq: {rule}.",
        domain=ErrorDomain.NETWORK,
        code=code,
        network=network,
        rule=rule,
    )


def unsupported(network: str, rule: str) -> CorralError:
    """Return the CONFIG_UNSUPPORTED error for network ``network`` breaking ``rule``."""
    return _error(network, rule, ErrorCode.CONFIG_UNSUPPORTED)


def invalid(network: str, rule: str) -> CorralError:
    """Return the XML_ERROR error for network ``network`` breaking ``rule``."""
    return _error(network, rule, ErrorCode.XML_ERROR)


def check_value(network: str, what: str, value: str) -> str:
    """Return ``value`` unchanged if it can stand inside one line of a dnsmasq file.

    Raises:
        CorralError: CONFIG_UNSUPPORTED when it holds a line break or a NUL.
    """
    if not _LINE_BREAKING.isdisjoint(value):
        raise unsupported(network, f"the {what} {value!r} contains a line break or a NUL")
    return value


def check_field(network: str, what: str, value: str) -> str:
    """Return ``value`` unchanged if it can be one comma-separated field of a dnsmasq line.

    Raises:
        CorralError: CONFIG_UNSUPPORTED when it holds a comma (it would shift the fields
            after it: a host name ``a,infinite`` would read as a name and a lease time, a
            TFTP root ``/srv,eth0`` as a root and an interface) or a line break.
    """
    if "," in value:
        raise unsupported(network, f"the {what} {value!r} contains a comma")
    return check_value(network, what, value)
