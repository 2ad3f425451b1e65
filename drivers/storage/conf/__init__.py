"""corral.drivers.storage.conf: the ``<pool>`` definition, from XML and back.

:data:`POOL` is the definition kind (registered as the ``corral.definitions`` entry point
``pool``): the hardened parser, ``storagepool.rng`` (libvirt's schema, iSCSI pool types
only), then :class:`PoolDefinition` built and checked against the rules the schema cannot
express -- the generic ones here, each pool type's own from
:data:`corral.drivers.storage.backends.POOL_TYPE_RULES`. :func:`format_pool` writes XML
byte-identical to libvirt's. :data:`SECRET` is the ``<secret>`` kind (entry point
``secret``): the secrets a pool's CHAP ``<auth>`` refers to, never holding a value.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Final

from corral.core.xml import DefinitionKind
from corral.drivers.storage.backends import POOL_TYPE_RULES
from corral.drivers.storage.conf._build import build_pool
from corral.drivers.storage.conf._format import format_pool
from corral.drivers.storage.conf._model import (
    Permissions,
    PoolAuth,
    PoolDefinition,
    PoolHost,
    PoolSource,
    PoolTarget,
)
from corral.drivers.storage.conf._secret import (
    SECRET,
    SecretDefinition,
    format_secret,
    parse_secret,
)

#: The folder of ``storagepool.rng`` and ``storagecommon.rng``.
SCHEMA_DIR: Final = Path(__file__).resolve().parent / "schemas"

#: The ``<pool>`` definition kind: call it with a parsed tree, or use its ``parse(xml)``
#: and ``load(path)``.
POOL: Final = DefinitionKind(
    "pool", SCHEMA_DIR / "storagepool.rng", partial(build_pool, type_rules=POOL_TYPE_RULES)
)


#: ``parse_pool(xml, *, file=None)``: the ``<pool>`` definition the text holds
#: (:meth:`corral.core.xml.DefinitionKind.parse`).
parse_pool: Final = POOL.parse

#: ``load_pool(path)``: the ``<pool>`` definition in a file
#: (:meth:`corral.core.xml.DefinitionKind.load`).
load_pool: Final = POOL.load

__all__ = [
    "POOL",
    "SCHEMA_DIR",
    "SECRET",
    "Permissions",
    "PoolAuth",
    "PoolDefinition",
    "PoolHost",
    "PoolSource",
    "PoolTarget",
    "SecretDefinition",
    "format_pool",
    "format_secret",
    "load_pool",
    "parse_pool",
    "parse_secret",
]
