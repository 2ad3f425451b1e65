"""What only an iSCSI pool means: its types, its portal's default port, its one-host rule.

The generic ``<pool>`` model (:mod:`corral.drivers.storage.conf`) knows nothing of iSCSI;
the rules here are those of libvirt's iSCSI backends (``storage_backend_iscsi.c``,
``storage_backend_iscsi_direct.c``), kept where the iSCSI backends will be built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from corral.core import ErrorCode
from corral.core.xml import Source, child, children
from lxml import etree

if TYPE_CHECKING:
    from corral.drivers.storage.conf import PoolDefinition, PoolHost

__all__ = ["DEFAULT_ISCSI_PORT", "ISCSI_POOL_TYPES", "IscsiPoolType", "check_iscsi_pool",
           "portal_port"]

IscsiPoolType = Literal["iscsi", "iscsi-direct"]

#: The pool types the iSCSI backends serve (libiscsi's ``iscsi-direct`` and iscsiadm's).
ISCSI_POOL_TYPES: Final[tuple[IscsiPoolType, ...]] = ("iscsi", "iscsi-direct")

#: The port an iSCSI portal listens on when ``<host>`` names none.
DEFAULT_ISCSI_PORT: Final = 3260


def portal_port(host: PoolHost) -> int:
    """Return the portal's port, with the iSCSI default (3260) when none (or 0) is given."""
    return host.port if host.port and host.port > 0 else DEFAULT_ISCSI_PORT


def check_iscsi_pool(pool: PoolDefinition, root: etree._Element, source: Source) -> None:
    """An iSCSI pool logs in to exactly one portal: one ``<source><host>``.

    Raises:
        XMLError: code CONFIG_UNSUPPORTED, at the second ``<host>`` (or at ``<source>``).
    """
    if len(pool.source.hosts) == 1:
        return
    where = child(root, "source")
    hosts = children(where, "host")
    rule = f"an iSCSI pool needs exactly one portal <host>, not {len(hosts)}"
    source.fail(hosts[1] if len(hosts) > 1 else where, rule, code=ErrorCode.CONFIG_UNSUPPORTED)
