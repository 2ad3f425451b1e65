"""Building a :class:`PoolDefinition` from a ``<pool>`` tree, and the rules its schema lacks.

The rules follow libvirt (``virStoragePoolDefParseXML``, ``virStorageDefParsePerms``,
``virScaleInteger``): sizes with a unit must fit 64 bits, a permission mode has permission
bits only, a secret UUID must be a UUID. They are checked as the definition is built
(corral's one checking pattern, see ``docs/xml.md``), each at the element it is about; the
rules of one pool type (an iSCSI portal is exactly one host) are the backend's
(:data:`corral.drivers.storage.backends.POOL_TYPE_RULES`) and run once the pool is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final, TypeAlias

from corral.core.xml import Source, child, children, integer, text
from corral.drivers.storage.conf._model import (
    Permissions,
    PoolAuth,
    PoolDefinition,
    PoolHost,
    PoolSource,
    PoolTarget,
)
from lxml import etree

__all__ = ["PoolRule", "build_pool"]

#: A pool type's own rule: the built pool, its ``<pool>`` element (for lines), the source.
PoolRule: TypeAlias = Callable[[PoolDefinition, etree._Element, Source], None]

_MAX_BYTES: Final = 2**64 - 1
_UUID: Final = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_POWERS: Final = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


def build_pool(
    root: etree._Element, source: Source, *, type_rules: Mapping[str, PoolRule]
) -> PoolDefinition:
    """Return the definition a schema-valid ``<pool>`` element describes.

    Args:
        root: The ``<pool>`` element.
        source: Where it came from, for errors.
        type_rules: Each pool type's own rule, run on the built pool.

    Raises:
        XMLError: A rule the schema cannot express is broken (at the element's line).
    """
    source_element = child(root, "source")
    target = child(root, "target")
    pool = PoolDefinition(
        type=str(root.get("type")),
        name=text(child(root, "name")) or "",
        uuid=text(child(root, "uuid")),
        capacity=_bytes(child(root, "capacity"), source),
        allocation=_bytes(child(root, "allocation"), source),
        available=_bytes(child(root, "available"), source),
        source=_source(source_element, source)
        if source_element is not None
        else _missing(root, source),
        target=_target(target, source) if target is not None else None,
    )
    rule = type_rules.get(pool.type)
    if rule is not None:
        rule(pool, root, source)
    return pool


def _missing(root: etree._Element, source: Source) -> PoolSource:
    # The schema requires <source>; reaching this means a caller skipped validation.
    source.fail(root, "element 'pool' is missing the required element 'source'")


def _bytes(element: etree._Element | None, source: Source) -> int:
    if element is None:
        return 0
    value = int(text(element) or "0")
    unit = (element.get("unit") or "b").lower()
    if unit[0] == "b":
        scale = 1
    else:
        # k, KiB, M, MiB... are powers of 1024; KB, MB... powers of 1000 (virScaleInteger).
        base = 1000 if unit[1:] == "b" else 1024
        scale = base ** _POWERS[unit[0]]
    if value * scale > _MAX_BYTES:
        rule = f"the size {value} {element.get('unit')} of element '{element.tag}' exceeds 64 bits"
        source.fail(element, rule)
    return value * scale


def _source(element: etree._Element, source: Source) -> PoolSource:
    hosts = children(element, "host")
    device = child(element, "device")
    initiator = element.find("initiator/iqn")
    vendor, product = child(element, "vendor"), child(element, "product")
    auth = child(element, "auth")
    return PoolSource(
        hosts=tuple(
            PoolHost(name=str(host.get("name")), port=integer(host, "port")) for host in hosts
        ),
        device=str(device.get("path")) if device is not None else "",
        initiator_iqn=initiator.get("name") if initiator is not None else None,
        auth=_auth(auth, source) if auth is not None else None,
        vendor=vendor.get("name") if vendor is not None else None,
        product=product.get("name") if product is not None else None,
    )


def _auth(element: etree._Element, source: Source) -> PoolAuth:
    secret = child(element, "secret")
    uuid = secret.get("uuid") if secret is not None else None
    if uuid is not None and not _UUID.fullmatch(uuid):
        source.fail(secret, f"the secret uuid '{uuid}' is not a UUID")
    return PoolAuth(
        username=str(element.get("username")),
        secret_uuid=uuid,
        secret_usage=secret.get("usage") if secret is not None else None,
    )


def _target(element: etree._Element, source: Source) -> PoolTarget:
    permissions = child(element, "permissions")
    return PoolTarget(
        path=text(child(element, "path")) or "",
        permissions=_permissions(permissions, source) if permissions is not None else None,
    )


def _permissions(element: etree._Element, source: Source) -> Permissions | None:
    mode_element = child(element, "mode")
    mode = int(text(mode_element) or "0", 8) if mode_element is not None else None
    if mode is not None and mode & ~0o777:
        rule = f"the mode '{text(mode_element)}' has bits other than the permission bits (0777)"
        source.fail(mode_element, rule)
    found = Permissions(
        mode=mode,
        owner=_id(child(element, "owner")),
        group=_id(child(element, "group")),
        label=text(child(element, "label")),
    )
    # An empty <permissions/> says nothing, and libvirt does not write one back.
    return found if found != Permissions() else None


def _id(element: etree._Element | None) -> int | None:
    value = text(element)
    # -1 means "leave the owner (or group) as it is", as in libvirt.
    return None if value is None or int(value) == -1 else int(value)
