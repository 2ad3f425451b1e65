"""Hostile documents under the 10 MiB cap cost bounded CPU: counts refused before RelaxNG.

Before these limits, 64k attributes on the root took 17 s in the explainer (lxml's
``attrib.items()`` is quadratic) and 64k DHCP hosts 10 s in libxml2's validation. The
tests assert the limit's error, not a speed; the one timing test has a bound far above
what the linear code needs and far below what the quadratic one took.
"""

from __future__ import annotations

import time

import pytest
from corral.core import ErrorCode, XMLError
from corral.core.xml import MAX_ATTRIBUTES, MAX_ELEMENTS, MAX_XML_SIZE, load_schema, parse_xml
from corral.drivers.network.conf import NETWORK, parse_network


def attributes_on_root(count: int) -> bytes:
    names = " ".join(f"a{i}='x'" for i in range(count))
    return f"<network {names}>\n<name>n</name></network>".encode()


def dhcp_hosts(count: int) -> bytes:
    hosts = "".join(
        f"<host mac='52:54:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}' "
        f"ip='10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}'/>\n"
        for i in range(count)
    )
    return (
        "<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n"
        f"{hosts}</dhcp></ip></network>"
    ).encode()


def test_64k_attributes_on_the_root_are_refused_by_count() -> None:
    data = attributes_on_root(65536)
    assert len(data) < MAX_XML_SIZE
    started = time.monotonic()
    with pytest.raises(XMLError) as caught:
        parse_network(data, file="hostile.xml")
    assert time.monotonic() - started < 2  # the quadratic explainer took 17 s
    error = caught.value
    assert (error.code, error.file, error.line) == (ErrorCode.XML_ERROR, "hostile.xml", 1)
    assert error.rule == (
        f"element 'network' has 65536 attributes, more than the limit of {MAX_ATTRIBUTES}"
    )


def test_64k_dhcp_hosts_are_refused_by_count() -> None:
    data = dhcp_hosts(65536)
    assert len(data) < MAX_XML_SIZE
    with pytest.raises(XMLError) as caught:
        parse_network(data, file="hosts.xml")
    error = caught.value
    assert error.rule == (
        f"the document has {65536 + 4} elements, more than the limit of {MAX_ELEMENTS}"
    )
    # The line of the first element over the limit: its host is on line 1 + limit - 3.
    assert error.line == MAX_ELEMENTS - 2
    assert str(error).startswith(f"hosts.xml:{error.line}: the document has 65540 elements")


def test_exactly_the_limits_are_accepted() -> None:
    # 4 elements around the hosts: network, name, ip, dhcp.
    assert len(parse_network(dhcp_hosts(MAX_ELEMENTS - 4)).ips[0].dhcp.hosts) == MAX_ELEMENTS - 4
    with pytest.raises(XMLError, match="more than the limit"):
        parse_network(dhcp_hosts(MAX_ELEMENTS - 3))
    # MAX_ATTRIBUTES on one element reaches the schema, which names the first unknown one.
    with pytest.raises(XMLError, match="element 'network' does not allow the attribute 'a0'"):
        parse_network(attributes_on_root(MAX_ATTRIBUTES))


def test_the_explainer_is_linear_in_attributes() -> None:
    # With the count limit lifted, the explainer itself must still be fast: 64k attributes
    # on the root cost it 17 s before (quadratic), well under a second now.
    tree = parse_xml(attributes_on_root(65536))
    started = time.monotonic()
    with pytest.raises(XMLError, match="does not allow the attribute 'a0'"):
        load_schema(NETWORK.schema).validate(tree, max_attributes=100_000)
    assert time.monotonic() - started < 3


def test_the_limits_can_be_raised_per_call() -> None:
    tree = parse_xml(dhcp_hosts(MAX_ELEMENTS))
    load_schema(NETWORK.schema).validate(tree, max_elements=MAX_ELEMENTS + 4)
    with pytest.raises(XMLError, match="more than the limit of 10"):
        load_schema(NETWORK.schema).validate(tree, max_elements=10)
