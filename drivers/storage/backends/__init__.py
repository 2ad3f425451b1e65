"""corral.drivers.storage.backends: what each pool type adds to the storage driver.

The backends themselves arrive in the ``corral.storage.backends`` entry-point group
(:data:`BACKEND_GROUP`): that group is the storage driver's, not core's. What a pool
type adds to the generic ``<pool>`` checks is here already, one module per backend family
(:mod:`.iscsi_rules`), gathered in :data:`POOL_TYPE_RULES`. The protocol every backend
implements, and what it returns, is :class:`StorageBackend` (see ``docs/storage.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.drivers.storage.backends._protocol import (
    Chap,
    FoundSource,
    StorageBackend,
    StorageError,
    Volume,
    redact,
)
from corral.drivers.storage.backends.iscsi_rules import ISCSI_POOL_TYPES, check_iscsi_pool

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.drivers.storage.conf._build import PoolRule

__all__ = ["BACKEND_GROUP", "POOL_TYPE_RULES", "Chap", "FoundSource", "StorageBackend",
           "StorageError", "Volume", "redact"]

#: The entry-point group the storage driver finds its backends in (``iscsi``, ``iscsi-direct``).
BACKEND_GROUP: Final = "corral.storage.backends"

#: Each pool type's own rule, run on a ``<pool>`` of that type once it is built.
POOL_TYPE_RULES: Final[Mapping[str, PoolRule]] = dict.fromkeys(ISCSI_POOL_TYPES, check_iscsi_pool)
