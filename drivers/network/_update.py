"""``net-update`` as a pure function: a definition, an edit, the edited definition.

The edit is made on the definition's XML (libvirt's ``virNetworkDefUpdateSection``): the
fragment is parsed with the hardened parser, put in (or taken out of) its section, and
the whole document is parsed again through the schema and the rules, so an update can
never produce a definition ``net-define`` would refuse. Sections and commands follow
libvirt: ``add`` (``add-last``), ``add-first``, ``delete`` and ``modify`` (``modify``
only for ``ip-dhcp-host``: libvirt refuses it for ranges and DNS records too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from corral.core import CorralError, ErrorCode
from corral.core.xml import parse_xml
from corral.drivers.network.conf import NetworkDefinition, format_network, parse_network
from lxml import etree

__all__ = ["COMMANDS", "SECTIONS", "update_definition"]

#: The commands of ``net-update`` corral supports.
COMMANDS: Final = ("add", "add-first", "add-last", "delete", "modify")
#: The sections, with the element each one's fragment must be.
SECTIONS: Final = {
    "ip-dhcp-host": "host",
    "ip-dhcp-range": "range",
    "dns-host": "host",
    "dns-txt": "txt",
    "dns-srv": "srv",
}
_DHCP_ORDER: Final[tuple[str, ...]] = ("range", "host", "bootp")
_DNS_ORDER: Final[tuple[str, ...]] = ("forwarder", "txt", "srv", "host")
# The attributes that say which existing entry an edit means (libvirt's matching).
_KEYS: Final = {
    "ip-dhcp-range": ("start", "end"),
    "dns-host": ("ip",),
    "dns-txt": ("name",),
    "dns-srv": ("service", "protocol", "domain", "target", "port", "priority", "weight"),
}


def update_definition(definition: NetworkDefinition, command: str, section: str, xml: str,
                      parent_index: int = -1) -> NetworkDefinition:
    """Return ``definition`` with ``xml`` added to, removed from or changed in ``section``.

    Args:
        definition: The network as it is.
        command: ``add``/``add-last``, ``add-first``, ``delete`` or ``modify``.
        section: ``ip-dhcp-host``, ``ip-dhcp-range``, ``dns-host``, ``dns-txt``, ``dns-srv``.
        xml: The one element the section holds (``<host mac=... ip=.../>``).
        parent_index: Which ``<ip>`` an ``ip-*`` section edits (0 first); -1 picks the
            first ``<ip>`` of the entry's address family, as libvirt.

    Raises:
        CorralError: ARGUMENT_UNSUPPORTED for an unknown command or section;
            OPERATION_INVALID when the entry to delete or modify is not there, or the
            one to add already is; XMLError when the fragment or the result is invalid.
    """
    if command not in COMMANDS:
        raise _error(f"net-update does not know the command '{command}' (known: "
                     f"{', '.join(COMMANDS)}).", ErrorCode.ARGUMENT_UNSUPPORTED)
    if section not in SECTIONS:
        raise _error(f"net-update does not support the section '{section}' (supported: "
                     f"{', '.join(SECTIONS)}).", ErrorCode.ARGUMENT_UNSUPPORTED)
    if command == "modify" and section != "ip-dhcp-host":
        raise _error(f"The section '{section}' cannot be modified, only added to or deleted "
                     "from (as libvirt).", ErrorCode.ARGUMENT_UNSUPPORTED)
    entry = parse_xml(xml, file="net-update").getroot()
    if entry.tag != SECTIONS[section]:
        raise _error(f"The section '{section}' takes a <{SECTIONS[section]}> element, not "
                     f"<{entry.tag}>.", ErrorCode.XML_ERROR)
    root = etree.fromstring(format_network(definition).encode())
    if section.startswith("ip-"):
        parent = _dhcp_of(_ip_for(root, entry, parent_index))
        order = _DHCP_ORDER
    else:
        parent = _child_or_new(root, "dns", before=("ip", "route"))
        order = _DNS_ORDER
    same = [element for element in parent if element.tag == entry.tag]
    match = _matcher(section, entry)
    found = [element for element in same if match(element)]
    if command == "delete" or command == "modify":
        if not found:
            raise _error(f"There is no {section} entry matching {_describe(entry)} to "
                         f"{command}.", ErrorCode.OPERATION_INVALID)
        if command == "modify":
            parent.replace(found[0], entry)
        else:
            parent.remove(found[0])
    else:
        if found or any(_clashes(section, entry, element) for element in same):
            raise _error(f"A {section} entry like {_describe(entry)} already exists.",
                         ErrorCode.OPERATION_INVALID)
        _insert(parent, entry, order, first=command == "add-first")
    return parse_network(etree.tostring(root, encoding="unicode"), file="net-update")


def _ip_for(root: etree._Element, entry: etree._Element, index: int) -> etree._Element:
    ips = root.findall("ip")
    if index >= 0:
        if index >= len(ips):
            raise _error(f"The network has no <ip> number {index} (it has {len(ips)}).",
                         ErrorCode.OPERATION_INVALID)
        return ips[index]
    wants_v6 = entry.get("id") is not None or ":" in (entry.get("ip") or entry.get("start")
                                                       or "")
    for ip in ips:
        if (":" in (ip.get("address") or "")) == wants_v6:
            return ip
    family = "IPv6" if wants_v6 else "IPv4"
    raise _error(f"The network has no {family} <ip> to hold this entry.",
                 ErrorCode.OPERATION_INVALID)


def _dhcp_of(ip: etree._Element) -> etree._Element:
    return _child_or_new(ip, "dhcp", before=())


def _child_or_new(parent: etree._Element, tag: str, before: tuple[str, ...]) -> etree._Element:
    found = parent.find(tag)
    if found is not None:
        return found
    created = etree.Element(tag)
    for index, element in enumerate(parent):
        if element.tag in before:
            parent.insert(index, created)
            return created
    parent.append(created)
    return created


def _insert(parent: etree._Element, entry: etree._Element, order: tuple[str, ...],
            first: bool) -> None:
    """Put ``entry`` first or last among its kind, keeping the schema's element order."""
    rank = order.index(entry.tag)
    position = len(parent)
    for index, element in enumerate(parent):
        element_rank = order.index(element.tag) if element.tag in order else len(order)
        if element_rank > rank or (first and element_rank == rank):
            position = index
            break
    parent.insert(position, entry)


def _matcher(section: str, entry: etree._Element) -> Callable[[etree._Element], bool]:
    if section == "ip-dhcp-host":
        return lambda element: _same_dhcp_host(entry, element)
    keys = _KEYS[section]
    return lambda element: all(element.get(key) == entry.get(key) for key in keys
                               if entry.get(key) is not None)


def _same_dhcp_host(entry: etree._Element, element: etree._Element) -> bool:
    """libvirt: the MAC (or DUID) names the host; without one, the name does."""
    for key in ("mac", "id"):
        if entry.get(key) is not None:
            return (element.get(key) or "").lower() == (entry.get(key) or "").lower()
    return entry.get("name") is not None and element.get("name") == entry.get("name")


def _clashes(section: str, entry: etree._Element, element: etree._Element) -> bool:
    """Whether adding ``entry`` would duplicate ``element`` (same name or address)."""
    if section != "ip-dhcp-host":
        return False
    return any(entry.get(key) is not None and element.get(key) == entry.get(key)
               for key in ("ip", "name"))


def _describe(entry: etree._Element) -> str:
    return etree.tostring(entry, encoding="unicode", with_tail=False)


def _error(message: str, code: ErrorCode) -> CorralError:
    return CorralError(message, code=code)
