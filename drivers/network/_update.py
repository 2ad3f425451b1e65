"""``net-update`` as a pure function: a definition and its XML, an edit, both edited.

Sections and commands follow libvirt's ``virNetworkDefUpdateSection``: ``add``
(``add-last``), ``add-first``, ``delete`` and ``modify`` (``modify`` only for
``ip-dhcp-host``: libvirt refuses it for ranges and DNS records too).

It must stay fast on a network of 10,000 hosts (a reload's budget is 200 ms), so the
whole document is never validated again. Instead:

- the new entry is checked by parsing it inside a minimal ``<network>`` around it (its
  ``<ip>``'s address, or a ``<dns>``) through the full schema and rules, and the entry
  built there is the one added;
- the entry to delete or modify is found on the document's XML tree (plain lxml, no
  schema), and its position among its siblings is the same in the dataclasses, because
  :func:`~corral.drivers.network.conf.format_network` writes them in order;
- the few rules that involve other entries (no duplicate host, one DHCP per address
  family, no records while DNS is disabled) are checked here.

The result carries the new definition and its XML (the tree, serialised), which parse
back to each other (a test holds them to it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Final

from corral.core import CorralError, ErrorCode
from corral.core.xml import parse_xml
from corral.drivers.network.conf import (
    Dhcp,
    Dns,
    IpDefinition,
    NetworkDefinition,
    parse_network,
)
from lxml import etree

__all__ = ["COMMANDS", "SECTIONS", "Updated", "update_definition"]

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
# The dataclass field of each section, in Dhcp or in Dns.
_FIELDS: Final = {
    "ip-dhcp-host": "hosts",
    "ip-dhcp-range": "ranges",
    "dns-host": "hosts",
    "dns-txt": "txts",
    "dns-srv": "srvs",
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
_SOURCE: Final = "net-update"


@dataclasses.dataclass(frozen=True)
class Updated:
    """An edited network: the definition and the XML that parses to it."""

    definition: NetworkDefinition
    xml: str


def update_definition(definition: NetworkDefinition, xml: str, command: str, section: str,
                      fragment: str, parent_index: int = -1) -> Updated:
    """Return ``definition`` (whose XML is ``xml``) with ``fragment`` added, removed or changed.

    Args:
        definition: The network as it is.
        xml: Its XML (the definition or live status file's text).
        command: ``add``/``add-last``, ``add-first``, ``delete`` or ``modify``.
        section: ``ip-dhcp-host``, ``ip-dhcp-range``, ``dns-host``, ``dns-txt``, ``dns-srv``.
        fragment: The one element the section holds (``<host mac=... ip=.../>``).
        parent_index: Which ``<ip>`` an ``ip-*`` section edits (0 first); -1 picks the
            first ``<ip>`` of the entry's address family, as libvirt.

    Raises:
        CorralError: ARGUMENT_UNSUPPORTED for an unknown command or section;
            OPERATION_INVALID when the entry to delete or modify is not there, or the
            one to add already is; CONFIG_UNSUPPORTED for a second DHCP block of one
            family; XMLError when the fragment is invalid.
    """
    _check_command(command, section)
    entry = parse_xml(fragment, file=_SOURCE).getroot()
    if entry.tag != SECTIONS[section]:
        raise _error(f"The section '{section}' takes a <{SECTIONS[section]}> element, not "
                     f"<{etree.QName(entry).localname}>.", ErrorCode.XML_ERROR)
    root = parse_xml(xml, file=_SOURCE).getroot()
    if section.startswith("ip-"):
        index = _ip_index(definition, entry, parent_index)
        parent = _child_or_new(root.findall("ip")[index], "dhcp")
        order = _DHCP_ORDER
    else:
        index = -1
        parent = _child_or_new(root, "dns", before=("ip", "route"))
        order = _DNS_ORDER
    same = [element for element in parent if element.tag == entry.tag]
    match = _matcher(section, entry)
    found = next((position for position, element in enumerate(same) if match(element)), None)
    records = list(_records(definition, section, index))
    if command in ("delete", "modify"):
        if found is None:
            raise _error(f"There is no {section} entry matching {_describe(entry)} to "
                         f"{command}.", ErrorCode.OPERATION_INVALID)
        if command == "modify":
            records[found] = _built(definition, section, index, fragment)
            parent.replace(same[found], entry)
        else:
            del records[found]
            parent.remove(same[found])
    else:
        if found is not None or any(_clashes(section, entry, element) for element in same):
            raise _error(f"A {section} entry like {_describe(entry)} already exists.",
                         ErrorCode.OPERATION_INVALID)
        _check_addable(definition, section, index)
        first = command == "add-first"
        records.insert(0 if first else len(records), _built(definition, section, index,
                                                             fragment))
        _insert(parent, entry, order, first=first)
    edited = _replace_records(definition, section, index, tuple(records))
    return Updated(edited, etree.tostring(root, encoding="unicode") + "\n")


def _check_command(command: str, section: str) -> None:
    if command not in COMMANDS:
        raise _error(f"net-update does not know the command '{command}' (known: "
                     f"{', '.join(COMMANDS)}).", ErrorCode.ARGUMENT_UNSUPPORTED)
    if section not in SECTIONS:
        raise _error(f"net-update does not support the section '{section}' (supported: "
                     f"{', '.join(SECTIONS)}).", ErrorCode.ARGUMENT_UNSUPPORTED)
    if command == "modify" and section != "ip-dhcp-host":
        raise _error(f"The section '{section}' cannot be modified, only added to or deleted "
                     "from (as libvirt).", ErrorCode.ARGUMENT_UNSUPPORTED)


def _ip_index(definition: NetworkDefinition, entry: etree._Element, index: int) -> int:
    ips = definition.ips
    if index >= 0:
        if index >= len(ips) or ips[index].address is None:
            raise _error(f"The network has no <ip> number {index} (it has {len(ips)}).",
                         ErrorCode.OPERATION_INVALID)
        return index
    wants_v6 = entry.get("id") is not None or ":" in (entry.get("ip") or entry.get("start")
                                                       or "")
    for position, ip in enumerate(ips):
        if ip.address is not None and ip.is_ipv6 == wants_v6:
            return position
    family = "IPv6" if wants_v6 else "IPv4"
    raise _error(f"The network has no {family} <ip> to hold this entry.",
                 ErrorCode.OPERATION_INVALID)


def _check_addable(definition: NetworkDefinition, section: str, index: int) -> None:
    """The rules between entries the minimal document cannot see."""
    if section.startswith("ip-"):
        ip = definition.ips[index]
        for position, other in enumerate(definition.ips):
            served = other.dhcp is not None and (other.dhcp.ranges or other.dhcp.hosts)
            if position != index and served and other.is_ipv6 == ip.is_ipv6:
                family = "IPv6" if ip.is_ipv6 else "IPv4"
                raise _error(f"DHCP is supported on only one {family} address of a network "
                             f"({other.address} has it already).", ErrorCode.CONFIG_UNSUPPORTED)
    elif definition.dns is not None and definition.dns.enable is False:
        raise _error("DNS is disabled (enable='no'): it cannot hold records.",
                     ErrorCode.OPERATION_INVALID)


def _built(definition: NetworkDefinition, section: str, index: int, fragment: str) -> object:
    """The entry as the real builder makes it, checked by the schema and the rules."""
    if section.startswith("ip-"):
        ip = definition.ips[index]
        family = " family='ipv6'" if ip.is_ipv6 else ""
        document = (f"<network><name>update</name><ip address='{ip.address}' "
                    f"prefix='{ip.interface.network.prefixlen}'{family}><dhcp>{fragment}"
                    "</dhcp></ip></network>")
        dhcp = parse_network(document, file=_SOURCE).ips[0].dhcp
        assert dhcp is not None
        return getattr(dhcp, _FIELDS[section])[0]
    dns = parse_network(f"<network><name>update</name><dns>{fragment}</dns></network>",
                        file=_SOURCE).dns
    assert dns is not None
    return getattr(dns, _FIELDS[section])[0]


def _records(definition: NetworkDefinition, section: str, index: int) -> tuple[object, ...]:
    if section.startswith("ip-"):
        dhcp = definition.ips[index].dhcp or Dhcp()
        return tuple(getattr(dhcp, _FIELDS[section]))
    return tuple(getattr(definition.dns or Dns(), _FIELDS[section]))


def _replace_records(definition: NetworkDefinition, section: str, index: int,
                     records: tuple[object, ...]) -> NetworkDefinition:
    field = {_FIELDS[section]: records}
    if section.startswith("ip-"):
        ip: IpDefinition = definition.ips[index]
        dhcp = dataclasses.replace(ip.dhcp or Dhcp(), **field)  # type: ignore[arg-type]
        ips = list(definition.ips)
        ips[index] = dataclasses.replace(ip, dhcp=dhcp)
        return dataclasses.replace(definition, ips=tuple(ips))
    dns = dataclasses.replace(definition.dns or Dns(), **field)  # type: ignore[arg-type]
    return dataclasses.replace(definition, dns=dns)


def _child_or_new(parent: etree._Element, tag: str,
                  before: tuple[str, ...] = ()) -> etree._Element:
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
    rank = order.index(str(entry.tag))
    position = len(parent)
    for index, element in enumerate(parent):
        element_rank = order.index(str(element.tag)) if element.tag in order else len(order)
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
