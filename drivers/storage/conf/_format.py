"""Formatting a :class:`PoolDefinition` back to ``<pool>`` XML, exactly as libvirt does.

The order and the normalisation are those of libvirt's ``virStoragePoolDefFormat``: name,
uuid, the three sizes always written in bytes, then source (hosts, device, initiator,
auth, vendor, product) and target (path, then permissions with the mode in octal). For
each pool of libvirt's ``storagepoolxml2xml`` tests the output is byte-identical to
libvirt's expected output.
"""

from __future__ import annotations

from corral.core.xml import XMLWriter
from corral.drivers.storage.conf._model import PoolDefinition, PoolSource, PoolTarget

__all__ = ["format_pool"]


def format_pool(definition: PoolDefinition) -> str:
    """Return ``definition`` as libvirt-style ``<pool>`` XML (two-space indent).

    Args:
        definition: The pool, e.g. from :func:`corral.drivers.storage.conf.parse_pool`.

    Returns:
        The XML text, ending in a newline; parsing it gives back ``definition``.
    """
    out = XMLWriter()
    with out.element("pool", [("type", definition.type)]):
        out.text("name", definition.name)
        if definition.uuid is not None:
            out.text("uuid", definition.uuid)
        out.text("capacity", definition.capacity, [("unit", "bytes")])
        out.text("allocation", definition.allocation, [("unit", "bytes")])
        out.text("available", definition.available, [("unit", "bytes")])
        _source(out, definition.source)
        if definition.target is not None:
            _target(out, definition.target)
    return out.result()


def _source(out: XMLWriter, source: PoolSource) -> None:
    with out.element("source"):
        for host in source.hosts:
            out.empty("host", [("name", host.name), ("port", host.port)])
        out.empty("device", [("path", source.device)])
        if source.initiator_iqn is not None:
            with out.element("initiator"):
                out.empty("iqn", [("name", source.initiator_iqn)])
        if source.auth is not None:
            auth = source.auth
            with out.element("auth", [("type", auth.type), ("username", auth.username)]):
                out.empty("secret", [("uuid", auth.secret_uuid), ("usage", auth.secret_usage)])
        if source.vendor is not None:
            out.empty("vendor", [("name", source.vendor)])
        if source.product is not None:
            out.empty("product", [("name", source.product)])


def _target(out: XMLWriter, target: PoolTarget) -> None:
    with out.element("target"):
        out.text("path", target.path)
        permissions = target.permissions
        if permissions is not None:
            with out.element("permissions"):
                if permissions.mode is not None:
                    out.text("mode", f"0{permissions.mode:o}")
                if permissions.owner is not None:
                    out.text("owner", permissions.owner)
                if permissions.group is not None:
                    out.text("group", permissions.group)
                if permissions.label is not None:
                    out.text("label", permissions.label)
