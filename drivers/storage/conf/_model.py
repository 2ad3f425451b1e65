"""The ``<pool>`` definition as frozen dataclasses, whatever the pool type.

One class per element of corral's ``storagepool.rng``. Values stay as written except
where libvirt's own model is a number: the three sizes are bytes (``unit`` applied, 0 when
absent -- they are status the pool reports, which libvirt always writes), the permission
mode is an int (written back in octal), and an owner or group of -1 ("leave as is") is
None. What only one pool type means (the iSCSI portal's default port, its one-host rule)
is that backend's, in :mod:`corral.drivers.storage.backends`. Building (and checking) is
in :mod:`._build`, formatting in :mod:`._format`.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = [
    "Permissions",
    "PoolAuth",
    "PoolDefinition",
    "PoolHost",
    "PoolSource",
    "PoolTarget",
]

@dataclasses.dataclass(frozen=True, slots=True)
class PoolHost:
    """``<host name port>``: a server of the pool (an iSCSI portal: a DNS name or an address).

    ``port`` is as written; the default when it is absent is the backend's.
    """

    name: str
    port: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PoolAuth:
    """``<auth type='chap' username>`` with ``<secret uuid|usage>``: CHAP credentials.

    The password itself lives in a secret, looked up by its UUID or its usage name.
    """

    username: str
    secret_uuid: str | None = None
    secret_usage: str | None = None
    type: Literal["chap"] = "chap"


@dataclasses.dataclass(frozen=True, slots=True)
class PoolSource:
    """``<source>``: where the storage is (portal, target IQN) and how to log in.

    Attributes:
        hosts: The ``<host>`` elements (an iSCSI pool has exactly one).
        device: ``<device path>``: the target's IQN (or a name/path libvirt accepts).
        initiator_iqn: ``<initiator><iqn name>``: the initiator name to log in as.
        auth: CHAP credentials, if the target wants them.
        vendor: ``<vendor name>``.
        product: ``<product name>``.
    """

    hosts: tuple[PoolHost, ...]
    device: str
    initiator_iqn: str | None = None
    auth: PoolAuth | None = None
    vendor: str | None = None
    product: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Permissions:
    """``<permissions>``: mode (an int, e.g. ``0o700``), owner, group and label."""

    mode: int | None = None
    owner: int | None = None
    group: int | None = None
    label: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PoolTarget:
    """``<target>``: where the pool's volumes appear (``/dev/disk/by-path`` for iSCSI)."""

    path: str
    permissions: Permissions | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PoolDefinition:
    """A whole ``<pool>``: everything the storage driver needs, and nothing from lxml.

    ``type`` is one the schema accepts (``iscsi``, ``iscsi-direct``). ``capacity``,
    ``allocation`` and ``available`` are in bytes. ``target`` is None for ``iscsi-direct``
    pools (libiscsi reaches the LUNs without block devices).
    """

    type: str
    name: str
    source: PoolSource
    uuid: str | None = None
    capacity: int = 0
    allocation: int = 0
    available: int = 0
    target: PoolTarget | None = None
